import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan, type HostOutcome } from '../../src/engine/applier.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import type { Change } from '../../src/plan/change.js';
import { aptInstall } from '../../src/resources/apt-scripts.js';
import { CommandResource } from '../../src/resources/command.js';
import { PackageResource } from '../../src/resources/package.js';
import type { Resource } from '../../src/resources/resource.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'gridops-dpkg-interrupted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');

/** apt's words (apt 2.6) when dpkg's journal (/var/lib/dpkg/updates/) is not empty: it refuses everything, exit 100. */
const INTERRUPTED = "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem. ";
const HELD_PAST_WAIT = 'apt-get install: another dpkg or apt still holds its lock; apply again once it is done';
const REPAIR_SAID = 'apt-get install: dpkg was interrupted earlier; finishing it with dpkg --configure -a';

interface Host {
  path: string;
  aptCalls: () => string[];
  dpkgCalls: () => string[];
  repaired: () => boolean;
}

/** apt's words for its archives lock held; the holder's name carries a backslash, which the step's message must keep. */
const APT_LOCKED = 'E: Could not get lock /var/cache/apt/archives/lock. It is held by process 812 (apt\\c-daily)';

/** dpkg's words (dpkg 1.21) when a package was unpacked before a package it depends on: `--configure -a` leaves it unconfigured, exit 1. */
const DEPENDENCY_PROBLEMS = [
  'dpkg: dependency problems prevent configuration of hello-dependent:',
  ' hello-dependent depends on hello; however:',
  '  Package hello is not installed.',
  '',
  'dpkg: error processing package hello-dependent (--configure):',
  ' dependency problems - leaving unconfigured',
  'Errors were encountered while processing:',
  ' hello-dependent',
];
/** apt's words once dpkg's journal is replayed but a package's dependency is still missing: it refuses every install, exit 100. */
const UNMET = "E: Unmet dependencies. Try 'apt-get --fix-broken install' with no packages (or specify a solution).";
/** apt-get -f install that fails as a failing maintainer script makes it fail, after dpkg's own messages. */
const FIX_BROKEN_FAILED = 'E: Sub-process /usr/bin/dpkg returned an error code (1)';

/**
 * A host whose dpkg was interrupted: a fake `apt-get` that refuses as apt does until the journal
 * is replayed (a marker file), and a fake `dpkg` whose `--configure -a` replays it, or fails as a
 * maintainer script's failure makes it fail (`repair: 'fails'`), or replays it but leaves a package
 * unconfigured whose dependency is missing (`repair: 'dependency-problems'`: apt then refuses
 * with unmet dependencies until `apt-get -f install` installs it, or fails as `fixBroken` says),
 * or first meets the lock another dpkg holds for `lockedCalls` calls. Its dpkg knows `hello`
 * (`status`, `install ok installed` unless given) and the packages of `known` (name: status), a
 * file each; its `dpkg-query -W` prints the status of each name it is given that dpkg knows (a
 * virtual name, such as `awk`, prints nothing), or of every package it knows when given none, as
 * dpkg-query does (with the name before it, in the package probe's format); and `dpkg
 * --triggers-only -a` runs the pending triggers (every status becomes `install ok installed`).
 */
function interruptedHost(name: string, options: { repair: 'works' | 'fails' | 'dependency-problems' | 'script-says-locked'; fixBroken?: 'works' | 'fails' | 'locked'; lockedCalls?: number; aptLockedCalls?: number; aptSaysLockWords?: true; status?: string; known?: Record<string, string>; triggersFail?: true }): Host {
  const bin = mkdtempSync(join(dir, `${name}-`));
  const aptLog = join(bin, 'apt-calls');
  const dpkgLog = join(bin, 'dpkg-calls');
  const journalReplayed = join(bin, 'journal-replayed');
  const dependencyMissing = join(bin, 'dependency-missing');
  const database = join(bin, 'database');
  writeFileSync(aptLog, '');
  writeFileSync(dpkgLog, '');
  mkdirSync(database);
  for (const [pkg, status] of Object.entries({ hello: options.status ?? 'install ok installed', ...options.known })) writeFileSync(join(database, pkg), status);
  const fixBroken =
    options.fixBroken === 'locked'
      ? [`  printf '%s\\n' ${quote(APT_LOCKED)} >&2`, '  exit 100']
      : options.fixBroken === 'fails'
      ? [`  echo ${quote(FIX_BROKEN_FAILED)} >&2`, '  exit 100']
      : ["  echo 'Setting up hello (2.10-3) ...'", `  rm -f ${quote(dependencyMissing)}`, '  exit 0'];
  writeFileSync(
    join(bin, 'apt-get'),
    [
      '#!/bin/sh',
      // The package step's `apt-get update` before its install (apply's, not aptInstall's): apt
      // updates its lists with dpkg's journal dirty, and is not an install call.
      'case " $* " in *" update "*) exit 0 ;; esac',
      `echo "$*" >> ${quote(aptLog)}`,
      `if [ "$(wc -l < ${quote(aptLog)})" -le ${options.aptLockedCalls ?? 0} ]; then printf '%s\\n' ${quote(APT_LOCKED)} >&2; exit 100; fi`,
      // A maintainer script's own words about a lock, inside apt's run: not apt's lock.
      ...(options.aptSaysLockWords ? ["echo 'Setting up hello (2.10-3) ...'", "echo 'hello.postinst: Could not get lock on /run/hello.pid' >&2", "echo 'E: Sub-process /usr/bin/dpkg returned an error code (1)' >&2", 'exit 100'] : []),
      `if [ ! -e ${quote(journalReplayed)} ]; then echo ${quote(INTERRUPTED)} >&2; exit 100; fi`,
      'case " $* " in',
      '*" -f install "*)',
      ...fixBroken,
      '  ;;',
      'esac',
      `if [ -e ${quote(dependencyMissing)} ]; then echo ${quote(UNMET)} >&2; exit 100; fi`,
      'echo installed',
    ].join('\n'),
  );
  const configure = {
    works: `echo 'Setting up hello (2.10-3) ...'; touch ${quote(journalReplayed)}`,
    fails: [
      "echo 'Setting up hello (2.10-3) ...'",
      "echo 'dpkg: error processing package hello (--configure):' >&2",
      "echo ' installed hello package post-installation script subprocess returned error exit status 1' >&2",
      "echo 'Errors were encountered while processing:' >&2",
      "echo ' hello' >&2",
      'exit 1',
    ].join('\n'),
    // A maintainer script's own words that happen to say a lock is held: not dpkg's lock, not waited for.
    'script-says-locked': ["echo 'hello: the cache database is locked by another process' >&2", "echo 'dpkg: error processing package hello (--configure):' >&2", 'exit 1'].join('\n'),
    'dependency-problems': [`touch ${quote(journalReplayed)} ${quote(dependencyMissing)}`, ...DEPENDENCY_PROBLEMS.map((line) => `echo ${quote(line)} >&2`), 'exit 1'].join('\n'),
  }[options.repair];
  writeFileSync(
    join(bin, 'dpkg'),
    [
      '#!/bin/sh',
      `echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND LC_ALL=$LC_ALL $*" >> ${quote(dpkgLog)}`,
      `n=$(wc -l < ${quote(dpkgLog)})`,
      `if [ "$n" -le ${options.lockedCalls ?? 0} ]; then echo 'dpkg: error: dpkg frontend lock was locked by another process with pid 812' >&2; echo 'Note: removing the lock file is always wrong, can damage the locked area' >&2; exit 2; fi`,
      options.triggersFail
        ? `if [ "$1" = --triggers-only ]; then echo 'Processing triggers for man-db (2.11.2-2) ...'; echo 'dpkg: error processing package man-db (--triggers-only):' >&2; echo ' installed man-db package post-installation script subprocess returned error exit status 1' >&2; exit 1; fi`
        : `if [ "$1" = --triggers-only ]; then echo 'Processing triggers for man-db (2.11.2-2) ...'; for f in ${quote(database)}/*; do echo 'install ok installed' > "$f"; done; exit 0; fi`,
      configure,
    ].join('\n'),
  );
  writeFileSync(
    join(bin, 'dpkg-query'),
    [
      '#!/bin/sh',
      '[ "$1" = -W ] || exit 2',
      'format=$2',
      'shift 2',
      `cd ${quote(database)} || exit 2`,
      '[ "$#" -gt 0 ] || set -- *',
      'r=0',
      // The package probe's format (`${Package}|${Status}|${Provides}`) or the triggers check's (`${Status}`).
      `for p; do if [ ! -f "$p" ]; then echo "dpkg-query: no packages found matching $p" >&2; r=1; elif [ "$format" = ${quote('-f=${Package}|${Status}|${Provides}\\n')} ]; then printf '%s|%s|\\n' "$p" "$(cat "$p")"; else cat "$p"; echo; fi; done`,
      'exit "$r"',
    ].join('\n'),
  );
  for (const tool of ['apt-get', 'dpkg', 'dpkg-query']) chmodSync(join(bin, tool), 0o755);
  const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  return { path: `${bin}:${process.env.PATH}`, aptCalls: () => lines(aptLog), dpkgCalls: () => lines(dpkgLog), repaired: () => existsSync(journalReplayed) };
}

/** `warningMarker`: as in a batch, the step's warnings carry it (resources/step-warning.ts). */
async function install(host: Host, packages: string[], lockWait = { totalS: 6, pauseS: 1 }, warningMarker?: string) {
  return local.exec(`PATH=${quote(host.path)}; export PATH\n${aptInstall(packages, lockWait, warningMarker)}`, { timeoutMs: 30_000 });
}

const INSTALL_ARGS = '-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install -y -q --no-install-recommends hello';
/** apt's fix-broken with the install's options, never removing a package to fix a dependency. */
const FIX_BROKEN_ARGS = '-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -f install -y -q --no-install-recommends --no-remove';
const CONFIGURE = 'DEBIAN_FRONTEND=noninteractive LC_ALL=C --force-confdef --force-confold --configure -a';
const FIX_BROKEN_SAID = 'apt-get install: dpkg --configure -a failed (exit 1); fixing what it left with apt-get -f install';
const REPAIR_FAILED = (code: number) =>
  `apt-get install: dpkg --configure -a and then apt-get -f install, run to finish what an interrupted dpkg left, failed (exit ${code}); run both on the host, fix what they report (a failing maintainer script, a dependency apt cannot install without removing a package), then apply again`;
const TRIGGERS_SAID = 'apt-get install: dpkg left package triggers pending; running them with dpkg --triggers-only -a';
const said = (stderr: string, line: string) => stderr.split('\n').filter((l) => l === line).length;

/** The host's dpkg journal is clean: apt installs at once. */
function journalClean(host: Host): Host {
  writeFileSync(join(host.path.split(':')[0]!, 'journal-replayed'), '');
  return host;
}

describe('apt-get install after an interrupted dpkg (Ctrl-C, a lost connection, a reboot): finishes the work as apt advises, once', () => {
  it('runs dpkg --configure -a once (noninteractive, keeping changed conffiles), says so, and installs', async () => {
    const host = interruptedHost('repairs', { repair: 'works' });
    const result = await install(host, ['hello']);
    expect(result.code).toBe(0);
    expect(host.dpkgCalls()).toEqual([CONFIGURE]);
    expect(host.aptCalls()).toEqual([INSTALL_ARGS, INSTALL_ARGS]);
    expect(result.stderr).toContain(`${REPAIR_SAID}\n`);
    expect(said(result.stderr, REPAIR_SAID)).toBe(1);
    expect(result.stdout).toBe('Setting up hello (2.10-3) ...\ninstalled\n');
  });

  it('a package unpacked before its dependency (configure -a fails with dependency problems): apt-get -f install installs the dependency, then the install; each repair said once', async () => {
    const host = interruptedHost('dependency', { repair: 'dependency-problems' });
    const result = await install(host, ['hello']);
    expect(result.code).toBe(0);
    expect(host.dpkgCalls()).toEqual([CONFIGURE]);
    expect(host.aptCalls()).toEqual([INSTALL_ARGS, FIX_BROKEN_ARGS, INSTALL_ARGS]);
    expect(said(result.stderr, REPAIR_SAID)).toBe(1);
    expect(said(result.stderr, FIX_BROKEN_SAID)).toBe(1);
    expect(result.stderr).toContain(DEPENDENCY_PROBLEMS.join('\n'));
    expect(result.stdout).toBe('Setting up hello (2.10-3) ...\ninstalled\n');
  });

  it('fix-broken that fails too stops the step with every message and what to run by hand: one configure, one fix-broken, no install retried', async () => {
    const host = interruptedHost('fix-fails', { repair: 'dependency-problems', fixBroken: 'fails' });
    const result = await install(host, ['hello']);
    expect(result.code).toBe(100);
    expect(host.dpkgCalls()).toEqual([CONFIGURE]);
    expect(host.aptCalls()).toEqual([INSTALL_ARGS, FIX_BROKEN_ARGS]);
    expect(result.stderr).toContain(INTERRUPTED.trim());
    expect(result.stderr).toContain(DEPENDENCY_PROBLEMS.join('\n'));
    expect(result.stderr).toContain(FIX_BROKEN_FAILED);
    expect(result.stderr.trim().split('\n').pop()).toBe(REPAIR_FAILED(100));
  });

  it("a maintainer script that fails the configure fails fix-broken's try too: the step stops with apt's and dpkg's messages and what to run by hand", async () => {
    const host = interruptedHost('fails', { repair: 'fails', fixBroken: 'fails' });
    const result = await install(host, ['hello']);
    expect(result.code).toBe(100);
    expect(host.aptCalls()).toEqual([INSTALL_ARGS, FIX_BROKEN_ARGS]);
    expect(host.dpkgCalls()).toHaveLength(1);
    expect(result.stderr).toContain(INTERRUPTED.trim());
    expect(result.stderr).toContain(' installed hello package post-installation script subprocess returned error exit status 1');
    expect(result.stderr.trim().split('\n').pop()).toBe(REPAIR_FAILED(100));
  });

  it('a dpkg lock another dpkg holds is waited for, within the same wait as apt\'s', async () => {
    const host = interruptedHost('locked', { repair: 'works', lockedCalls: 2 });
    const result = await install(host, ['hello']);
    expect(result.code).toBe(0);
    expect(host.dpkgCalls()).toHaveLength(3);
    expect(host.aptCalls()).toHaveLength(2);
    expect(result.stderr).toContain('dpkg --configure -a: waiting for the dpkg lock (up to 6 s): dpkg: error: dpkg frontend lock was locked by another process with pid 812');
  });

  it("in a batch, dpkg's lock wait is a step warning of one line, dpkg's own naming the holder, without its note", async () => {
    const marker = '@@gridops-step-0123456789abcdef@@';
    const host = interruptedHost('locked-warned', { repair: 'works', lockedCalls: 1 });
    const result = await install(host, ['hello'], undefined, marker);
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n').filter((l) => l.startsWith(`${marker} warning `))).toEqual([
      `${marker} warning ${REPAIR_SAID}`,
      `${marker} warning dpkg --configure -a: waiting for the dpkg lock (up to 6 s): dpkg: error: dpkg frontend lock was locked by another process with pid 812`,
    ]);
    expect(result.stderr).not.toContain('Note: removing the lock file');
  });

  it('a dpkg lock still held after the wait ends the step there: no fix-broken, which would only wait for it too', async () => {
    const host = interruptedHost('still-locked', { repair: 'works', lockedCalls: 100 });
    const result = await install(host, ['hello'], { totalS: 1, pauseS: 1 });
    expect(result.code).toBe(2);
    expect(host.aptCalls()).toEqual([INSTALL_ARGS]);
    expect(result.stderr).toContain('dpkg --configure -a: the dpkg lock is still held after 1 s');
    expect(result.stderr.trim().split('\n').pop()).toBe(HELD_PAST_WAIT);
  });

  it("each stage of the repair waits for a lock with a wait of its own: apt's wait before it does not use up dpkg's", async () => {
    // apt's lock is held for the first 3 tries (2 to 3 s of a 4 s wait, as `date +%s` rounds), then apt says dpkg was
    // interrupted; dpkg's lock is held twice (1 to 2 s more). One wait shared by both would run out at dpkg's second
    // try; a wait of each stage's own leaves a second of slack to each, for a slow machine's fork and exec.
    const host = interruptedHost('budget', { repair: 'works', aptLockedCalls: 3, lockedCalls: 2 });
    const result = await install(host, ['hello'], { totalS: 4, pauseS: 1 });
    expect(result.code).toBe(0);
    expect(host.dpkgCalls()).toHaveLength(3);
    expect(result.stderr).toContain('dpkg --configure -a: waiting for the dpkg lock (up to 4 s): dpkg: error: dpkg frontend lock was locked by another process with pid 812');
    expect(result.stderr).not.toContain('still held');
  }, 20_000);

  it("a maintainer script's own words about a lock are not dpkg's lock: the failure is not waited on as one", async () => {
    const host = interruptedHost('script-locked', { repair: 'script-says-locked', fixBroken: 'fails' });
    const result = await install(host, ['hello']);
    expect(host.dpkgCalls()).toHaveLength(1);
    expect(result.stderr).not.toContain('waiting for the dpkg lock');
    expect(result.stderr).toContain(FIX_BROKEN_SAID);
    expect(result.stderr.trim().split('\n').pop()).toBe(REPAIR_FAILED(100));
  });

  it("apt's lock message is shown as apt wrote it, backslashes and all", async () => {
    const host = journalClean(interruptedHost('backslash', { repair: 'works', aptLockedCalls: 1 }));
    const result = await install(host, ['hello']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`apt-get install: waiting for the apt lock (up to 6 s): ${APT_LOCKED}\n`);
  });

  it('apt-get -f install that meets a lock still held past its wait says so, not that a maintainer script failed', async () => {
    const host = interruptedHost('fix-locked', { repair: 'dependency-problems', fixBroken: 'locked' });
    const result = await install(host, ['hello'], { totalS: 1, pauseS: 1 });
    expect(result.code).toBe(100);
    expect(result.stderr).toContain('apt-get -f install: the apt lock is still held after 1 s');
    expect(result.stderr.trim().split('\n').pop()).toBe(HELD_PAST_WAIT);
  });

  it('an install that works at once runs no dpkg', async () => {
    const host = journalClean(interruptedHost('clean', { repair: 'works' }));
    const result = await install(host, ['hello']);
    expect(result.code).toBe(0);
    expect(host.dpkgCalls()).toEqual([]);
    expect(result.stderr).toBe('');
  });
});

describe('a package whose dpkg triggers are pending (apt-get install leaves them so): the install runs them, so the next plan has no change', () => {
  it.each(['triggers-pending', 'triggers-awaited'])('install ok %s: dpkg --triggers-only -a, once, said once', async (state) => {
    const host = journalClean(interruptedHost(state, { repair: 'works', status: `install ok ${state}` }));
    const result = await install(host, ['hello']);
    expect(result.code).toBe(0);
    expect(host.aptCalls()).toEqual([INSTALL_ARGS]);
    expect(host.dpkgCalls()).toEqual(['DEBIAN_FRONTEND=noninteractive LC_ALL=C --triggers-only -a']);
    expect(result.stderr.split('\n').filter((l) => l.includes('--triggers-only'))).toEqual([TRIGGERS_SAID]);
  });

  it.each(['triggers-pending', 'triggers-awaited'])("a virtual name (awk) whose provider is %s, which dpkg-query -W awk cannot show: the triggers run all the same", async (state) => {
    const host = journalClean(interruptedHost(`virtual-${state}`, { repair: 'works', known: { mawk: `install ok ${state}` } }));
    const result = await install(host, ['awk']);
    expect(result.code).toBe(0);
    expect(host.aptCalls()).toEqual([INSTALL_ARGS.replace(/hello$/, 'awk')]);
    expect(host.dpkgCalls()).toEqual(['DEBIAN_FRONTEND=noninteractive LC_ALL=C --triggers-only -a']);
    expect(said(result.stderr, TRIGGERS_SAID)).toBe(1);
  });

  it('no package with triggers pending: no dpkg run', async () => {
    const host = journalClean(interruptedHost('no-triggers', { repair: 'works', known: { mawk: 'install ok installed', 'old-lib': 'deinstall ok config-files' } }));
    const result = await install(host, ['awk']);
    expect(result.code).toBe(0);
    expect(host.dpkgCalls()).toEqual([]);
  });

  it("a maintainer script's own words about a lock are not apt's lock: the install fails at once, not waited on", async () => {
    const host = journalClean(interruptedHost('postinst-lock-words', { repair: 'works', aptSaysLockWords: true }));
    const result = await install(host, ['hello']);
    expect(result.code).toBe(100);
    expect(host.aptCalls()).toHaveLength(1);
    expect(result.stderr).not.toContain('waiting for the apt lock');
  });

  it('triggers whose run meets a dpkg lock held past the wait say so, as the repair does', async () => {
    const host = journalClean(interruptedHost('triggers-locked', { repair: 'works', status: 'install ok triggers-pending', lockedCalls: 100 }));
    const result = await install(host, ['hello'], { totalS: 1, pauseS: 1 });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n').pop()).toBe(HELD_PAST_WAIT);
  });

  it('triggers that fail stop the step with dpkg\'s message and what to run by hand', async () => {
    const host = journalClean(interruptedHost('triggers-fail', { repair: 'works', status: 'install ok triggers-pending', triggersFail: true }));
    const result = await install(host, ['hello']);
    expect(result.code).toBe(1);
    expect(host.dpkgCalls()).toHaveLength(1);
    expect(result.stderr).toContain(' installed man-db package post-installation script subprocess returned error exit status 1');
    expect(result.stderr.trim().split('\n').pop()).toBe('apt-get install: dpkg --triggers-only -a failed (exit 1); run it on the host, fix what it reports, then apply again');
  });
});

/**
 * The package step as apply runs it: recorded by the package resource, in one host's batch (the
 * batch's script really runs, in a local shell whose PATH finds the fake apt-get and dpkg first),
 * through the gate and the applier. `after`: a command planned after the package, which fails when
 * it says so.
 */
async function applyPackage(host: Host, after?: { fails: boolean }): Promise<HostOutcome> {
  const transport = new RecordingTransport('n1').on(/^sh -s$/, (command, { options }) => local.exec(command, { stdin: `PATH=${quote(host.path)}; export PATH\n${options.stdin}`, timeoutMs: 30_000 }));
  const pkg = new PackageResource(['hello']);
  const resources: Resource[] = [pkg];
  const changes: Change[] = [pkg.diff('hello missing\n', { node: node('n1'), facts: facts() })!];
  if (after) {
    const command = new CommandResource({ name: 'after', command: after.fails ? 'echo broken >&2; exit 3' : 'true' });
    resources.push(command);
    changes.push(command.diff('')!);
  }
  const planned: PlannedHost = {
    session: { node: node('n1'), transport, facts: facts() },
    resources: new Map(resources.map((r) => [r.id, r])),
    handlers: [],
    managedUnits: new Set(),
    kernelEntries: {},
    plan: { host: 'n1', address: '10.0.0.1', playbooks: ['t'], changes, notes: [], handlers: [] },
  };
  const [outcome] = await applyPlan([planned], { concurrency: 1, failFast: false, emit: () => undefined });
  return outcome!;
}

describe("through apply: a package step that succeeded after a repair says what it repaired, since a succeeded step's stderr is shown nowhere", () => {
  const pkg = new PackageResource(['hello']).id;

  it('an interrupted dpkg finished with dpkg --configure -a: the outcome carries that line as a warning of the package change', async () => {
    const outcome = await applyPackage(interruptedHost('apply-repairs', { repair: 'works' }), { fails: false });
    expect(outcome.status).toBe('applied');
    expect(outcome.warnings).toEqual([{ id: pkg, message: REPAIR_SAID }]);
  });

  it('each repair of the chain (configure -a, then apt-get -f install) and the pending triggers run, in order', async () => {
    const outcome = await applyPackage(interruptedHost('apply-dependency', { repair: 'dependency-problems', status: 'install ok triggers-pending' }));
    expect(outcome.status).toBe('applied');
    expect(outcome.warnings).toEqual([REPAIR_SAID, FIX_BROKEN_SAID, TRIGGERS_SAID].map((message) => ({ id: pkg, message })));
  });

  it("a wait for another apt's lock is said as a warning too, once, with apt's own line naming the holder (backslashes and all), though the install then succeeded", async () => {
    const outcome = await applyPackage(journalClean(interruptedHost('apply-lock-wait', { repair: 'works', aptLockedCalls: 1 })));
    expect(outcome).toMatchObject({ status: 'applied', applied: 1 });
    expect(outcome.warnings).toEqual([{ id: pkg, message: `apt-get install: waiting for the apt lock (up to 120 s): ${APT_LOCKED}` }]);
  }, 20_000);

  it('an install that needed no repair has no warning: the rest of its output stays unsaid', async () => {
    const outcome = await applyPackage(journalClean(interruptedHost('apply-clean', { repair: 'works' })));
    expect(outcome).toMatchObject({ status: 'applied', applied: 1 });
    expect(outcome.warnings).toBeUndefined();
  });

  it('a repair that failed is the failure, its lines in its stderr as they were, not warnings; one that succeeded before a later change failed is still said', async () => {
    const failed = await applyPackage(interruptedHost('apply-fix-fails', { repair: 'dependency-problems', fixBroken: 'fails' }));
    expect(failed.status).toBe('failed');
    expect(failed.warnings).toBeUndefined();
    expect(failed.failure!.stderr!.split('\n')).toEqual(expect.arrayContaining([REPAIR_SAID, FIX_BROKEN_SAID, REPAIR_FAILED(100)]));
    const later = await applyPackage(interruptedHost('apply-later-fails', { repair: 'works' }), { fails: true });
    expect(later).toMatchObject({ status: 'failed', applied: 1, failure: { step: 'command after', stderr: 'broken\n' } });
    expect(later.warnings).toEqual([{ id: pkg, message: REPAIR_SAID }]);
  });
});
