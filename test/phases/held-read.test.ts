import { jest } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfirmationRefusedError, ConnectionError } from '../../src/errors/index.js';
import { runApply } from '../../src/phases/apply.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { runPlan } from '../../src/phases/plan.js';
import { MutationGate } from '../../src/engine/gate.js';
import { BATCH_SHELL_QUERY, RENAME_UL } from '../../src/resources/batch-shell.js';
import { HeldLocalTransport } from '../support/held-local-transport.js';

jest.setTimeout(60_000);

let dir: string;
let topology: string;
let playbook: string;
let transports: HeldLocalTransport[];

const connect = async (node: { name: string }) => {
  const t = new HeldLocalTransport(node.name);
  transports.push(t);
  return t;
};
const options = (extra: Partial<ApplyOptions> = {}): ApplyOptions => ({ topologyFile: topology, playbooks: [playbook], concurrency: 5, acceptNewHostKeys: false, progress: () => undefined, failFast: false, confirm: async () => true, emit: () => undefined, onPlan: () => undefined, connect, ...extra });
/** Held shells end when their batch ends or their connection closes: give the processes a moment to be reaped. */
async function noShellWaits(): Promise<void> {
  for (let i = 0; i < 50 && transports.some((t) => t.waitingShells().length); i++) await sleep(20);
  expect(transports.flatMap((t) => t.waitingShells())).toEqual([]);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-held-'));
  transports = [];
  topology = join(dir, 'grid.yaml');
  writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n          - { name: n2, address: 10.0.0.2 }\n');
  mkdirSync(join(dir, 'out'));
  playbook = join(dir, 'local.yaml');
  writeFileSync(playbook, `name: local\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.txt')}", content: "{{node.name}}\\n" }\n  - command: { name: mark, run: "echo ran >> ${join(dir, 'out', 'marks')} && touch ${join(dir, 'out', '{{node.name}}.mark')}", creates: "${join(dir, 'out', '{{node.name}}.mark')}" }\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("an apply's batch runs in its read's session where the transport holds reads", () => {
  it('each host that changes: one held read, no exec; the changes land; a plan then has nothing to do', async () => {
    const result = await runApply(options());
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([
      ['n1', 'applied'],
      ['n2', 'applied'],
    ]);
    expect(readFileSync(join(dir, 'out', 'n2.txt'), 'utf8')).toBe('n2\n');
    expect(readFileSync(join(dir, 'out', 'marks'), 'utf8')).toBe('ran\nran\n');
    expect(transports.map((t) => [t.shells.length, t.execs])).toEqual([
      [1, []],
      [1, []],
    ]);
    await noShellWaits();
    transports = [];
    // A plan's reads are not held: it has no batch to run.
    const again = await runPlan(options());
    expect(again.hosts.every((h) => h.changes.length === 0)).toBe(true);
    expect(transports.every((t) => t.shells.length === 0 && t.execs.length === 1)).toBe(true);
  });

  it("a host with nothing to change ends its read's shell with its connection, as soon as it is planned", async () => {
    writeFileSync(join(dir, 'out', 'n1.txt'), 'n1\n');
    writeFileSync(join(dir, 'out', 'n1.mark'), '');
    let n1ClosedDuringRun = false;
    const result = await runApply(
      options({
        // The first change event (n2's batch) comes after every host was read and planned.
        emit: () => {
          n1ClosedDuringRun ||= transports.find((t) => t.name === 'n1')!.closed;
        },
      }),
    );
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([
      ['n1', 'unchanged'],
      ['n2', 'applied'],
    ]);
    expect(readFileSync(join(dir, 'out', 'marks'), 'utf8')).toBe('ran\n');
    expect(n1ClosedDuringRun).toBe(true);
    await noShellWaits();
    // Its shell was not sent an end of input first: the connection's close ended it (SIGHUP here).
    const n1 = transports.find((t) => t.name === 'n1')!;
    expect(n1.shells[0]!.stdin!.writableEnded).toBe(false);
    expect(n1.shells[0]!.signalCode).toBe('SIGHUP');
  });

  it('a refused confirmation runs no batch, and every held shell ends', async () => {
    await expect(runApply(options({ confirm: async () => false }))).rejects.toBeInstanceOf(ConfirmationRefusedError);
    expect(existsSync(join(dir, 'out', 'n1.txt'))).toBe(false);
    expect(existsSync(join(dir, 'out', 'marks'))).toBe(false);
    await noShellWaits();
  });

  it('a read whose output does not end with a newline still ends at its sentinel, with its status', async () => {
    const t = new HeldLocalTransport('n1');
    transports.push(t);
    const held = await t.execHeld("printf 'no newline'; sh -c 'exit 2'", { timeoutMs: 5000 });
    expect(held.result).toMatchObject({ stdout: 'no newline', code: 2 });
    held.release();
    await noShellWaits();
  });

  it('a batch that never reaches its held shell (a change fails to record its steps) lets the shell go', async () => {
    const t = new HeldLocalTransport('n1');
    transports.push(t);
    const held = await t.execHeld('echo read', { timeoutMs: 5000 });
    const gate = new MutationGate(() => undefined);
    const change = { kind: 'command', id: 'command x', action: 'run', command: 'true', summary: 'run x', fields: [] } as never;
    await expect(gate.pass(t, false, [{ change, perform: async () => Promise.reject(new Error('cannot render')) }], held)).rejects.toThrow(/cannot render/);
    expect(held.waiting).toBe(false);
    await noShellWaits();
  });

  it("without a read waiting, the gate's own held shell gives the batch its umask, and the batch runs there with no exec", async () => {
    const t = new HeldLocalTransport('n1');
    transports.push(t);
    const scripts: string[] = [];
    const execHeld = t.execHeld.bind(t);
    t.execHeld = async (script, opts) => {
      const held = await execHeld(script, opts);
      const proceed = held.proceed.bind(held);
      held.proceed = (batch, o) => (scripts.push(batch), proceed(batch, o));
      return held;
    };
    const out = join(dir, 'out');
    const change = (id: string) => ({ kind: 'command', id, action: 'run', command: 'true', summary: id, fields: [] }) as never;
    const result = await new MutationGate(() => undefined).pass(t, false, [
      { change: change('file a'), perform: (r) => r.write(join(out, 'a.conf'), Buffer.from('a\n'), '0640') },
      { change: change('command umask'), perform: (r) => r.run(`umask > '${join(out, 'umask-after')}'`, 'umask') },
    ]);
    expect(result).toEqual({ applied: 2 });
    expect([t.scripts, t.execs]).toEqual([[BATCH_SHELL_QUERY], []]);
    // Recorded for the shell that answered: it starts with that shell's umask, and its write runs in that shell, not a subshell.
    const umask = `0${(process.umask() & 0o777).toString(8).padStart(3, '0')}`;
    expect(scripts).toHaveLength(1);
    // Inside the group the shell parses whole before it runs any of it (whole-or-nothing.ts).
    expect(scripts[0]!.startsWith(`{\numask ${umask}\n`)).toBe(true);
    expect(scripts[0]).not.toContain('( t=');
    expect(statSync(join(out, 'a.conf')).mode & 0o777).toBe(0o640);
    // The write set its own umask and gave the shell's back: the later step sees the shell's.
    expect(readFileSync(join(out, 'umask-after'), 'utf8').trim()).toBe(umask);
    await noShellWaits();
  });

  it("a shell that cannot be had for the batch fails the host with nothing changed, and says so", async () => {
    const t = new HeldLocalTransport('n1');
    transports.push(t);
    t.execHeld = async () => Promise.reject(new ConnectionError('n1', 'cannot start a command: channel open failure'));
    const change = { kind: 'command', id: 'command x', action: 'run', command: 'true', summary: 'run x', fields: [] } as never;
    const marker = join(dir, 'out', 'ran');
    await expect(new MutationGate(() => undefined).pass(t, false, [{ change, perform: (r) => r.run(`touch '${marker}'`, 'x') }])).rejects.toThrow(
      'n1: no shell for its changes, so none was made (cannot start a command: channel open failure); check the host (its load, its login shell) and rerun',
    );
    expect([existsSync(marker), t.execs]).toEqual([false, []]);
  });

  it("a shell that cannot be had says the cause's own next step where it has one", async () => {
    const t = new HeldLocalTransport('n1');
    transports.push(t);
    t.execHeld = async () => Promise.reject(new ConnectionError('n1', 'cannot start a command: No response from server', 'the connection may have dropped; rerun'));
    const change = { kind: 'command', id: 'command x', action: 'run', command: 'true', summary: 'run x', fields: [] } as never;
    const marker = join(dir, 'out', 'ran');
    const failed = new MutationGate(() => undefined).pass(t, false, [{ change, perform: (r) => r.run(`touch '${marker}'`, 'x') }]);
    await expect(failed).rejects.toThrow('n1: no shell for its changes, so none was made (cannot start a command: No response from server); the connection may have dropped; rerun');
    expect([existsSync(marker), t.execs]).toEqual([false, []]);
  });

  it('Ctrl-C while the own held shell answers: no change runs, and the shell is let go', async () => {
    const t = new HeldLocalTransport('n1');
    transports.push(t);
    const abort = new AbortController();
    const execHeld = t.execHeld.bind(t);
    t.execHeld = async (script, opts) => {
      const held = await execHeld(script, opts);
      abort.abort();
      return held;
    };
    const change = { kind: 'command', id: 'command x', action: 'run', command: 'true', summary: 'run x', fields: [] } as never;
    const marker = join(dir, 'out', 'ran');
    await expect(new MutationGate(() => undefined, abort.signal).pass(t, false, [{ change, perform: (r) => r.run(`touch '${marker}'`, 'x') }])).rejects.toThrow(/interrupted before its changes started/);
    expect(existsSync(marker)).toBe(false);
    await noShellWaits();
  });

  it.each([
    ['each placed by mv', false],
    // rename.ul is Debian's and Ubuntu's (util-linux); elsewhere there is nothing to place with.
    ...(existsSync(RENAME_UL) ? [['staged, then placed together by one rename.ul', true] as [string, boolean]] : []),
  ])("with the read's umask, the batch's writes run in the held shell itself (%s), and later steps keep that umask", async (_, renameUl) => {
    const t = new HeldLocalTransport('n1');
    transports.push(t);
    // The read's shell is the batch's: a umask the read sets is the one the batch starts with.
    const held = await t.execHeld('umask 0027; umask', { timeoutMs: 5000 });
    expect(held.result.stdout.trim()).toBe('0027');
    const scripts: string[] = [];
    const proceed = held.proceed.bind(held);
    held.proceed = (script, opts) => (scripts.push(script), proceed(script, opts));
    const out = join(dir, 'out');
    const change = (id: string) => ({ kind: 'command', id, action: 'run', command: 'true', summary: id, fields: [] }) as never;
    const result = await new MutationGate(() => undefined).pass(
      t,
      false,
      [
        { change: change('file a'), perform: (r) => r.write(join(out, 'a.conf'), Buffer.from('a\n'), '0644') },
        { change: change('file b'), perform: (r) => r.write(join(out, 'b.key'), Buffer.from('b\n'), '0600') },
        { change: change('command umask'), perform: (r) => r.run(`umask > '${join(out, 'umask-after')}'`, 'umask') },
      ],
      held,
      { umask: '0027', renameUl },
    );
    expect(result).toEqual({ applied: 3 });
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).not.toContain('( t=');
    // Both writes in one rename.ul, before the command that could read them; or a mv each. (The
    // second write's failure path, which places the first, is not run.)
    const run = scripts[0]!.replace(/if \[ "\$_gs" != 0 \]; then\n[\s\S]*?\nexit "\$_gs"\nfi/g, '');
    expect([run.split('/usr/bin/rename.ul').length - 1, run.split('mv -f').length - 1]).toEqual(renameUl ? [1, 0] : [0, 2]);
    expect(readFileSync(join(out, 'a.conf'), 'utf8')).toBe('a\n');
    expect([statSync(join(out, 'a.conf')).mode & 0o777, statSync(join(out, 'b.key')).mode & 0o777]).toEqual([0o644, 0o600]);
    expect(readFileSync(join(out, 'umask-after'), 'utf8').trim()).toBe('0027');
    await noShellWaits();
  });

  it("a held shell that ended before its batch (a dropped session) leaves the batch to a held session of its own, which asks its shell what the batch needs", async () => {
    const result = await runApply(
      options({
        confirm: async () => {
          for (const t of transports) for (const shell of t.shells) shell.kill('SIGKILL');
          await sleep(100);
          return true;
        },
      }),
    );
    expect(result.hosts.map((h) => h.status)).toEqual(['applied', 'applied']);
    // No exec: a second held shell each, whose query answered before the batch was recorded.
    expect(transports.map((t) => [t.shells.length, t.execs])).toEqual([
      [2, []],
      [2, []],
    ]);
    expect(transports.map((t) => t.scripts[1])).toEqual([BATCH_SHELL_QUERY, BATCH_SHELL_QUERY]);
    expect(readFileSync(join(dir, 'out', 'n1.txt'), 'utf8')).toBe('n1\n');
    expect(readFileSync(join(dir, 'out', 'marks'), 'utf8')).toBe('ran\nran\n');
    await noShellWaits();
  });

  it("a host the state expects in sync is read without a shell; found changed, its batch gets a held shell of its own once confirmed, and runs there", async () => {
    expect((await runApply(options())).hosts.map((h) => h.status)).toEqual(['applied', 'applied']);
    transports = [];
    writeFileSync(join(dir, 'out', 'n1.txt'), 'drifted\n');
    const connectSftp = async (node: { name: string }) => {
      const t = new HeldLocalTransport(node.name, { sftp: true });
      transports.push(t);
      return t;
    };
    const shellsAtConfirm: Array<[string, number]> = [];
    const result = await runApply(
      options({
        connect: connectSftp,
        confirm: async () => {
          for (const t of transports) shellsAtConfirm.push([t.name, t.shells.length]);
          return true;
        },
      }),
    );
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([
      ['n1', 'applied'],
      ['n2', 'unchanged'],
    ]);
    expect(shellsAtConfirm).toEqual([
      ['n1', 0],
      ['n2', 0],
    ]);
    // Both read over "SFTP"; n1's one shell is the batch's, asked only what the batch needs; no exec anywhere.
    expect(transports.map((t) => [t.name, t.queried.length > 0, t.scripts, t.execs])).toEqual([
      ['n1', true, [BATCH_SHELL_QUERY], []],
      ['n2', true, [], []],
    ]);
    expect(readFileSync(join(dir, 'out', 'n1.txt'), 'utf8')).toBe('n1\n');
    await noShellWaits();
  });

  it('a refused confirmation opens no shell on a host read without one, and changes nothing', async () => {
    expect((await runApply(options())).hosts.map((h) => h.status)).toEqual(['applied', 'applied']);
    transports = [];
    writeFileSync(join(dir, 'out', 'n2.txt'), 'drifted\n');
    const connectSftp = async (node: { name: string }) => {
      const t = new HeldLocalTransport(node.name, { sftp: true });
      transports.push(t);
      return t;
    };
    await expect(runApply(options({ connect: connectSftp, confirm: async () => false }))).rejects.toThrow(ConfirmationRefusedError);
    expect(transports.map((t) => [t.shells.length, t.queried.length > 0])).toEqual([
      [0, true],
      [0, true],
    ]);
    expect(readFileSync(join(dir, 'out', 'n2.txt'), 'utf8')).toBe('drifted\n');
    await noShellWaits();
  });

  it('where no shell of its own waits either (its session ended at once), the batch runs in a session of its own', async () => {
    const connectEnding = async (node: { name: string }) => {
      const t = new HeldLocalTransport(node.name, { endAfter: 1 });
      transports.push(t);
      return t;
    };
    const result = await runApply(
      options({
        connect: connectEnding,
        confirm: async () => {
          for (const t of transports) for (const shell of t.shells) shell.kill('SIGKILL');
          await sleep(100);
          return true;
        },
      }),
    );
    expect(result.hosts.map((h) => h.status)).toEqual(['applied', 'applied']);
    expect(transports.map((t) => [t.shells.length, t.execs])).toEqual([
      [2, ['sh -s']],
      [2, ['sh -s']],
    ]);
    expect(readFileSync(join(dir, 'out', 'n2.txt'), 'utf8')).toBe('n2\n');
    await noShellWaits();
  });
});
