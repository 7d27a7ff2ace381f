import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MutationGate, type GateItem } from '../../src/engine/gate.js';
import { batchScript } from '../../src/engine/batch-script.js';
import { StepRecorder, stepScript, type RecordedStep } from '../../src/resources/step-recorder.js';
import type { Change } from '../../src/plan/change.js';
import { DirectoryResource } from '../../src/resources/directory.js';
import { FileResource } from '../../src/resources/file.js';
import { KernelModuleResource } from '../../src/resources/kernel-module.js';
import type { Resource } from '../../src/resources/resource.js';
import { SysctlResource } from '../../src/resources/sysctl.js';
import { SystemdUnitResource } from '../../src/resources/systemd-unit.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { facts, node } from './fixtures.js';

/**
 * A failed step leaves the host as it was. Each batch really runs in a local shell; the host's
 * root is a temp directory (the recording transport moves `/etc/` there) and the host's
 * sysctl, modprobe and systemd-analyze are small scripts that fail the way the real tools do
 * on a bad file (the e2e runs the real ones in a container lab).
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-checked-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');

const bin = join(dir, 'bin');
mkdirSync(bin);
const tool = (name: string, body: string) => (writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`), chmodSync(join(bin, name), 0o755));
// sysctl -p FILE / -w -- KEY=VALUE: the kernel refuses a value that is not numbers (EINVAL), as
// tcp_keepalive_time does; a good one lands in the host's /proc/sys (under PROC_ROOT), where
// ip_local_reserved_ports, as the kernel does, keeps a list as sorted ranges; nr_hugepages keeps
// no more than 100 (the memory there is), and stat_refresh reads nothing back. Its calls go to ROOT.sysctl-calls.
tool(
  'sysctl',
  `case "$2" in -p) k=$(sed -n 's/^\\([^#][^ ]*\\) = .*/\\1/p' "$3"); v=$(sed -n 's/^[^#]* = //p' "$3");; -w) k=\${4%%=*}; v=\${4#*=};; *) exit 0;; esac
case "$v" in *[!0-9,]*) echo "sysctl: setting key: Invalid argument" >&2; exit 1;; 8081,8080,9000) v=8080-8081,9000;; esac
echo "$*" >> "$PROC_ROOT.sysctl-calls"
case "$k" in vm.nr_hugepages) [ "$v" -le 100 ] || v=100;; vm.stat_refresh) v=;; esac
p="$PROC_ROOT/proc/sys/$(printf %s "$k" | tr . /)"; mkdir -p "\${p%/*}"; printf '%s\\n' "$v" > "$p"`,
);
// modprobe NAME: only "loop" exists; --showconfig accepts any file.
tool('modprobe', `case "$*" in *--showconfig*) exit 0;; *" loop"*) exit 0;; *) echo "modprobe: FATAL: Module $3 not found" >&2; exit 1;; esac`);
// systemd-analyze verify: refuses a unit whose ExecStart is not executable.
tool('systemd-analyze', `e=$(sed -n 's/^ExecStart=//p' "$2" | cut -d' ' -f1); [ -x "$e" ] || { echo "Command $e is not executable" >&2; exit 1; }`);
tool('systemctl', 'exit 0');

function host(root: string) {
  return new RecordingTransport('n1').on(/^sh -s$/, (command, { options }) =>
    local.exec(`PATH=${bin}:$PATH PROC_ROOT=${root} ${command}`, { stdin: String(options.stdin).replaceAll('/etc/', `${root}/etc/`).replaceAll('/proc/sys/', `${root}/proc/sys/`) }),
  );
}

async function applyOne(root: string, resource: Resource, probe: string) {
  const change = resource.diff(probe, { node: node(), facts: facts({ loadableModules: true }) })!;
  const items: GateItem[] = [{ change: change as Change, perform: (w) => resource.apply(change as never, w, { node: node(), facts: facts() }) }];
  return new MutationGate(() => undefined).pass(host(root), false, items);
}

/** Every file under root, with content: a failed step must leave this unchanged (no temp files either). */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) (out[`${p}/`] = ''), walk(p);
      else out[p] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

function hostRoot(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(dir, 'host-'));
  for (const d of ['etc/sysctl.d', 'etc/modprobe.d', 'etc/modules-load.d', 'etc/systemd/system', 'proc/sys/net/ipv4', 'proc/sys/vm']) mkdirSync(join(root, d), { recursive: true });
  for (const [path, content] of Object.entries(files)) writeFileSync(join(root, path), content);
  return root;
}

/**
 * Both forms of a write: in a subshell of its own, and in the batch's own shell where the batch's
 * umask is known (a batch held in its read's session). `sessionUmask`: the umask the batch's
 * shell starts with, which the second form is told.
 */
const FORMS: Array<[string, (sessionUmask: string) => StepRecorder]> = [
  ['in a subshell', () => new StepRecorder('n1')],
  ["in the batch's own shell", (sessionUmask) => new StepRecorder('n1', { shell: { umask: sessionUmask.padStart(4, '0'), renameUl: false } })],
  ['staged in the batch\'s own shell and placed by rename.ul', (sessionUmask) => new StepRecorder('n1', { shell: { umask: sessionUmask.padStart(4, '0'), renameUl: true } })],
];
const STAGED = FORMS[2]![0];
const MARK = '@@test-batch@@';
/** The steps as their batch runs them: staged writes are placed by the batch (batchScript); the others run as they are. */
const batchOf = (steps: readonly RecordedStep[]) =>
  steps.some((s) => s.placement) ? batchScript([...new Set(steps.map((s) => s.change))].map((id) => ({ id })), steps, MARK) : `${steps.map(stepScript).join('\n')}\n`;
/** stdout without the batch's markers. */
const withoutMarks = (stdout: string) => stdout.split('\n').filter((l) => !l.startsWith(MARK)).join('\n');
/** Temp files of any form: `.NAME.gridops.RANDOM`, or a staged write's `.gridops-RANDOM~NAME`. */
const temps = (d: string) => readdirSync(d).filter((f) => /\.gridops[.-]/.test(f));
/** The temp name a write's command makes, in either form. */
const tempOf = (command: string) => /^\(? ?t='?([^';]+)'?;/.exec(command)![1]!;

describe.each(FORMS)('StepRecorder.write %s: temp file, check, then rename', (_form, recorder) => {
  const run = async (writer: StepRecorder) => local.exec('umask 0022; sh -s', { stdin: batchOf(writer.steps) });

  it('writes any content byte for byte: text with printf (no exec), other bytes with base64', async () => {
    const root = hostRoot();
    const cases: Array<[string, Buffer]> = [
      ['hostile', Buffer.from(`it's $(touch pwned) \`x\` %s %d \\n "q"\r\n☃ no newline at the end`)],
      ['empty', Buffer.alloc(0)],
      ['dash', Buffer.from('-n -e\n')],
      ['nul', Buffer.from([104, 0, 105, 10])],
      ['latin1', Buffer.from([0xe9, 0x74, 0xe9, 10])],
    ];
    const writer = recorder('0022');
    for (const [name, content] of cases) await writer.write(join(root, 'etc', name), content, '0644');
    expect(writer.steps.map((step) => step.command.includes('base64 -d'))).toEqual([false, false, false, true, true]);
    expect((await run(writer)).code).toBe(0);
    for (const [name, content] of cases) expect(readFileSync(join(root, 'etc', name))).toEqual(content);
    expect(existsSync(join(process.cwd(), 'pwned'))).toBe(false);
  });

  it('a failing check leaves the old file and no temp file', async () => {
    const root = hostRoot({ 'etc/app.conf': 'old\n' });
    const writer = recorder('0022');
    await writer.write(join(root, 'etc/app.conf'), Buffer.from('new\n'), '0644', { check: 'grep -q valid "$t"', checkName: 'grep' });
    const r = await run(writer);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('the new content failed its check (grep); the file was left as it was');
    expect(readdirSync(join(root, 'etc'))).toEqual(['app.conf', 'modprobe.d', 'modules-load.d', 'sysctl.d', 'systemd']);
    expect(readFileSync(join(root, 'etc/app.conf'), 'utf8')).toBe('old\n');
  });

  it('a passing check sees the new content in "$t", and the file lands with its mode', async () => {
    const root = hostRoot();
    const writer = recorder('0022');
    await writer.write(join(root, 'etc/app.conf'), Buffer.from('valid\n'), '0600', { check: 'grep -q valid "$t"' });
    expect((await run(writer)).code).toBe(0);
    expect(readFileSync(join(root, 'etc/app.conf'), 'utf8')).toBe('valid\n');
    expect(readdirSync(join(root, 'etc')).filter((f) => f.includes('gridops'))).toEqual([]);
  });

  it('an owner that does not exist fails before the file lands', async () => {
    const root = hostRoot();
    const writer = recorder('0022');
    await writer.write(join(root, 'etc/app.conf'), Buffer.from('x\n'), '0644', { owner: 'no-such-user-gridops' });
    expect((await run(writer)).code).not.toBe(0);
    expect(existsSync(join(root, 'etc/app.conf'))).toBe(false);
    expect(readdirSync(join(root, 'etc')).filter((f) => f.includes('gridops'))).toEqual([]);
  });
});

describe('each resource kind that can fail after writing leaves the host as it was', () => {
  it('sysctl: a value the kernel refuses leaves the old sysctl.d file (and none when there was none)', async () => {
    const key = 'net.ipv4.tcp_keepalive_time';
    const previous: Array<Record<string, string>> = [{}, { [`etc/sysctl.d/99-zz-gridops-${key}.conf`]: `# managed by gridops\n${key} = 7200\n` }];
    for (const before of previous) {
      const root = hostRoot(before);
      const was = snapshot(root);
      const result = await applyOne(root, new SysctlResource(key, '7200$(touch /tmp/x)'), '7200\n@@gridops-probe-section@@\nabsent\n');
      expect(result.failure?.step).toBe(`write /etc/sysctl.d/99-zz-gridops-${key}.conf (checked by sysctl -p)`);
      expect(result.failure?.stderr).toContain('Invalid argument');
      expect(snapshot(root)).toEqual(was);
    }
  });

  it('sysctl: a good value lands', async () => {
    const root = hostRoot();
    const result = await applyOne(root, new SysctlResource('vm.swappiness', 10), '60\n@@gridops-probe-section@@\nabsent\n');
    expect(result.failure).toBeUndefined();
    expect(readFileSync(join(root, 'etc/sysctl.d/99-zz-gridops-vm.swappiness.conf'), 'utf8')).toBe('# managed by gridops\nvm.swappiness = 10\n');
  });

  // A value the kernel stores in another form would be planned again at every run: the apply fails
  // and says the kernel's form, with the kernel's old value and the old file (or none) kept.
  it.each([
    ['a new sysctl.d file (checked by sysctl -p)', 'absent\n', {}],
    ['the value alone (sysctl -w)', `regular file|644|root|root|0\n${Buffer.from('# managed by gridops\nnet.ipv4.ip_local_reserved_ports = 8081,8080,9000\n').toString('base64')}\n`, { 'etc/sysctl.d/99-zz-gridops-net.ipv4.ip_local_reserved_ports.conf': '# managed by gridops\nnet.ipv4.ip_local_reserved_ports = 8081,8080,9000\n' }],
  ])('sysctl: a value the kernel reads back in another form fails with its form to write, leaving the host as it was: %s', async (_, fileProbe, files) => {
    const key = 'net.ipv4.ip_local_reserved_ports';
    const root = hostRoot({ ...files, 'proc/sys/net/ipv4/ip_local_reserved_ports': '9000\n' });
    const was = snapshot(root);
    const result = await applyOne(root, new SysctlResource(key, '8081,8080,9000'), `9000\n@@gridops-probe-section@@\n${fileProbe}`);
    expect(result.failure?.stderr).toContain("Write the kernel's form as the value: 8080-8081,9000");
    expect(snapshot(root)).toEqual(was);
  });

  it('sysctl: a value the kernel keeps less of (vm.nr_hugepages, memory short) says what it holds and what to do, not to write that', async () => {
    const root = hostRoot({ 'proc/sys/vm/nr_hugepages': '0\n' });
    const result = await applyOne(root, new SysctlResource('vm.nr_hugepages', 512), '0\n@@gridops-probe-section@@\nabsent\n');
    expect(result.failure?.stderr).toContain('the kernel holds 100 for vm.nr_hugepages after writing vm.nr_hugepages = "512"');
    expect(result.failure?.stderr).toContain('(the old value was put back)');
    expect(result.failure?.stderr).not.toContain("Write the kernel's form");
    expect(readFileSync(join(root, 'proc/sys/vm/nr_hugepages'), 'utf8')).toBe('0\n');
    expect(readdirSync(join(root, 'etc/sysctl.d'))).toEqual([]);
  });

  it('sysctl: a value that reads back empty says so, and an old value that read empty is not "put back" (no sysctl -w KEY=)', async () => {
    const root = hostRoot({ 'proc/sys/vm/stat_refresh': '' });
    const result = await applyOne(root, new SysctlResource('vm.stat_refresh', 1), '\n@@gridops-probe-section@@\nabsent\n');
    expect(result.failure?.stderr).toContain('the kernel reads vm.stat_refresh back empty after writing vm.stat_refresh = "1"');
    expect(result.failure?.stderr).toContain('nothing was put back');
    expect(result.failure?.stderr).not.toContain("Write the kernel's form");
    expect(readFileSync(`${root}.sysctl-calls`, 'utf8')).not.toMatch(/-w -- vm\.stat_refresh=$/m);
  });

  it('sysctl: a file of the old name (90-gridops-KEY.conf, which 99-sysctl.conf overrode) is removed once the new one is in place', async () => {
    const root = hostRoot({ 'etc/sysctl.d/90-gridops-vm.swappiness.conf': '# managed by gridops\nvm.swappiness = 10\n', 'proc/sys/vm/swappiness': '10\n' });
    const result = await applyOne(root, new SysctlResource('vm.swappiness', 10), '10\n@@gridops-probe-section@@\nabsent\n@@gridops-probe-section@@\npresent\n');
    expect(result.failure).toBeUndefined();
    expect(readdirSync(join(root, 'etc/sysctl.d'))).toEqual(['99-zz-gridops-vm.swappiness.conf']);
  });

  it('kernel-module: a module that cannot load leaves no modules-load.d or modprobe.d file', async () => {
    const root = hostRoot();
    const was = snapshot(root);
    const result = await applyOne(root, new KernelModuleResource('no_such_mod', { debug: 1 }), 'not-loaded\n@@gridops-probe-section@@\nabsent\n@@gridops-probe-section@@\nabsent\n');
    expect(result.failure?.step).toBe('modprobe no_such_mod');
    expect(snapshot(root)).toEqual(was);
    const ok = await applyOne(root, new KernelModuleResource('loop', { max_loop: 8 }), 'not-loaded\n@@gridops-probe-section@@\nabsent\n@@gridops-probe-section@@\nabsent\n');
    expect(ok.failure).toBeUndefined();
    expect(readFileSync(join(root, 'etc/modprobe.d/zz-gridops-loop.conf'), 'utf8')).toContain('options loop max_loop=8');
  });

  it('systemd-unit: a unit systemd cannot load leaves the old unit file', async () => {
    const root = hostRoot({ 'etc/systemd/system/app.service': '[Service]\nExecStart=/bin/true\n' });
    const was = snapshot(root);
    const unit = new SystemdUnitResource({ unit: 'app.service', content: '[Service]\nExecStart=/no/such/binary\n' });
    const result = await applyOne(root, unit, 'absent\n@@gridops-probe-section@@\nenabled\n@@gridops-probe-section@@\nActiveState=active\nNeedDaemonReload=no\n\nActiveState=active\nNeedDaemonReload=no\n');
    expect(result.failure?.step).toBe('write /etc/systemd/system/app.service (checked by systemd-analyze verify)');
    expect(result.failure?.stderr).toContain('is not executable');
    expect(snapshot(root)).toEqual(was);
  });

  it('file: an unknown owner leaves no file; directory: an unknown owner makes no directory', async () => {
    const root = hostRoot();
    const was = snapshot(root);
    const file = await applyOne(root, new FileResource({ path: '/etc/app.conf', content: 'x\n', owner: 'no-such-user-gridops' }), 'absent\n');
    expect(file.failure).toBeDefined();
    const directory = await applyOne(root, new DirectoryResource({ path: '/etc/app.d/sub', owner: 'no-such-user-gridops' }), 'absent\n');
    expect(directory.failure).toBeDefined();
    expect(snapshot(root)).toEqual(was);
  });
});

describe.each(FORMS)('the temp file of a write (made without mktemp), %s', (form, recorder) => {
  const root = mkdtempSync(join(dir, 'modes-'));
  const write = async (path: string, content: string, mode: string, umask = '022') => {
    const r = recorder(umask);
    r.begin('w');
    await r.write(path, Buffer.from(content), mode);
    // Whatever umask the session starts with, the file gets exactly its mode.
    return local.exec(`umask ${umask}; sh -s`, { stdin: batchOf(r.steps) });
  };
  it.each([['0644', '000'], ['0600', '022'], ['0755', '077'], ['0640', '002'], ['4755', '022'], ['0444', '000']])('mode %s (session umask %s) is exact, and no temp file stays', async (mode, umask) => {
    const path = join(root, `f-${mode}`);
    const r = await write(path, `content ${mode}\n`, mode, umask);
    expect(r.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(`content ${mode}\n`);
    expect((statSync(path).mode & 0o7777).toString(8).padStart(4, '0')).toBe(mode);
    expect(temps(root)).toEqual([]);
  });
  /** Runs a write of `name` whose temp name already holds a symlink to `target`; the target path, its result and the temp name. */
  const writeOverPlanted = async (name: string, target: string) => {
    const r = recorder('0022');
    r.begin('w');
    const path = join(root, name);
    await r.write(path, Buffer.from('secret\n'), '0600');
    const temp = tempOf(r.steps[0]!.command);
    symlinkSync(target, temp);
    return { path, temp, res: await local.exec('umask 0022; sh -s', { stdin: batchOf(r.steps) }) };
  };
  it.each([
    ['a symlink to a file that is not there (never followed)', 'elsewhere'],
    ['a symlink to a device (noclobber alone would write through it)', '/dev/null'],
  ])('refuses %s planted at its temp name, and leaves it as it was', async (_, to) => {
    const target = to.startsWith('/') ? to : join(root, to);
    const { path, temp, res } = await writeOverPlanted(`target-${to.replace(/\W/g, '')}`, target);
    expect(res.code).toBe(200);
    expect(existsSync(path)).toBe(false);
    if (!to.startsWith('/')) expect(existsSync(target)).toBe(false);
    expect(readlinkSync(temp)).toBe(target);
    rmSync(temp);
  });
  it('a temp name swapped for a symlink after its creation (a directory another user may write): root writes, chmods and chowns only its own file', async () => {
    const r = recorder('0022');
    r.begin('w');
    const victim = join(root, 'victim');
    writeFileSync(victim, 'victim\n', { mode: 0o600 });
    await r.write(join(root, 'service.env'), Buffer.from('new\n'), '0755', { owner: 'nobody' });
    const temp = tempOf(r.steps[0]!.command);
    // The other user, between two of root's commands: moves root's temp file away and plants a
    // symlink to the victim at its name (here when root runs its first command after the write's
    // printf, the chown; the chmod follows it).
    const attacker = mkdtempSync(join(dir, 'swap-'));
    writeFileSync(join(attacker, 'chown'), `#!/bin/sh\nmv ${temp} ${temp}.moved && ln -s ${victim} ${temp}\nexec /bin/chown "$@"\n`);
    chmodSync(join(attacker, 'chown'), 0o755);
    try {
      const res = await local.exec(`umask 0022; PATH=${attacker}:$PATH sh -s`, { stdin: batchOf(r.steps) });
      expect(withoutMarks(res.stderr)).toBe('');
      const after = statSync(victim);
      expect([after.mode & 0o7777, after.uid, readFileSync(victim, 'utf8')]).toEqual([0o600, 0, 'victim\n']);
      const own = statSync(`${temp}.moved`);
      expect([own.mode & 0o7777, own.uid, readFileSync(`${temp}.moved`, 'utf8')]).toEqual([0o755, 65534, 'new\n']);
    } finally {
      for (const leftover of [`${temp}.moved`, temp, join(root, 'service.env'), victim]) rmSync(leftover, { force: true });
    }
  });
  // rename.ul is called by its full path: the batch-script tests make its rename fail.
  (form === STAGED ? it.skip : it)('removes its temp file when the rename fails, and the target stays as it was', async () => {
    const r = recorder('0022');
    r.begin('w');
    const path = join(root, 'kept');
    writeFileSync(path, 'old\n');
    await r.write(path, Buffer.from('new\n'), '0644');
    // An mv that fails the way a rename across a full or read-only filesystem does.
    const failing = mkdtempSync(join(dir, 'mv-'));
    writeFileSync(join(failing, 'mv'), '#!/bin/sh\necho "mv: cannot move: Read-only file system" >&2\nexit 1\n');
    chmodSync(join(failing, 'mv'), 0o755);
    const res = await local.exec(`umask 0022; PATH=${failing}:$PATH sh -s`, { stdin: `${stepScript(r.steps[0]!)}\necho after` });
    expect(res.code).toBe(1);
    expect(res.stdout).not.toContain('after');
    expect(res.stderr).toContain('Read-only file system');
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(temps(root)).toEqual([]);
  });
  it('a directory where the file should be fails the write: nothing moved into it, no temp file left', async () => {
    const r = recorder('0022');
    r.begin('w');
    const path = join(root, 'a-directory');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'kept\n');
    await r.write(path, Buffer.from('new\n'), '0644');
    const res = await local.exec('umask 0022; sh -s', { stdin: `${batchOf(r.steps)}echo after` });
    expect(res.code).not.toBe(0);
    expect(res.stdout).not.toContain('after');
    expect(res.stderr).toMatch(/directory/i);
    expect(readdirSync(path)).toEqual(['inside']);
    expect(temps(root)).toEqual([]);
    rmSync(path, { recursive: true });
  });
  it('leaves the batch its umask, options and variables, for the steps after it', async () => {
    for (const sessionUmask of ['0022', '0077', '0002']) {
      const r = recorder(sessionUmask);
      r.begin('w');
      await r.write(join(root, `isolated-${sessionUmask}`), Buffer.from('x\n'), '0600');
      await r.write(join(root, `isolated-x-${sessionUmask}`), Buffer.from('x\n'), '0755');
      expect(r.steps.map((step) => step.isolated)).toEqual([true, true]);
      expect(r.steps.every((step) => step.command.startsWith('( ') === (form === 'in a subshell'))).toBe(true);
      const res = await local.exec('sh -s', { stdin: `umask ${sessionUmask}\n${batchOf(r.steps)}umask; case $- in *C*) echo noclobber;; *) echo clobber;; esac; echo "t=\${t-unset}"` });
      expect(res.code).toBe(0);
      expect(withoutMarks(res.stdout).trim().split('\n')).toEqual([sessionUmask, 'clobber', 't=unset']);
    }
  });
  it('two writes of the same file get different temp names', async () => {
    const r = recorder('0022');
    r.begin('w');
    await r.write('/etc/x', Buffer.from('a'), '0644');
    await r.write('/etc/x', Buffer.from('a'), '0644');
    const names = r.steps.map((s) => tempOf(s.command));
    if (form === STAGED) {
      // One name per batch and file: the batch places the first before it stages the second (batch-script tests).
      expect(names[0]).toMatch(/^\/etc\/\.gridops-[0-9a-f]{16}~x$/);
      expect(names[1]).toBe(names[0]);
      const other = recorder('0022');
      await other.write('/etc/x', Buffer.from('a'), '0644');
      expect(tempOf(other.steps[0]!.command)).not.toBe(names[0]);
      return;
    }
    expect(names[0]).toMatch(/^\/etc\/\.x\.gridops\.[0-9a-f]{16}$/);
    expect(names[0]).not.toBe(names[1]);
  });
});
