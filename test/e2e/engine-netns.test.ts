import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors/index.js';
import { describeAsRoot, gridops, gridopsAsync, ROOT } from './support/cli.js';

/** netns hosts have no systemd, so they run node-base alone (ad-hoc), not the grid's whole workflow. */
const NODE_BASE = ['--playbook', 'node-base'];

/**
 * The execution engine against real OpenSSH servers: a netns lab (real sshd per host, real
 * host keys), applied, planned, tampered with, interrupted, and attacked with hostile values.
 */

jest.setTimeout(300_000);

describeAsRoot('engine e2e (netns lab, real sshd)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-engine-'));
  const topology = join(dir, 'topology.yaml');
  const key = join(dir, 'id_ed25519');
  const knownHosts = join(dir, 'known_hosts');
  const ssh = (address: string, command: string) =>
    execFileSync('ssh', ['-i', key, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${address}`, command], { encoding: 'utf8' });
  let addresses: string[] = [];

  /** A variant of the lab topology, written beside it (same grid, so the same state and lock). */
  const variant = (name: string, edit: (text: string) => string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, edit(readFileSync(topology, 'utf8')));
    return file;
  };

  beforeAll(() => {
    const up = gridops(['lab', 'up', '--kind', 'netns', '--nodes', '3', '--dir', dir]);
    if (up.status !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
    addresses = [...readFileSync(topology, 'utf8').matchAll(/address: ([\d.]+)/g)].map((m) => m[1]!);
    expect(addresses).toHaveLength(3);
  });

  afterAll(() => {
    gridops(['lab', 'down', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the lab topology, then plans zero changes (idempotence)', () => {
    const apply = gridops(['apply', topology, ...NODE_BASE, '--yes']);
    expect(apply.stderr).not.toMatch(/error|warning/i);
    expect(apply.status).toBe(0);
    expect(apply.stdout).toMatch(/Apply: \d+ changes on 3 hosts/);
    const plan = gridops(['plan', topology, ...NODE_BASE, '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes.');
    expect(plan.status).toBe(0);
    const identity = JSON.parse(ssh(addresses[1]!, 'cat /etc/gridops/node.json'));
    expect(identity).toMatchObject({ grid: 'lab', node: 'node-02', subgrid: 'subgrid-1' });
  });

  it('tampering with one file on one node gives a plan of exactly that one change', () => {
    ssh(addresses[2]!, 'echo tampered >> /etc/gridops/node.json');
    const plan = gridops(['plan', topology, ...NODE_BASE, '--detailed-exitcode', '--json']);
    expect(plan.status).toBe(2);
    const data = JSON.parse(plan.stdout);
    const changed = data.hosts.filter((h: { changes: unknown[] }) => h.changes.length > 0);
    expect(changed).toHaveLength(1);
    expect(changed[0].host).toBe('node-03');
    expect(changed[0].changes.map((c: { id: string }) => c.id)).toEqual(['file /etc/gridops/node.json']);
    expect(gridops(['apply', topology, ...NODE_BASE, '--yes']).status).toBe(0);
    expect(gridops(['plan', topology, ...NODE_BASE, '--detailed-exitcode']).status).toBe(0);
  });

  it('files, lines and a guarded command are read without a shell (SFTP) where expected in sync, and drift is found as the shell read finds it', () => {
    const playbook = join(dir, 'sftp-read.yaml');
    writeFileSync(
      playbook,
      [
        'name: e2e-sftp-read',
        'resources:',
        '  - file: { path: /etc/gridops-e2e-sftp, content: "hello\\n", mode: "0640", owner: root, group: root }',
        '  - line: { path: /etc/gridops-e2e-sftp.conf, line: "managed=yes", match: "^managed=" }',
        '  - command: { name: mark, run: "touch /var/tmp/gridops-e2e-sftp-marker", creates: /var/tmp/gridops-e2e-sftp-marker }',
        '',
      ].join('\n'),
    );
    const run = (verb: string, ...extra: string[]) => gridops([verb, topology, '--playbook', playbook, '-v', ...extra]);
    const withoutShell = (r: { stderr: string }) => /hosts read without a shell \(SFTP\): (\d+) of (\d+)/.exec(r.stderr)?.slice(1).map(Number);
    // A first apply expects changes: it holds each host's shell for its batch.
    const first = run('apply', '--yes');
    expect(first.status).toBe(0);
    expect(withoutShell(first)).toEqual([0, 3]);
    // In sync: the plan and a no-change apply read every host over SFTP and find nothing.
    const plan = run('plan', '--detailed-exitcode');
    expect({ status: plan.status, hosts: withoutShell(plan) }).toEqual({ status: 0, hosts: [3, 3] });
    const again = run('apply', '--yes');
    expect({ status: again.status, hosts: withoutShell(again) }).toEqual({ status: 0, hosts: [3, 3] });
    // Drift of every kind the read serves: content, mode, owner and group (named from the host's
    // /etc/passwd and /etc/group), a line, the command's `creates`.
    ssh(addresses[0]!, 'echo tampered > /etc/gridops-e2e-sftp');
    ssh(addresses[1]!, 'chmod 0644 /etc/gridops-e2e-sftp && chown nobody:nogroup /etc/gridops-e2e-sftp && sed -i s/managed=yes/managed=no/ /etc/gridops-e2e-sftp.conf');
    ssh(addresses[2]!, 'rm /var/tmp/gridops-e2e-sftp-marker');
    const driftRead = run('plan', '--detailed-exitcode');
    expect({ status: driftRead.status, hosts: withoutShell(driftRead) }).toEqual({ status: 2, hosts: [3, 3] });
    const drift = gridops(['plan', topology, '--playbook', playbook, '--json']);
    const changes = (JSON.parse(drift.stdout) as { hosts: Array<{ host: string; changes: Array<{ id: string; fields?: Array<{ name: string }> }> }> }).hosts.map((h) => ({ host: h.host, changes: h.changes.map((c) => `${c.id}${c.fields?.length ? ` (${c.fields.map((f) => f.name).join(', ')})` : ''}`) }));
    expect(changes).toEqual([
      { host: 'node-01', changes: ['file /etc/gridops-e2e-sftp (content)'] },
      { host: 'node-02', changes: ['file /etc/gridops-e2e-sftp (mode, owner, group)', 'line /etc/gridops-e2e-sftp.conf "managed=yes" (line)'] },
      { host: 'node-03', changes: ['command mark'] },
    ]);
    // Shims that log each call before running the real program, on two hosts (/usr is overlaid per
    // lab host): a batch under the remote `timeout`, or placing its files with a `mv` each, would call them.
    const shims = addresses.slice(0, 2);
    for (const a of shims) {
      ssh(a, `for p in timeout mv; do printf '#!/bin/sh\\necho %s >> /var/tmp/gridops-e2e-calls\\nexec /usr/bin/%s "$@"\\n' "$p" "$p" > /usr/local/bin/$p; chmod 755 /usr/local/bin/$p; done`);
      expect(ssh(a, 'timeout 5 true && cat /var/tmp/gridops-e2e-calls && rm /var/tmp/gridops-e2e-calls')).toBe('timeout\n');
    }
    // The apply reads them over SFTP too (the state expects them in sync); each batch runs in a held
    // shell of its own, which said its umask and that rename.ul is there; and it converges.
    const fix = run('apply', '--yes');
    expect({ status: fix.status, hosts: withoutShell(fix) }).toEqual({ status: 0, hosts: [3, 3] });
    for (const a of shims) expect(ssh(a, 'cat /var/tmp/gridops-e2e-calls 2>/dev/null; rm -f /usr/local/bin/timeout /usr/local/bin/mv /var/tmp/gridops-e2e-calls')).toBe('');
    expect(ssh(addresses[0]!, 'cat /etc/gridops-e2e-sftp; stat -c %a /etc/gridops-e2e-sftp; ls /var/tmp/gridops-e2e-sftp-marker')).toBe('hello\n640\n/var/tmp/gridops-e2e-sftp-marker\n');
    expect(ssh(addresses[1]!, 'stat -c "%a %U:%G" /etc/gridops-e2e-sftp')).toBe('640 root:root\n');
    expect(run('plan', '--detailed-exitcode').status).toBe(0);
    // A probe only a shell can run (a command's `unless`): every host is read with its shell.
    const unless = join(dir, 'unless.yaml');
    writeFileSync(unless, 'name: e2e-unless\nresources:\n  - command: { name: check, run: "true", unless: "test -e /etc/hostname" }\n');
    const shellOnly = gridops(['plan', topology, '--playbook', unless, '-v', '--detailed-exitcode']);
    expect({ status: shellOnly.status, hosts: withoutShell(shellOnly) }).toEqual({ status: 0, hosts: [0, 3] });
    for (const a of addresses) ssh(a, 'rm -f /etc/gridops-e2e-sftp /etc/gridops-e2e-sftp.conf /var/tmp/gridops-e2e-sftp-marker');
  });

  it('a saved plan is applied exactly, and refused once a host has changed', () => {
    ssh(addresses[0]!, 'rm -f /etc/gridops/node.json');
    const out = join(dir, 'plan.json');
    expect(gridops(['plan', topology, ...NODE_BASE, '--out', out]).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).hosts[0].changes).toHaveLength(1);
    ssh(addresses[1]!, 'chmod 700 /var/lib/gridops');
    const stale = gridops(['apply', topology, ...NODE_BASE, '--plan', out]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/hosts changed since the plan was saved: node-02/);
    expect(ssh(addresses[0]!, 'test -e /etc/gridops/node.json && echo yes || echo no').trim()).toBe('no');
    expect(gridops(['plan', topology, ...NODE_BASE, '--out', out]).status).toBe(0);
    expect(gridops(['apply', topology, ...NODE_BASE, '--plan', out]).status).toBe(0);
    expect(gridops(['plan', topology, ...NODE_BASE, '--detailed-exitcode']).status).toBe(0);
    // A plan made with --limit is applied to its nodes alone: other hosts' own changes neither stale it nor get made.
    for (const a of addresses.slice(0, 2)) ssh(a, 'rm -f /etc/gridops/node.json');
    expect(gridops(['plan', topology, ...NODE_BASE, '--limit', 'node-01', '--out', out]).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).limit).toEqual(['node-01']);
    const other = gridops(['apply', topology, ...NODE_BASE, '--plan', out, '--limit', 'node-02']);
    expect(other.status).toBe(64);
    expect(other.stderr).toMatch(/--limit node-02 does not match the saved plan, which was made with --limit node-01/);
    expect(gridops(['apply', topology, ...NODE_BASE, '--plan', out]).status).toBe(0);
    expect(ssh(addresses[0]!, 'test -e /etc/gridops/node.json && echo yes || echo no').trim()).toBe('yes');
    expect(ssh(addresses[1]!, 'test -e /etc/gridops/node.json && echo yes || echo no').trim()).toBe('no');
    expect(gridops(['apply', topology, ...NODE_BASE, '--yes']).status).toBe(0);
    expect(gridops(['plan', topology, ...NODE_BASE, '--detailed-exitcode']).status).toBe(0);
  });

  it('a host whose key differs from known_hosts is refused before any change on any host', () => {
    const badKnownHosts = join(dir, 'known_hosts.bad');
    const wrongKey = readFileSync(knownHosts, 'utf8')
      .split('\n')
      .map((line) => (line.startsWith(`${addresses[2]} `) ? line.replace(/ssh-ed25519 \S+/, `ssh-ed25519 ${readFileSync(`${key}.pub`, 'utf8').split(' ')[1]}`) : line))
      .join('\n');
    writeFileSync(badKnownHosts, wrongKey);
    const file = variant('badkey', (t) => t.replaceAll(knownHosts, badKnownHosts));
    const r = gridops(['apply', file, '--yes', '--playbook', `${ROOT}test/e2e/fixtures/slow.yaml`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/node-03.*(CHANGED|changed)/);
    expect(r.stderr).toMatch(/SHA256:/);
    for (const a of addresses) expect(ssh(a, 'test -e /etc/gridops-slow && echo yes || echo no').trim()).toBe('no');
  });

  it('an unknown host is refused with its fingerprint; --accept-new-host-keys records it explicitly', () => {
    const partial = join(dir, 'known_hosts.partial');
    writeFileSync(partial, readFileSync(knownHosts, 'utf8').split('\n').filter((l) => !l.startsWith(`${addresses[1]} `)).join('\n'));
    const file = variant('unknown-host', (t) => t.replaceAll(knownHosts, partial));
    const refused = gridops(['plan', file, ...NODE_BASE]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`node-02.*not in ${partial.replace(/[.]/g, '\\.')}|node-02.*unknown`, 'i'));
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', knownHosts], { encoding: 'utf8' }).split('\n').find((l) => l.includes(addresses[1]!))!.split(' ')[1]!;
    expect(refused.stderr).toContain(fingerprint);
    const accepted = gridops(['plan', file, ...NODE_BASE, '--accept-new-host-keys']);
    expect(accepted.status).toBe(0);
    // Recorded as ssh records it: hashed where this machine's /etc/ssh/ssh_config says HashKnownHosts yes (Debian's does), else plain; ssh-keygen -F finds either.
    expect(execFileSync('ssh-keygen', ['-F', addresses[1]!, '-f', partial], { encoding: 'utf8' })).toMatch(/ ssh-ed25519 /);
    expect(gridops(['plan', file, ...NODE_BASE]).status).toBe(0);
  });

  it('an unreachable node is reported and the others are applied', () => {
    const file = variant('unreachable', (t) => t.replace('knownHosts:', 'connectTimeout: 2s, knownHosts:').replace(/(\n\s+- \{ name: node-03, address: )([\d.]+)( \})/, `$1$2$3\n          - { name: node-99, address: ${addresses[0]!.replace(/\.\d+$/, '.250')} }`));
    const r = gridops(['apply', file, '--yes', '--playbook', `${ROOT}test/e2e/fixtures/hostile.yaml`.replace('hostile', 'slow')]);
    expect(r.status).toBe(1);
    // Named once: the summary's line gives the host, the message does not again.
    expect(r.stdout).toMatch(/UNREACHABLE node-99: cannot connect to /);
    expect(r.stdout + r.stderr).not.toMatch(/node-99: node-99/);
    for (const a of addresses) expect(ssh(a, 'cat /etc/gridops-slow/b')).toBe('b\n');
  });

  it("files written in a row are placed together before the command that reads them; a directory in one's place stops the batch with its reason, and a re-run converges", () => {
    const placed = ['--limit', 'node-02', '--playbook', `${ROOT}test/e2e/fixtures/placed.yaml`];
    ssh(addresses[1]!, 'rm -rf /etc/gridops-placed && mkdir -p /etc/gridops-placed/b && touch /etc/gridops-placed/b/inside');
    const failed = gridops(['apply', topology, '--yes', ...placed]);
    expect(failed.status).toBe(ExitCode.FAILURE);
    expect(failed.stdout + failed.stderr).toMatch(/FAILED node-02 at file \/etc\/gridops-placed\/b, step write \/etc\/gridops-placed\/b: exit 1\n[\s\S]*Is a directory/);
    // The change before it in place, the directory as it was, the command not run, no temp file left.
    expect(ssh(addresses[1]!, 'cat /etc/gridops-placed/a; ls -A /etc/gridops-placed /etc/gridops-placed/b')).toBe('a\n/etc/gridops-placed:\na\nb\n\n/etc/gridops-placed/b:\ninside\n');
    ssh(addresses[1]!, 'rm -rf /etc/gridops-placed/b');
    const again = gridops(['apply', topology, '--yes', ...placed]);
    expect(again.status).toBe(0);
    expect(ssh(addresses[1]!, 'cat /etc/gridops-placed/c; ls -A /etc/gridops-placed')).toBe('a\nb\na\nb\nc\n');
    expect(gridops(['plan', topology, '--detailed-exitcode', ...placed]).status).toBe(0);
  });

  it('a hostile label value lands verbatim in files and no injected command runs', () => {
    const evil = `$(touch /root/pwned); \`touch /root/pwned2\` ' " \\ && touch /root/pwned3 # ${'x'.repeat(40)}`;
    const file = variant('hostile', (t) => t.replace('{ name: node-01, address: ', `{ name: node-01, labels: { evil: ${JSON.stringify(evil)} }, address: `));
    const other = variant('hostile-others', (t) => t);
    const r = gridops(['apply', file, '--yes', '--limit', 'node-01', '--playbook', `${ROOT}test/e2e/fixtures/hostile.yaml`, '--playbook', 'node-base']);
    expect(r.stderr).not.toMatch(/error|warning/i);
    expect(r.status).toBe(0);
    expect(ssh(addresses[0]!, 'cat /root/echoed')).toBe(evil);
    expect(ssh(addresses[0]!, 'cat /root/label.txt')).toBe(evil);
    expect(JSON.parse(ssh(addresses[0]!, 'cat /etc/gridops/node.json')).labels.evil).toBe(evil);
    expect(ssh(addresses[0]!, 'ls /root/pwned /root/pwned2 /root/pwned3 2>/dev/null || true')).toBe('');
    // put node-01's identity back for the other tests
    expect(gridops(['apply', other, ...NODE_BASE, '--yes']).status).toBe(0);
  });

  it('a concurrent second apply is refused, naming the holder; SIGKILL midway then re-run converges', async () => {
    const slow = `${ROOT}test/e2e/fixtures/slow-lock.yaml`;
    for (const a of addresses) ssh(a, 'rm -rf /etc/gridops-slow');
    const first = gridopsAsync(['apply', topology, '--yes', '--json', '--playbook', slow]);
    let events = '';
    first.stderr!.on('data', (d: Buffer) => (events += d.toString()));
    await waitFor(() => events.includes('"change-start"'), 20_000);
    const second = gridops(['apply', topology, '--yes', '--playbook', slow]);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`locked by process ${first.pid}`));
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const rerun = gridops(['apply', topology, '--yes', '--playbook', slow, '-v']);
    expect(rerun.stderr).toMatch(/stale lock/);
    expect(rerun.status).toBe(0);
    expect(gridops(['plan', topology, '--detailed-exitcode', '--playbook', slow]).status).toBe(0);
    for (const a of addresses) expect(ssh(a, 'ls /etc/gridops-slow').split('\n').filter(Boolean).sort()).toEqual(['a', 'b', 'one', 'two']);
  });

  it('a non-root SSH user applies through sudo with a password that never reaches logs, plans or state', () => {
    const password = 'pw-$(touch /root/pwned-sudo)-s3cr3t';
    ssh(addresses[0]!, `id op >/dev/null 2>&1 || useradd -m -s /bin/bash op && printf '%s\\n' ${JSON.stringify(`op:${password}`).replace(/\$/g, '\\$')} | chpasswd && mkdir -p /home/op/.ssh && cp /root/.ssh/authorized_keys /home/op/.ssh/ && chown -R op: /home/op/.ssh && echo 'op ALL=(ALL) ALL' > /etc/sudoers.d/op && chmod 440 /etc/sudoers.d/op && rm -rf /etc/gridops /var/lib/gridops`);
    const file = variant('become', (t) => t.replace('user: root', 'user: op'));
    const log = join(dir, 'become.log');
    const out = join(dir, 'become-plan.json');
    const env = { GRIDOPS_BECOME_PASSWORD: password };
    const plan = gridops(['plan', file, ...NODE_BASE, '--limit', 'node-01', '--out', out, '--log-file', log], { env });
    expect(plan.status).toBe(0);
    const apply = gridops(['apply', file, ...NODE_BASE, '--limit', 'node-01', '--yes', '--log-file', log], { env });
    expect(apply.stderr).not.toMatch(/error|warning/i);
    expect(apply.status).toBe(0);
    expect(ssh(addresses[0]!, 'stat -c %U:%a /etc/gridops/node.json /var/lib/gridops')).toBe('root:644\nroot:751\n');
    expect(gridops(['plan', file, ...NODE_BASE, '--limit', 'node-01', '--detailed-exitcode'], { env }).status).toBe(0);
    const state = readFileSync(join(dir, '.gridops', 'lab.state.json'), 'utf8');
    for (const text of [plan.stdout, plan.stderr, apply.stdout, readFileSync(out, 'utf8'), readFileSync(log, 'utf8'), state]) expect(text).not.toContain('s3cr3t');
    expect(ssh(addresses[0]!, 'ls /root/pwned-sudo 2>/dev/null || true')).toBe('');
    const wrong = gridops(['apply', file, ...NODE_BASE, '--limit', 'node-01', '--yes'], { env: { GRIDOPS_BECOME_PASSWORD: 'wrong' } });
    expect(wrong.status).toBe(1);
    expect(`${wrong.stdout}${wrong.stderr}`).toMatch(/sudo rejected the become password/);
  });

  it('Ctrl-C lets the running host finish, starts no other, records state, and a re-run converges', async () => {
    const slow = `${ROOT}test/e2e/fixtures/slow.yaml`;
    for (const a of addresses) ssh(a, 'rm -rf /etc/gridops-slow');
    const run = gridopsAsync(['apply', topology, '--yes', '--json', '--concurrency', '1', '--playbook', slow]);
    let events = '';
    run.stderr!.on('data', (d: Buffer) => (events += d.toString()));
    await waitFor(() => events.includes('"change-start"'), 20_000);
    run.kill('SIGINT');
    const code = await new Promise((resolve) => run.once('exit', resolve));
    expect(code).toBe(130);
    const done = addresses.filter((a) => ssh(a, 'ls /etc/gridops-slow 2>/dev/null || true').includes('two'));
    const untouched = addresses.filter((a) => ssh(a, 'test -e /etc/gridops-slow && echo yes || echo no').trim() === 'no');
    expect(done).toHaveLength(1);
    expect(untouched).toHaveLength(2);
    const state = JSON.parse(readFileSync(join(dir, '.gridops', 'lab.state.json'), 'utf8'));
    expect(Object.values(state.hosts).filter((h) => (h as { lastOutcome: string }).lastOutcome === 'skipped')).toHaveLength(2);
    expect(gridops(['apply', topology, '--yes', '--playbook', slow]).status).toBe(0);
    expect(gridops(['plan', topology, '--detailed-exitcode', '--playbook', slow]).status).toBe(0);
  });

  it('reaches nodes through a jump host (ssh.jumpHost), tunnelled by the same SSH library', () => {
    const file = variant('jump', (t) => t.replace('knownHosts:', `jumpHost: "root@${addresses[0]}:22", knownHosts:`));
    for (const a of addresses) ssh(a, 'rm -f /root/ssh-client');
    const r = gridops(['apply', file, '--yes', '--limit', 'node-02,node-03', '--playbook', `${ROOT}test/e2e/fixtures/jump.yaml`]);
    expect(r.status).toBe(0);
    for (const a of addresses.slice(1)) expect(ssh(a, 'cat /root/ssh-client').split(' ')[0]).toBe(addresses[0]);
  });

  it('a module the kernel cannot load is a planning error naming the host; a built-in one is a note', () => {
    const file = variant('modules', (t) => t.replace('agent: { port: 7946 }', 'agent: { port: 7946 }\n  kernel: { modules: [kvm, gridops_no_such_module] }'));
    const r = gridops(['apply', file, ...NODE_BASE, '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/node-0\d: kernel .* cannot load modules, and gridops_no_such_module is not built in/);
    const builtIn = variant('builtin', (t) => t.replace('agent: { port: 7946 }', 'agent: { port: 7946 }\n  kernel: { modules: [kvm] }'));
    const plan = gridops(['plan', builtIn, ...NODE_BASE, '--detailed-exitcode']);
    expect(plan.stdout).toMatch(/= kernel-module kvm: kvm is built into kernel/);
    expect(plan.status).toBe(0);
  });
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
