import { execSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import { CommandResource } from '../../src/resources/command.js';
import { DirectoryResource } from '../../src/resources/directory.js';
import { FileResource } from '../../src/resources/file.js';
import { fileProbe, parseFileState } from '../../src/resources/file-state.js';
import { KernelModuleResource } from '../../src/resources/kernel-module.js';
import { ensureLine, LineResource } from '../../src/resources/line.js';
import { probeSections } from '../../src/resources/probe-sections.js';
import { PackageResource } from '../../src/resources/package.js';
import { SysctlResource } from '../../src/resources/sysctl.js';
import { SystemdUnitResource } from '../../src/resources/systemd-unit.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node, probeStdout } from './fixtures.js';

/** What a multi-section probe prints: each part's stdout, in order, as a real shell would join them. */
const probeOutput = (...parts: string[]) => execSync(probeSections(...parts.map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();
const ctx = (kernel = {}) => ({ node: node(), facts: facts(kernel) });
const probe = async (script: string) => probeStdout(script);

describe('file probe, run by a real shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-probe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads absence, content, mode and a hostile file name', async () => {
    const path = join(dir, `we'ird $(name) \`x\``);
    expect(parseFileState(await probe(fileProbe(path)))).toEqual({ exists: false });
    writeFileSync(path, 'hello\n');
    chmodSync(path, 0o640);
    const state = parseFileState(await probe(fileProbe(path)));
    expect(state).toMatchObject({ exists: true, type: 'file', mode: '0640' });
    expect(state.content?.toString()).toBe('hello\n');
  });

  it('a file resource plans create, then nothing once the content and mode match', async () => {
    const path = join(dir, 'managed.conf');
    const r = new FileResource({ path, content: 'a=1\n', mode: '0600' });
    const create = r.diff(await probe(r.probe()));
    expect(create).toMatchObject({ action: 'create', kind: 'file' });
    expect(create!.diff).toContain('+a=1');
    writeFileSync(path, 'a=1\n');
    chmodSync(path, 0o644);
    const modeOnly = r.diff(await probe(r.probe()));
    expect(modeOnly!.fields).toEqual([{ name: 'mode', before: '0644', after: '0600' }]);
    chmodSync(path, 0o600);
    expect(r.diff(await probe(r.probe()))).toBeNull();
  });

  it("asks for the owner and group only where the diff compares them, and plans the same either way (the read without a shell then skips the host's name files)", async () => {
    const path = join(dir, 'owned.conf');
    writeFileSync(path, 'a=1\n');
    chmodSync(path, 0o644);
    const owner = execSync('id -un', { encoding: 'utf8' }).trim();
    const plain = new FileResource({ path, content: 'a=1\n', mode: '0644' });
    const owned = new FileResource({ path, content: 'a=1\n', mode: '0644', owner });
    expect(plain.probe()).toBe(fileProbe(path, { owners: false }));
    expect(owned.probe()).toBe(fileProbe(path));
    expect(new DirectoryResource({ path: dir }).probe()).toBe(fileProbe(dir, { owners: false }));
    expect(new DirectoryResource({ path: dir, group: 'root' }).probe()).toBe(fileProbe(dir));
    expect(new LineResource({ path, line: 'a=1' }).probe()).toBe(fileProbe(path, { owners: false }));
    expect(parseFileState(await probe(plain.probe()))).toMatchObject({ owner: '-', group: '-' });
    expect(plain.diff(await probe(plain.probe()))).toBeNull();
    expect(owned.diff(await probe(owned.probe()))).toBeNull();
    // An owner the file does not have is still seen, from the names.
    const other = new FileResource({ path, content: 'a=1\n', mode: '0644', owner: 'nobody' });
    expect(other.diff(await probe(other.probe()))!.fields).toEqual([{ name: 'owner', before: owner, after: 'nobody' }]);
  });

  it('never puts sensitive content in the plan', async () => {
    const r = new FileResource({ path: join(dir, 'key'), content: 'TOPSECRET', mode: '0600', sensitive: true });
    const change = r.diff(await probe(r.probe()));
    expect(JSON.stringify(change)).not.toContain('TOPSECRET');
    expect(change!.diff).toBeUndefined();
  });

  it('a directory resource refuses a path that is a file', async () => {
    const path = join(dir, 'plainfile');
    writeFileSync(path, '');
    const r = new DirectoryResource({ path });
    expect(() => r.diff(parseFileStateOutput(path), ctx())).toThrow(PlanningError);
  });
  const parseFileStateOutput = (path: string) => probeStdout(fileProbe(path));
  it('a directory without `mode` leaves an existing one\'s mode alone (a 0700 secrets directory stays 0700), and makes a new one 0755', async () => {
    const secrets = join(dir, 'secrets');
    execSync(`mkdir -m 0700 ${quote(secrets)}`);
    expect(new DirectoryResource({ path: secrets }).diff(await parseFileStateOutput(secrets), ctx())).toBeNull();
    expect(new DirectoryResource({ path: secrets, mode: '0750' }).diff(await parseFileStateOutput(secrets), ctx())).toMatchObject({ action: 'update', fields: [{ name: 'mode', before: '0700', after: '0750' }] });
    const fresh = join(dir, 'fresh');
    expect(new DirectoryResource({ path: fresh }).diff(await parseFileStateOutput(fresh), ctx())).toMatchObject({ action: 'create', fields: [{ name: 'mode', before: null, after: '0755' }] });
  });
});

describe('kernel modules', () => {
  const absent = probeOutput('not-loaded\n', 'absent\n', 'absent\n');

  it('a module built into the kernel needs nothing, and the plan says so', () => {
    const change = new KernelModuleResource('kvm').diff(absent, ctx({ builtinModules: ['kvm'], loadableModules: false }));
    expect(change).toMatchObject({ action: 'none', summary: expect.stringContaining('built into kernel 6.1.0-test') });
  });

  it('a kernel without module support is a planning error naming the host', () => {
    expect(() => new KernelModuleResource('dummy').diff(absent, ctx({ loadableModules: false }))).toThrow(/n1: kernel 6.1.0-test cannot load modules, and dummy is not built in/);
  });

  it('a loadable module is loaded, persisted and given its options', () => {
    const change = new KernelModuleResource('kvm-intel', { nested: 1 }).diff(absent, ctx());
    expect(change).toMatchObject({ module: 'kvm_intel', steps: ['load', 'persist', 'options'], action: 'create' });
  });
});

describe('other resources', () => {
  it('sysctl compares words, so tab-separated kernel output matches', () => {
    const r = new SysctlResource('net.ipv4.ip_local_port_range', '32768 60999');
    const persisted = `regular file|644|root|root|10\n${Buffer.from('# managed by gridops\nnet.ipv4.ip_local_port_range = 32768 60999\n').toString('base64')}\n`;
    expect(r.diff(probeOutput('32768\t60999\n', persisted), { node: node(), facts: facts() })).toBeNull();
    expect(r.diff(probeOutput('1024\t60999\n', persisted), { node: node(), facts: facts() })!.steps).toEqual(['set']);
  });

  it('a systemd unit is written, started and enabled (the order apply runs them); restarted when its file changes while running', () => {
    const r = new SystemdUnitResource({ unit: 'gridagent.service', content: '[Service]\nExecStart=/bin/true\n' });
    expect(r.diff(probeOutput('absent\n', 'disabled\n', 'ActiveState=inactive\n'))!.steps).toEqual(['write', 'start', 'enable']);
    const old = `regular file|644|root|root|3\n${Buffer.from('old').toString('base64')}\n`;
    expect(r.diff(probeOutput(old, 'enabled\n', 'ActiveState=active\n'))!.steps).toEqual(['write', 'restart']);
  });

  it('a changed slice is only rewritten (daemon-reload applies its limits): a restart would stop what runs in it', () => {
    const r = new SystemdUnitResource({ unit: 'grid.slice', content: '[Slice]\nCPUQuota=40%\n' });
    const old = `regular file|644|root|root|3\n${Buffer.from('old').toString('base64')}\n`;
    expect(r.diff(probeOutput(old, 'enabled\n', 'ActiveState=active\n'))!.steps).toEqual(['write']);
    expect(r.diff(probeOutput(old, 'enabled\n', 'ActiveState=inactive\n'))!.steps).toEqual(['write', 'start']);
  });

  it('a command runs only when its guards say so', () => {
    const r = new CommandResource({ name: 'init', command: 'true', creates: '/x', unless: 'false' });
    expect(r.diff('creates-exists\n')).toBeNull();
    expect(r.diff('unless-ok\n')).toBeNull();
    expect(r.diff('')).toMatchObject({ action: 'run', summary: 'run init (/x does not exist)' });
  });

  it("a command's `unless` that ends in a comment is still its own check", async () => {
    const passes = new CommandResource({ name: 'c', command: 'true', unless: 'true # already done' });
    expect(passes.diff(await probe(passes.probe()))).toBeNull();
    const fails = new CommandResource({ name: 'c', command: 'true', unless: 'false # not yet' });
    expect(fails.diff(await probe(fails.probe()))).toMatchObject({ action: 'run' });
  });

  it('packages: only the missing ones are installed', () => {
    const r = new PackageResource(['nodejs', 'libvirt-daemon-system']);
    expect(r.diff('nodejs installed\nlibvirt-daemon-system missing\n', ctx())).toMatchObject({ packages: ['libvirt-daemon-system'], manager: 'apt' });
    expect(r.diff('nodejs installed\nlibvirt-daemon-system installed\n', ctx())).toBeNull();
  });

  it.each([
    ['', 'x=1', 'x=1\n', undefined],
    ['a\n', 'x=1', 'a\nx=1\n', undefined],
    ['x=1\n', 'x=1', 'x=1\n', undefined],
    ['x=0\ny=2\nx=5\n', 'x=1', 'x=0\ny=2\nx=1\n', /^x=/],
    ['y=2\n', 'x=1', 'y=2\nx=1\n', /^x=/],
  ] as Array<[string, string, string, RegExp | undefined]>)('ensureLine(%j, %j) gives %j', (text, line, want, match) => {
    expect(ensureLine(text, line, match)).toBe(want);
  });
});

describe('diff is pure: apply needs only the change', () => {
  it('a line change planned by one resource is applied by a fresh one (nothing kept between diff and apply)', async () => {
    const { LineResource } = await import('../../src/resources/line.js');
    const { StepRecorder } = await import('../../src/resources/step-recorder.js');
    const dir = mkdtempSync(join(tmpdir(), 'gridops-line-'));
    try {
      const path = join(dir, 'sshd_config');
      writeFileSync(path, 'Port 22\nPermitRootLogin yes\n');
      chmodSync(path, 0o640);
      const spec = { path, line: 'PermitRootLogin no', match: '^PermitRootLogin ' };
      const change = new LineResource(spec).diff(probeStdout(fileProbe(path)), { node: node(), facts: facts() })!;
      // The change carries the result for apply, which no JSON form of it shows (a saved plan, --json).
      const saved = JSON.parse(JSON.stringify(change));
      expect(saved).toMatchObject({ kind: 'line', action: 'update', mode: '0640', diff: expect.stringContaining('-PermitRootLogin yes\n+PermitRootLogin no') });
      expect(saved).not.toHaveProperty('content');
      expect(JSON.stringify(change)).not.toContain('Port 22');
      const recorder = new StepRecorder('local');
      recorder.begin(change.id);
      await new LineResource(spec).apply(change, recorder);
      execSync(recorder.steps.map((s) => s.command).join('\n'), { shell: '/bin/sh' });
      expect(execSync(`cat ${quote(path)}; stat -c %a ${quote(path)}`, { encoding: 'utf8' })).toBe('Port 22\nPermitRootLogin no\n640\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
