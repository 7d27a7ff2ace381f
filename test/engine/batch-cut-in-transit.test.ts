import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MutationGate, type GateItem } from '../../src/engine/gate.js';
import type { Change } from '../../src/plan/change.js';
import { AbsentPathsResource } from '../../src/resources/absent-paths.js';
import { RENAME_UL } from '../../src/resources/batch-shell.js';
import { CommandResource } from '../../src/resources/command.js';
import { FileResource } from '../../src/resources/file.js';
import { singleFileProbe } from '../../src/resources/file-state.js';
import type { StepRecorder } from '../../src/resources/step-recorder.js';
import { heldReadCommand, heldSentinel } from '../../src/transport/held-read.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { quote } from '../../src/transport/quote.js';
import type { ExecResult, HeldRead } from '../../src/transport/transport.js';

/**
 * A batch cut in transit (gridops killed, the network gone: sshd closes the shell's stdin) must
 * run none of its script, not what came and then its half-received last line: `rm -rf -- DIR/opt/app`
 * cut after `DIR/opt/` would remove DIR/opt. The script is the one the gate sends for a plan with
 * a command, a binary file (a here-document) and a removal; each of its prefixes goes to `dash -s`
 * and `bash -s` (a session of its own), and after a held read's `run` line (the read's session).
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-cut-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');
const ran = join(dir, 'ran');
const victim = join(dir, 'opt', 'app');
const bystander = join(dir, 'opt', 'keep');
const written = join(dir, 'etc', 'app.bin');

/** The resources planned here: kinds that never look at facts, so their diff and apply take no context. */
interface FactlessResource {
  id: string;
  probe(): string;
  diff(stdout: string): Change | null;
  apply(change: Change, recorder: StepRecorder): Promise<void>;
}

/** The plan's changes, each from its resource's real probe of this machine, and the gate's items for them. */
async function plan(): Promise<GateItem[]> {
  const file = new FileResource({ path: written, content: Buffer.from([0, 1, 2, 0xfe, 0xff, 10, 0x80]), mode: '0644' });
  const resources: Array<[FactlessResource, string]> = [
    // First, so any step of the batch that ran leaves a mark.
    [new CommandResource({ name: 'first', command: `touch ${quote(ran)}`, creates: ran }), ''],
    // A file's probe is a request the planner serves from one read of the host's files: the snippet that reads one on its own.
    [file, singleFileProbe(written)],
    [new AbsentPathsResource([victim]), ''],
  ].map(([r, probe]) => [r as unknown as FactlessResource, (probe as string) || (r as unknown as FactlessResource).probe()]);
  const items: GateItem[] = [];
  for (const [resource, probe] of resources) {
    const change = resource.diff((await local.exec(probe)).stdout);
    if (!change) throw new Error(`${resource.id}: nothing to change`);
    items.push({ change, perform: (r) => resource.apply(change, r) });
  }
  return items;
}

/** The script the gate sends to a waiting held read (a shell whose umask and rename.ul it knows), and the one for a session of its own. */
async function rendered(): Promise<{ held: string; own: string }> {
  const heldScripts: string[] = [];
  const held: HeldRead = {
    result: { stdout: '', stderr: '', code: 0 },
    waiting: true,
    proceed: async (script) => {
      heldScripts.push(script);
      return { stdout: '', stderr: '', code: 0 };
    },
    release: () => undefined,
  };
  const gate = new MutationGate(() => undefined);
  await gate.pass(local, false, await plan(), held, { umask: '0022', renameUl: existsSync(RENAME_UL) });
  const ownScripts: string[] = [];
  const own = Object.assign(Object.create(local) as LocalTransport, {
    execHeld: undefined,
    exec: async (command: string, options: { stdin?: string | Buffer }): Promise<ExecResult> => {
      if (command === 'sh -s') ownScripts.push(String(options.stdin));
      return { stdout: '', stderr: '', code: 0 };
    },
  });
  await gate.pass(own, false, await plan());
  return { held: heldScripts[0]!, own: ownScripts[0]! };
}

/** A directory whose `sh` is `shell`: the held read's command runs `sh` by name. */
function shAs(shell: string): string {
  const bin = join(dir, `sh-${shell}`);
  mkdirSync(bin, { recursive: true });
  if (!existsSync(join(bin, 'sh'))) symlinkSync(`/usr/bin/${shell}`, join(bin, 'sh'));
  return bin;
}

function prepare(): void {
  rmSync(ran, { force: true });
  rmSync(join(dir, 'etc'), { recursive: true, force: true });
  mkdirSync(victim, { recursive: true });
  writeFileSync(join(victim, 'data'), 'x');
  writeFileSync(bystander, 'kept');
  mkdirSync(join(dir, 'etc'));
}

/** What a shell fed `input` (through a pipe, as sshd's stdin is) left changed, or undefined when nothing. */
function runCut(argv: string[], input: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, cwd: dir, env, encoding: 'utf8', timeout: 10_000 });
  const stdout = r.stdout.replace(/\n@@gridops-held-[0-9a-f]+@@ 0 \d+\n$/, '').replace(/^\n/, '');
  const changed = [
    ...(existsSync(ran) ? ['the first command ran'] : []),
    ...(existsSync(join(victim, 'data')) ? [] : [`${victim} was removed`]),
    ...(existsSync(bystander) ? [] : [`${bystander} was removed`]),
    ...(readdirSync(join(dir, 'etc')).length ? [`${join(dir, 'etc')} was written`] : []),
    ...(stdout ? [`it printed ${JSON.stringify(stdout)}`] : []),
  ];
  return changed.length ? changed.join('; ') : undefined;
}

/**
 * The first cut of `script` (each prefix that lacks a byte of the batch: all but the group's last
 * `}` and newline) after which `argv`, fed `lead` and the prefix through a pipe as sshd's stdin is,
 * ran something, and what it changed; undefined when none did. One shell runs them all, as a
 * process of node's each took a minute and a half in all; it stops at the first that changed anything.
 */
function firstCutThatRan(script: string, argv: string[], lead = '', env: NodeJS.ProcessEnv = process.env): string | undefined {
  const cuts = mkdtempSync(join(dir, 'cuts-'));
  const whole = script.lastIndexOf('}');
  for (let cut = 0; cut < whole; cut++) writeFileSync(join(cuts, String(cut).padStart(6, '0')), lead + script.slice(0, cut));
  prepare();
  const out = `${cuts}.out`;
  // Builtins only, but for the pipe: a fork each would double the time.
  const etc = quote(join(dir, 'etc'));
  const changed = [
    `[ -e ${quote(ran)} ] || [ ! -e ${quote(join(victim, 'data'))} ] || [ ! -e ${quote(bystander)} ] && ran=1`,
    `for e in ${etc}/* ${etc}/.[!.]*; do [ -e "$e" ] && ran=1; done`,
    // Its stdout, but for the held read's own sentinel line.
    `while IFS= read -r l || [ -n "$l" ]; do case $l in ''|@@gridops-held-*) ;; *) ran=1 ;; esac; done < ${quote(out)}`,
  ];
  const driver = `for f in ${quote(cuts)}/*; do cat "$f" | "$@" > ${quote(out)} 2>/dev/null; ran=; ${changed.join('; ')}; if [ -n "$ran" ]; then echo "\${f##*/}"; exit 1; fi; done`;
  const r = spawnSync('sh', ['-c', driver, 'driver', ...argv], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
  rmSync(cuts, { recursive: true, force: true });
  if (r.status === 0) return undefined;
  if (!/^\d+\n$/.test(r.stdout)) throw new Error(`the cuts did not run: ${r.stdout}${r.stderr}`);
  const cut = Number(r.stdout);
  prepare();
  return `cut at ${cut} (${JSON.stringify(script.slice(Math.max(0, cut - 40), cut))}): ${runCut(argv, lead + script.slice(0, cut), env) ?? 'it changed something'}`;
}

jest.setTimeout(60_000);

describe('a batch script cut in transit runs none of it', () => {
  let scripts: { held: string; own: string };
  beforeAll(async () => {
    prepare();
    scripts = await rendered();
  });

  it('the plan is the one meant: a command first, a here-document, an unquoted rm -rf of a path', () => {
    for (const script of [scripts.held, scripts.own]) {
      expect(script).toContain(`rm -rf -- ${victim}\n`);
      expect(script).toContain("<<'");
      expect(script.indexOf(`touch ${ran}`)).toBeLessThan(script.indexOf('rm -rf'));
    }
  });

  it.each(['dash', 'bash'])('%s -s (a session of its own): no cut runs anything', (shell) => {
    expect(firstCutThatRan(scripts.own, [shell, '-s'])).toBeUndefined();
  });

  it.each(['dash', 'bash'])("%s as a held read's shell (`. /dev/stdin` after `run`): no cut runs anything", (shell) => {
    const env = { ...process.env, PATH: `${shAs(shell)}:${process.env.PATH ?? ''}` };
    const command = heldReadCommand('true', heldSentinel());
    expect(firstCutThatRan(scripts.held, ['sh', '-c', command], 'run\n', env)).toBeUndefined();
  });

  it.each(['dash', 'bash'])('%s: the whole script still runs all of it, with its exit status', (shell) => {
    for (const [argv, input, env] of [
      [[shell, '-s'], scripts.own, process.env],
      [['sh', '-c', heldReadCommand('true', heldSentinel())], `run\n${scripts.held}`, { ...process.env, PATH: `${shAs(shell)}:${process.env.PATH ?? ''}` }],
    ] as const) {
      prepare();
      const r = spawnSync(argv[0]!, argv.slice(1), { input, cwd: dir, env, encoding: 'utf8', timeout: 10_000 });
      expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('@@gridops-'))).toEqual([]);
      expect(r.status).toBe(0);
      expect(existsSync(ran)).toBe(true);
      expect(existsSync(victim)).toBe(false);
      expect(existsSync(bystander)).toBe(true);
      expect(readdirSync(join(dir, 'etc'))).toEqual(['app.bin']);
      expect(r.stdout).toMatch(/done 2\n/);
    }
  });

  it.each(['dash', 'bash'])("%s: a step's exit ends the batch with that status, inside the group as before", (shell) => {
    prepare();
    const script = scripts.own.replace(`touch ${ran}`, `touch ${ran}; exit 7`);
    const r = spawnSync(shell, ['-s'], { input: script, cwd: dir, encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(7);
    expect(existsSync(ran)).toBe(true);
    expect(existsSync(join(victim, 'data'))).toBe(true);
  });
});
