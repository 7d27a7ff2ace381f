import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemoteCommandError } from '../../src/errors/index.js';
import { FACTS_SCRIPT, countCpuList, gatherFacts, parseFacts, parseOsRelease } from '../../src/facts/gather.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => readFileSync(join(here, 'fixtures', name), 'utf8');

describe('parseFacts', () => {
  it('a Debian host without module support, PID 1 not systemd, hybrid cgroups (captured on the dev machine)', () => {
    const f = parseFacts(fixture('host-no-modules-hybrid.txt'));
    expect(f.os).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', idLike: [] });
    expect(f.initSystem).toBe('process_api');
    expect(f.arch).toBe('x86_64');
    expect(f.kernel.release).toBe('6.18.44-fc-v657');
    expect(f.kernel.loadableModules).toBe(false);
    expect(f.kernel.loadedModules).toEqual([]);
    expect(f.kernel.builtinModulesComplete).toBe(false);
    expect(f.kernel.builtinModules).toEqual(expect.arrayContaining(['bridge', 'ipv6', 'fuse']));
    expect(f.cgroup).toBe('hybrid');
    expect(f.cpu).toEqual({ cores: 2, virtFlags: [] });
    expect(f.memoryBytes).toBe(24684092 * 1024);
    expect(f.packageManager).toBe('apt');
    expect(f.agentVersion).toBeNull();
    expect(f.uptimeSeconds).toBeGreaterThan(0);
  });

  it('a systemd container with v1 controllers only', () => {
    const f = parseFacts(fixture('systemd-container-v1.txt'));
    expect(f.os.id).toBe('ubuntu');
    expect(f.os.idLike).toEqual(['debian']);
    expect(f.initSystem).toBe('systemd');
    expect(f.cgroup).toBe('v1');
    expect(f.kernel.loadableModules).toBe(false);
    expect(f.kernel.builtinModules).toEqual(['bridge', 'dummy', 'kernel']);
    expect(f.agentVersion).toBe('0.4.0-rc.1');
    expect(f.uptimeSeconds).toBe(12);
  });

  it('a VM with loadable modules and cgroup v2', () => {
    const f = parseFacts(fixture('vm-cgroup-v2.txt'));
    expect(f.os).toEqual({ id: 'rocky', versionId: '9.4', prettyName: 'Rocky Linux 9.4 (Blue Onyx)', idLike: ['rhel', 'centos', 'fedora'] });
    expect(f.arch).toBe('aarch64');
    expect(f.cpu).toEqual({ cores: 4, virtFlags: ['vmx', 'svm'] });
    expect(f.memoryBytes).toBe(505856 * 1024);
    expect(f.kernel.loadableModules).toBe(true);
    expect(f.kernel.loadedModules).toEqual(['dummy', 'nf_tables', 'virtio_net']);
    expect(f.kernel.builtinModules).toEqual(['ext4', 'printk', 'tcp_bbr', 'virtio_blk']);
    expect(f.kernel.builtinModulesComplete).toBe(true);
    expect(f.cgroup).toBe('v2');
    expect(f.packageManager).toBe('dnf');
    expect(f.agentVersion).toBe('1.2.3');
    expect(f.uptimeSeconds).toBe(86400);
  });

  it('modules_disabled=1 means no loadable modules even with /proc/modules', () => {
    const text = fixture('vm-cgroup-v2.txt').replace('modules_disabled=0', 'modules_disabled=1');
    expect(parseFacts(text).kernel.loadableModules).toBe(false);
  });

  it('refuses truncated output', () => {
    const text = fixture('vm-cgroup-v2.txt');
    expect(() => parseFacts(text.slice(0, text.indexOf('@@gridops-facts:end@@')))).toThrow(/incomplete/);
  });

  it('parseOsRelease unquotes values', () => {
    expect(parseOsRelease(['A="x \\"y\\""', "B='z'", 'C=plain', '# comment', 'bad line'])).toEqual({ A: 'x "y"', B: 'z', C: 'plain' });
  });
});

describe('gatherFacts', () => {
  it('uses exactly one exec', async () => {
    const host = new RecordingTransport('web1').on(/@@gridops-facts/, () => ({ stdout: fixture('vm-cgroup-v2.txt') }));
    const f = await gatherFacts(host);
    expect(f.os.id).toBe('rocky');
    expect(host.commands()).toEqual([FACTS_SCRIPT]);
  });

  it('wraps unreadable output in a RemoteCommandError naming the host', async () => {
    const host = new RecordingTransport('web1').on(/./, { stdout: 'garbage', stderr: 'sh: 1: syntax error', code: 2 });
    await expect(gatherFacts(host)).rejects.toThrow(RemoteCommandError);
    await expect(gatherFacts(host)).rejects.toThrow(/web1: gathering facts/);
  });

  it('the real script runs under dash on this machine and parses', async () => {
    const f = await gatherFacts(new LocalTransport('local', { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }));
    expect(f.arch).toMatch(/\w/);
    expect(f.cpu.cores).toBeGreaterThan(0);
    expect(f.memoryBytes).toBeGreaterThan(0);
    expect(f.kernel.release).not.toBe('unknown');
  });
});

describe('the facts script on this machine, under dash and bash', () => {
  it.each(['dash', 'bash'])('%s: parses, and reads /proc files even where read(1) reports EOF', async (shell) => {
    const { execFileSync } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    const { FACTS_SCRIPT: script, parseFacts: parse } = await import('../../src/facts/gather.js');
    const facts = parse(execFileSync(shell, ['-c', script], { encoding: 'utf8' }));
    expect(facts.kernel.release).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(facts.cpu.cores).toBeGreaterThan(0);
    expect(facts.memoryBytes).toBeGreaterThan(0);
    if (existsSync('/proc/modules') && existsSync('/proc/sys/kernel/modules_disabled')) expect(facts.kernel.loadableModules).toBe(true);
    // Read from /proc without `uname` and `ip`: the same answers as those tools.
    expect(facts.arch).toBe(execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
    const viaIp = /\sdev\s+(\S+)/.exec(execFileSync('sh', ['-c', 'ip -o route show default; ip -o -6 route show default'], { encoding: 'utf8' }))?.[1] ?? null;
    expect(facts.network.defaultRouteDevice).toBe(viaIp);
    const cgroupMounts = execFileSync('sh', ['-c', "grep -cE '^[^ ]+ [^ ]+ cgroup2? ' /proc/mounts || true"], { encoding: 'utf8' }).trim();
    if (cgroupMounts !== '0') expect(facts.cgroup).not.toBe('none');
    // The CPU count from /proc/self/status is nproc's.
    expect(facts.cpu.cores).toBe(Number(execFileSync('nproc', { encoding: 'utf8' }).trim()));
  });

  it.each(['dash', 'bash'])('%s: FACTS_BODY leaves no variable or function behind for the probes after it', async (shell) => {
    const { execFileSync } = await import('node:child_process');
    const { FACTS_BODY } = await import('../../src/facts/gather.js');
    const out = execFileSync(shell, ['-c', `${FACTS_BODY}\necho "[$l$k$v$u$md$n$rest$rel$d$p$i$dst$gw$fl$rc$m$mask$f$cpus]"; command -v s c || echo none`], { encoding: 'utf8' });
    expect(out.trimEnd().split('\n').slice(-2)).toEqual(['[]', 'none']);
  });
});

describe('facts from one grep and /proc/self/status', () => {
  const base = ['@@gridops-facts:uname@@', 'x86_64', '6.1.0'];
  const end = ['@@gridops-facts:end@@', ''];
  it('reads the flags and the cgroup mounts from one grep by file name, and the CPU count from Cpus_allowed_list', () => {
    const f = parseFacts(
      [...base, '@@gridops-facts:proc-grep@@', '/proc/cpuinfo: vmx ', '/proc/cpuinfo: vmx', '/proc/mounts:cgroup /sys/fs/cgroup/cpu cgroup ', '/proc/mounts:cgroup2 /sys/fs/cgroup/unified cgroup2 ', '@@gridops-facts:nproc@@', 'allowed 0-3,8,10-11', ...end].join('\n'),
    );
    expect(f.cpu).toEqual({ cores: 7, virtFlags: ['vmx'] });
    expect(f.cgroup).toBe('hybrid');
  });
  it('a mount line never counts as a CPU flag, nor a CPU line as a mount', () => {
    const f = parseFacts([...base, '@@gridops-facts:proc-grep@@', '/proc/mounts: svm ', '/proc/cpuinfo:cgroup2 /x cgroup2 ', '@@gridops-facts:nproc@@', '3', ...end].join('\n'));
    expect(f.cpu).toEqual({ cores: 3, virtFlags: [] });
    expect(f.cgroup).toBe('none');
  });
  it('counts kernel CPU lists', () => {
    expect(countCpuList('0')).toBe(1);
    expect(countCpuList('0-1')).toBe(2);
    expect(countCpuList('0-3,8,10-11')).toBe(7);
    expect(countCpuList('3-1')).toBeNaN();
    expect(countCpuList('')).toBeNaN();
    expect(countCpuList('zz')).toBeNaN();
  });
});
