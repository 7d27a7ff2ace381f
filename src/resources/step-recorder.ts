import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path/posix';
import { quote, sh } from '../transport/quote.js';
import type { BatchShell } from './batch-shell.js';
import { chmodMode } from './octal-mode.js';
import { utf8Text } from './utf8-text.js';

/** One remote command of a change, as recorded by a StepRecorder. */
export interface RecordedStep {
  /** The change this step belongs to. */
  change: string;
  /** Human name of the step, e.g. `write /etc/gridops/node.json`. */
  label: string;
  command: string;
  timeoutMs: number;
  /**
   * The command keeps its shell state (umask, options, variables) in a subshell of its own and
   * cleans up after itself, so the batch runs it as it is rather than in one more subshell.
   */
  isolated?: true;
  /**
   * A write staged in the batch's own shell and not yet in place: its command makes the temp file
   * and sets `_gs` (0, or the status to exit with) instead of exiting, and the batch renames it over
   * the target together with the writes next to it (engine/batch-script.ts).
   */
  placement?: Placement;
  /**
   * Guards the batch checks just before the step, in order: the first that holds (exits 0) stands
   * for the step, which does not run, and its change says it was skipped, for that guard's reason
   * (engine/batch-script.ts). What an earlier change of the batch did counts (a command's `creates`).
   */
  skipWhen?: readonly SkipGuard[];
}

/** A shell test (run with stdin from /dev/null) that, when it exits 0, skips its step; and why, as the run says it. */
export interface SkipGuard {
  test: string;
  reason: string;
}

/** A staged write: its temp file, named `prefix` + the target's own name in the target's directory. */
export interface Placement {
  temp: string;
  target: string;
  /** What `rename.ul` removes from the temp file's name to make the target's: the same for a whole batch. */
  prefix: string;
}

/**
 * One step as its batch runs it: in a subshell unless it isolates itself (a fork fewer), with
 * stdin from /dev/null (stdin is the batch's script: a step must not read, and eat, the rest of
 * it). A failing step ends the batch with its status.
 */
export function stepScript(step: Pick<RecordedStep, 'command' | 'isolated'>): string {
  return step.isolated ? `{ ${step.command}\n} < /dev/null || exit $?` : `( ${step.command}\n) < /dev/null || exit $?`;
}

/** The exit status of a write whose temp file could not be made: that name, whatever is there, is not ours to remove. */
const TEMP_REFUSED = 200;

const HEREDOC_END = 'GRIDOPS_CONTENT_END';

/** The descriptor a write holds its temp file on, from its creation (O_EXCL) to its last change. */
const HELD_FD = 9;
/** The held temp file by a name no one else can swap: the kernel resolves it to the open file itself. */
const HELD_PATH = `/proc/self/fd/${HELD_FD}`;
/**
 * The shell's noclobber opens a FIFO, a device or a symlink to one that appeared at the temp name
 * after the test for it: only a regular file is written. Without /proc there is no name for the
 * descriptor that chmod and chown could use, so the write stops too.
 */
const HELD_IS_REGULAR = (path: string): string =>
  `{ [ -f ${HELD_PATH} ] || { echo ${quote(`${path}: its temp file is not a regular file once opened (or /proc is not mounted); the file was left as it was`)} >&2; false; }; }`;

/** An absolute path of non-empty parts, none `.` or `..`, without a final `/`. */
const PLAIN_PATH = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/;

/** How a file is written besides its content and mode. */
export interface WriteOptions {
  owner?: string;
  group?: string;
  /**
   * The file being replaced gives the new one its owner and group, as they are when the write
   * runs (`chown --reference`, by number: an owner without a name is kept too); `owner` and
   * `group`, when set, win. An edit of a file (a `line`) must not hand it to the user gridops runs as.
   */
  keepOwnerOf?: 'target';
  /**
   * A shell command that must succeed on the new content, in the temp file `"$t"`, before it
   * replaces the target: e.g. `sysctl -p "$t"` for a sysctl.d file. Plain files have none.
   */
  check?: string;
  /** Short name of the check, for the step's label and the error. */
  checkName?: string;
}

/** `owner:group` for chown, or undefined when neither is set. */
export function ownerSpec(owner?: string, group?: string): string | undefined {
  if (!owner && !group) return undefined;
  return `${owner ?? ''}${group ? `:${group}` : ''}`;
}

/** A local file sent to the host over the connection (SFTP) before the host's script runs, into a root-only directory; a step then checks and places it. */
export interface StagedUpload {
  localPath: string;
  remotePath: string;
}

/** Each attempt's bound, in seconds: a stall costs a minute, and a slow mirror gets ever longer tries (apt resumes partial files). */
const APT_UPDATE_ATTEMPTS_S = [60, 120, 240, 480];

/** How long, in all, an apt step waits for the lock another apt holds, and how often it tries again meanwhile. */
export interface AptLockWait {
  totalS: number;
  pauseS: number;
}

/** apt-daily's update and download on a fresh cloud VM take a minute or two. */
const APT_LOCK_WAIT: AptLockWait = { totalS: 120, pauseS: 5 };

/** How a lock held by another process shows in a command's stderr (a case pattern), and the lock's name in what the step says. */
interface HeldLock {
  pattern: string;
  name: string;
}

/** apt-get's words for a lock held: it fails at once, exit 100. */
const APT_LOCK: HeldLock = { pattern: "*'Could not get lock'*", name: 'the apt lock' };

/**
 * dpkg's words for its lock held (`dpkg: error: dpkg frontend lock was locked by another process
 * with pid N`; before dpkg 1.21, `dpkg: error: dpkg status database is locked by another process`):
 * it fails at once, exit 2, and has no option to wait. Matched with dpkg's own prefix: a maintainer
 * script's output, which dpkg's stderr carries too, may say a lock of its own is held, and its
 * failure is not a lock to wait for.
 */
const DPKG_LOCK: HeldLock = { pattern: "*'dpkg: error: dpkg '*'locked by another process'*", name: 'the dpkg lock' };

/**
 * Shell lines that run `command` (an apt-get call, or a dpkg one with `lock` DPKG_LOCK) and set `r`
 * to its status, and `apt_err` to its stderr, trying it again while
 * it fails because another apt or dpkg holds a lock, until `apt_lock_waited`, the wall time since the lock
 * was first met (`apt_lock_since`, which the caller clears once per stage: an update's retries
 * share one wait, each stage of an install's repair has its own, the step's timeout bounding them
 * all), reaches the wait's total.
 *
 * Why: `DPkg::Lock::Timeout` waits only for dpkg's locks. `apt-get update` takes
 * /var/lib/apt/lists/lock, and `apt-get install` /var/cache/apt/archives/lock for its downloads,
 * without waiting: with apt-daily.service holding one (a fresh cloud VM's first minutes), apt fails
 * at once, exit 100, `E: Could not get lock …`. Its stderr is kept apart (stdout goes on as it
 * comes), so the step says once that it waits, with apt's own line naming the holder's pid, and
 * shows a failure's message as apt printed it.
 */
function aptWaitingForLock(what: string, command: string, wait: AptLockWait, lock: HeldLock = APT_LOCK): string[] {
  const stillHeld = `${what}: ${lock.name} is still held after ${wait.totalS} s`;
  return [
    'while :; do',
    // LC_ALL=C: the lock's message is matched in English (a host whose locale is translated would not wait).
    `  { apt_err=$(LC_ALL=C ${command} 2>&1 1>&3 3>&-); } 3>&1; r=$?`,
    '  case $r:$apt_err in',
    '    0:*) ;;',
    `    ${lock.pattern})`,
    // Wall time since the lock was first met: a held dpkg lock costs each try its own DPkg::Lock::Timeout too.
    '      now=$(date +%s); apt_lock_since=${apt_lock_since:-$now}; apt_lock_waited=$((now - apt_lock_since))',
    `      if [ "$apt_lock_waited" -lt ${wait.totalS} ]; then`,
    // printf, not echo: dash's echo reads backslashes in apt's message as escapes (`\c` ends the line there).
    `        [ "$apt_lock_waited" -gt 0 ] || [ -n "$apt_lock_said" ] || printf '%s %s\\n' ${quote(`${what}: waiting for ${lock.name} (up to ${wait.totalS} s):`)} "$apt_err" >&2`,
    `        apt_lock_said=1; sleep ${wait.pauseS}; continue`,
    '      fi',
    `      apt_err="$apt_err"${quote(`\n${stillHeld}`)} ;;`,
    '  esac',
    `  [ -z "$apt_err" ] || printf '%s\\n' "$apt_err" >&2`,
    '  break',
    'done',
  ];
}

/**
 * `apt-get update`, each attempt bounded and retried (Ansible's `update_cache_retries`): an index
 * fetch through a proxy or mirror that stalls with its connection half-closed hangs apt past its
 * own `Acquire::http::Timeout`, and a fresh attempt gets through. A node's own apt timers may hold
 * the lists lock for a while: that is waited for (aptWaitingForLock) without using up an attempt.
 */
export function aptUpdateWithRetries(attemptSeconds: readonly number[] = APT_UPDATE_ATTEMPTS_S, lockWait: AptLockWait = APT_LOCK_WAIT): string {
  const n = attemptSeconds.length;
  return [
    "attempt=0; apt_lock_waited=0; apt_lock_since=''; apt_lock_said=''",
    `for bound in ${attemptSeconds.join(' ')}; do`,
    '  attempt=$((attempt + 1))',
    ...aptWaitingForLock('apt-get update', 'DEBIAN_FRONTEND=noninteractive timeout -k 10 "$bound" apt-get -o DPkg::Lock::Timeout=120 update -q', lockWait).map((line) => `  ${line}`),
    '  [ "$r" -eq 0 ] && exit 0',
    `  echo "apt-get update: attempt $attempt of ${n} failed or timed out after $bound s" >&2`,
    `  [ "$attempt" -lt ${n} ] && sleep "$attempt"`,
    'done',
    'exit 1',
  ].join('\n');
}

/** The longest an apt-get update step may take: every attempt, its kill grace and its pause, and the lock's wait. */
const APT_UPDATE_STEP_MS = (APT_UPDATE_ATTEMPTS_S.reduce((sum, s) => sum + s + 15, 0) + APT_LOCK_WAIT.totalS) * 1000;

/** A changed conffile keeps the host's version, or takes the new one where the host never changed it (as Ansible's apt module). */
const KEEP_CONFFILES = ['--force-confdef', '--force-confold'];

/**
 * `apt-get install` of `packages`, waiting for dpkg's locks (DPkg::Lock::Timeout) and for the
 * archives lock (aptWaitingForLock). KEEP_CONFFILES: with stdin from /dev/null dpkg's conffile
 * question would fail the install.
 *
 * A dpkg interrupted earlier (Ctrl-C, a lost connection, a reboot) leaves its journal in
 * /var/lib/dpkg/updates/, and apt then refuses every install at once (`E: dpkg was interrupted,
 * you must manually run 'dpkg --configure -a' …`, exit 100), so a re-run would never converge.
 * The step repairs it as apt's own advice goes: `dpkg --configure -a`, waiting for dpkg's lock as
 * for apt's (dpkg has no lock timeout of its own, and apt will not run it while the journal is
 * dirty); where that fails, `apt-get -f install` (aptFixBroken); then the install once more. The
 * likeliest leftover of an interrupted multi-package install needs both: a package unpacked
 * before the one it depends on, which `--configure -a` leaves unconfigured (`dependency
 * problems`) and only apt can fetch. Each runs at most once, and a repair that fails ends the step
 * there, saying what to run by hand: never a loop.
 *
 * Then pending triggers (aptTriggersRun).
 */
/**
 * Clears the lock wait (aptWaitingForLock) for a new stage of an install: apt's wait for its
 * archives lock before an interrupted dpkg is found must not use up the wait for dpkg's lock that
 * the repair then meets (unattended-upgrades runs `dpkg --configure -a` itself), nor must a wait
 * said once keep the next lock's wait from being said.
 */
const NEW_LOCK_WAIT = "apt_lock_since=''; apt_lock_said=''";

export function aptInstall(packages: readonly string[], lockWait: AptLockWait = APT_LOCK_WAIT): string {
  const install = aptWaitingForLock('apt-get install', `DEBIAN_FRONTEND=noninteractive apt-get ${aptInstallOptions()} install -y -q --no-install-recommends ${sh(packages)}`, lockWait);
  const repair = aptWaitingForLock('dpkg --configure -a', `DEBIAN_FRONTEND=noninteractive dpkg ${KEEP_CONFFILES.join(' ')} --configure -a`, lockWait, DPKG_LOCK);
  return [
    "apt_lock_waited=0; apt_lock_since=''; apt_lock_said=''",
    ...install,
    // Matched under LC_ALL=C, as the lock's message is (aptWaitingForLock).
    'case $r:$apt_err in',
    '  0:*) ;;',
    "  *'dpkg was interrupted'*)",
    `    echo ${quote('apt-get install: dpkg was interrupted earlier; finishing it with dpkg --configure -a')} >&2`,
    `    ${NEW_LOCK_WAIT}`,
    ...repair.map((line) => `    ${line}`),
    ...aptFixBroken(lockWait).map((line) => `    ${line}`),
    `    ${NEW_LOCK_WAIT}`,
    ...install.map((line) => `    ${line}`),
    '    ;;',
    'esac',
    ...aptTriggersRun(packages, lockWait),
    'exit "$r"',
  ].join('\n');
}

/** The options every apt-get call that may run dpkg takes: dpkg's lock waited for, changed conffiles kept. */
function aptInstallOptions(): string {
  return ['-o DPkg::Lock::Timeout=300', ...KEEP_CONFFILES.map((o) => `-o Dpkg::Options::=${o}`)].join(' ');
}

/**
 * Shell lines, run where `dpkg --configure -a` has just set `r`: when it failed (for anything but
 * another dpkg's lock held past the wait), `apt-get -f install` once, with the install's options
 * and lock wait, and the script exits there, saying what to run by hand, if that fails too.
 * `--no-remove`: where apt could fix the dependencies only by removing a package, it stops instead
 * (`Packages need to be removed but remove is disabled`): which of the host's packages to drop is
 * the operator's call, not an install's.
 */
function aptFixBroken(lockWait: AptLockWait): string[] {
  const fixBroken = aptWaitingForLock('apt-get -f install', `DEBIAN_FRONTEND=noninteractive apt-get ${aptInstallOptions()} -f install -y -q --no-install-recommends --no-remove`, lockWait);
  const failed = [
    quote('apt-get install: dpkg --configure -a and then apt-get -f install, run to finish what an interrupted dpkg left, failed (exit '),
    '"$r"',
    quote('); run both on the host, fix what they report (a failing maintainer script, a dependency apt cannot install without removing a package), then apply again'),
  ].join('');
  return [
    'if [ "$r" -ne 0 ]; then',
    // A dpkg still running holds what apt-get -f install needs too: apt would only wait its DPkg::Lock::Timeout out.
    `  case $apt_err in ${DPKG_LOCK.pattern}) echo ${quote('apt-get install: another dpkg still holds its lock; apply again once it is done')} >&2; exit "$r" ;; esac`,
    `  echo ${quote('apt-get install: dpkg --configure -a failed (exit ')}"$r"${quote('); fixing what it left with apt-get -f install')} >&2`,
    `  ${NEW_LOCK_WAIT}`,
    ...fixBroken.map((line) => `  ${line}`),
    `  [ "$r" -eq 0 ] || { echo ${failed} >&2; exit "$r"; }`,
    'fi',
  ];
}

/**
 * Shell lines, run once the install has set `r`: where it succeeded and a package of it is still
 * `triggers-pending` (its triggers not yet run) or `triggers-awaited` (waiting on another
 * package's), `dpkg --triggers-only -a` once, which runs every pending trigger. apt treats both
 * states as installed and does nothing for them ("already the newest version", no dpkg run: apt's
 * pkgCache::PkgIterator::State leaves triggers alone), while the probe, like Ansible's apt module,
 * counts only `ok installed` as installed: without this a package dpkg was interrupted in the
 * middle of triggering (update-initramfs, man-db) would be planned at every run. A failure ends the
 * step with dpkg's messages and what to run by hand.
 */
function aptTriggersRun(packages: readonly string[], lockWait: AptLockWait): string[] {
  const run = aptWaitingForLock('dpkg --triggers-only -a', 'DEBIAN_FRONTEND=noninteractive dpkg --triggers-only -a', lockWait, DPKG_LOCK);
  const said = 'apt-get install: dpkg left triggers of these packages pending; running them with dpkg --triggers-only -a';
  return [
    // A name dpkg-query does not know (a virtual package) prints nothing: only packages dpkg has count.
    `if [ "$r" -eq 0 ] && dpkg-query -W -f=${quote('${Status}\n')} ${sh(packages)} 2>/dev/null | grep -q -E ${quote(' triggers-(pending|awaited)$')}; then`,
    `  echo ${quote(said)} >&2`,
    `  ${NEW_LOCK_WAIT}`,
    ...run.map((line) => `  ${line}`),
    `  [ "$r" -eq 0 ] || echo ${quote('apt-get install: dpkg --triggers-only -a failed (exit ')}"$r"${quote('); run it on the host, fix what it reports, then apply again')} >&2`,
    'fi',
  ];
}

/**
 * The content as a string a shell word can carry byte for byte (quote() makes it one), or
 * undefined: a NUL cannot be in a shell word, and bytes that are not UTF-8 would not survive the
 * script's own encoding. Such content goes as base64 instead.
 */
function asShellText(content: Buffer): string | undefined {
  return content.includes(0) ? undefined : utf8Text(content);
}

/**
 * The only handle through which a resource changes a host, and only the mutation gate makes
 * one. It records the commands of each change; the gate then runs all of a host's changes as
 * one script in one remote session (each session costs about 6 ms of the host's CPU, 0.3 s
 * on 50 hosts at once). Planning code never sees a StepRecorder, so a plan cannot change anything.
 */
export class StepRecorder {
  readonly steps: RecordedStep[] = [];
  /** Big files (a disk image) go over SFTP, never as base64 in the script. */
  readonly uploads: StagedUpload[] = [];
  private change = '';
  private unitsChangedSinceReload = false;
  private aptUpdated = false;

  /**
   * The umask the batch's shell starts with, when known (a batch held in its read's session:
   * ReadOutput.shell). Writes then run in the batch's own shell, setting their umask and giving
   * this one back, instead of in a subshell each.
   */
  private readonly umask: string | undefined;
  /** The batch's writes are staged and placed together by `rename.ul` (BatchShell.renameUl); its name prefix, one per batch. */
  private readonly placementPrefix: string | undefined;

  constructor(
    readonly host: string,
    options: { shell?: BatchShell } = {},
  ) {
    const umask = options.shell?.umask;
    this.umask = umask !== undefined && /^[0-7]{4}$/.test(umask) ? umask : undefined;
    this.placementPrefix = this.umask && options.shell?.renameUl ? `.gridops-${randomBytes(8).toString('hex')}~` : undefined;
  }

  /** Steps recorded from now on belong to `change`. */
  begin(change: string): void {
    this.change = change;
  }

  /** A command built with quote()/sh(); the change fails if it exits non-zero. */
  async run(command: string, label: string, options: { timeoutMs?: number; isolated?: true; placement?: Placement; skipWhen?: readonly SkipGuard[] } = {}): Promise<void> {
    this.steps.push({
      change: this.change,
      label,
      command,
      timeoutMs: options.timeoutMs ?? 300_000,
      ...(options.isolated ? { isolated: true as const } : {}),
      ...(options.placement ? { placement: options.placement } : {}),
      ...(options.skipWhen?.length ? { skipWhen: options.skipWhen } : {}),
    });
  }

  /**
   * Atomic, checked write: the content (text as one quoted printf argument, a builtin; other
   * bytes as base64 in a here-document, so any bytes survive) goes to
   * a temp file in the same directory, which gets its mode and owner, then `check` runs on it
   * (as `"$t"`), and only then is it renamed over the target. If any of that fails, the temp file
   * is removed and the target is left exactly as it was.
   *
   * The temp file is made as mktemp makes one, without its exec: a random name (64 bits, from
   * here), created with O_EXCL (`set -C`, after a test that nothing is there: noclobber alone
   * would open an existing FIFO or device; anything already at that name is refused, never
   * followed, and left alone) and held open on HELD_FD, through which every later change to it
   * goes (content, mode, owner), under a umask that gives it its final mode at once when the mode has
   * no execute or special bit (no `chmod` exec either), else 0600 until the chmod.
   *
   * Where the batch's umask is known (the recorder's `umask`), the write runs in the batch's own
   * shell: it sets its umask and `set -C` for the temp file's creation alone, gives both back at
   * once, removes the temp file itself on any failure and exits (a failed step ends the batch), and
   * unsets `t`. No fork but `mv`'s: the bench's first run (two writes) took a lab host 117.9 -> 109.6
   * ms of CPU (10 alternating rounds of 10), and 50 hosts 1.59x -> 1.53x the SSH floor.
   *
   * Where the host also has `rename.ul` (BatchShell.renameUl) and the write has no check, not even
   * `mv`: the write is only staged, under a name of the batch's own (`.gridops-RANDOM~NAME`), sets
   * `_gs` instead of exiting, and the batch places it with the writes next to it, one `rename.ul`
   * for all (engine/batch-script.ts, which says which writes may share one). The bench's 3-task work done blind took 50 hosts 1.29x the
   * SSH floor with a `mv` for each file and 1.15x with one `rename.ul` for both (8 alternating
   * rounds, 2026-12-02). A write with a check is placed at once, since its check may read what the
   * writes before it placed.
   *
   * Otherwise the work runs in a subshell, so the umask and `set -C` end with it, and
   * `mv` is that subshell's last command, exec'd in its place: the batch's shell removes the temp
   * file if the subshell fails (1000 writes under dash: 5.9 -> 5.0 s of CPU against a subshell that
   * forks `mv`). Two execs fewer than mktemp and chmod, and one more for text (base64 was an exec
   * per file: 2 ms of a host's CPU).
   */
  async write(path: string, content: Buffer, mode: string, options: WriteOptions = {}): Promise<void> {
    const temp = quote(`${dirname(path)}/.${basename(path)}.gridops.${randomBytes(8).toString('hex')}`);
    const text = asShellText(content);
    const owner = ownerSpec(options.owner, options.group);
    // The mode goes into chmod unquoted, and a line's may be what the host's stat printed.
    const bits = Number.parseInt(chmodMode(mode), 8);
    const byUmask = (bits & ~0o666) === 0;
    // Text goes through printf, a builtin (no exec); other bytes through base64 in a here-document.
    // Everything after the creation goes through the descriptor the creation opened (HELD_FD), not
    // the name: in a directory another user may write (a service's home), that user could swap the
    // name for a symlink to /etc/shadow between two commands, and root would write and chown it.
    const fill = text !== undefined ? `printf %s ${quote(text)} >&${HELD_FD}` : `base64 -d >&${HELD_FD} <<'${HEREDOC_END}'`;
    const ownerKept = `echo ${quote(`${path}: cannot give the new content its owner and group; the file was left as it was`)} >&2`;
    const keepOwner = options.keepOwnerOf === 'target' ? [`{ chown --reference=${quote(path)} ${HELD_PATH} || { ${ownerKept}; false; }; }`] : [];
    // Owners before the mode: a chown clears the setuid and setgid bits a chmod gave. `--`: an owner
    // such as `--help` is a name to refuse, not an option.
    const prepare = [HELD_IS_REGULAR(path), fill, ...keepOwner, ...(owner ? [`chown -- ${quote(owner)} ${HELD_PATH}`] : []), ...(byUmask ? [] : [`chmod ${mode} ${HELD_PATH}`])];
    const createUmask = byUmask ? (~bits & 0o777).toString(8).padStart(4, '0') : '0077';
    // Both forms make the temp file the same way. noclobber's O_EXCL refuses an existing regular
    // file; the shell would open a FIFO, a device or a symlink to one, hence the test first.
    const taken = `echo ${quote(`${path}: its temp name`)} "$t" ${quote('is taken; the file was left as it was')} >&2`;
    const claimTemp = [`if [ -e "$t" ] || [ -L "$t" ]; then ${taken}; exit ${TEMP_REFUSED}; fi`, `command exec ${HELD_FD}> "$t" || exit ${TEMP_REFUSED}`];
    const heredoc = text !== undefined ? [] : [content.toString('base64').replace(/(.{76})/g, '$1\n'), HEREDOC_END];
    const checkFailed = `echo ${quote(`${path}: the new content failed its check (${options.checkName ?? 'check'}); the file was left as it was`)} >&2`;
    const label = options.checkName ? `write ${path} (checked by ${options.checkName})` : `write ${path}`;
    const prefix = this.placementPrefix;
    // Only a plain path is staged (no `//`, `.`, `..` or final `/`), so the staged name is in the
    // directory the kernel resolves for the target and a second write of it, spelled the same, is
    // seen by the batch (one through a symlinked directory finds the first's temp name taken: the
    // batch stops and says so).
    if (this.umask && prefix && !options.check && PLAIN_PATH.test(path)) {
      const staged = `${dirname(path)}/${prefix}${basename(path)}`;
      const stage = [
        `t=${quote(staged)}; umask ${createUmask}; set -C`,
        `if [ -e "$t" ] || [ -L "$t" ]; then ${taken}; _gs=${TEMP_REFUSED}; elif command exec ${HELD_FD}> "$t"; then _gs=0; else _gs=${TEMP_REFUSED}; fi`,
        `set +C; umask ${this.umask}`,
        `if [ "$_gs" = 0 ]; then if ${prepare.join(' && ')}; then :; else rm -f -- "$t"; _gs=1; fi; fi`,
        ...heredoc,
        `exec ${HELD_FD}>&-`,
        'unset t',
      ].join('\n');
      await this.run(stage, label, { isolated: true, placement: { temp: staged, target: path, prefix } });
      return;
    }
    if (this.umask) {
      const inShell = [
        `t=${temp}; umask ${createUmask}; set -C`,
        ...claimTemp,
        `set +C; umask ${this.umask}`,
        `if ${prepare.join(' && ')}; then :; else rm -f -- "$t"; exit 1; fi`,
        ...heredoc,
        `exec ${HELD_FD}>&-`,
        ...(options.check ? [`if ( ${options.check}
) < /dev/null; then :; else ${checkFailed}; rm -f -- "$t"; exit 1; fi`] : []),
        // -T: a directory where the file should be is an error, not a place to move it into. `--`:
        // a path such as `--help` is the target, not an option (mv would print its help and exit 0).
        `mv -f -T -- "$t" ${quote(path)} || { _gs=$?; rm -f -- "$t"; exit "$_gs"; }`,
        'unset t',
      ].join('\n');
      await this.run(inShell, label, { isolated: true });
      return;
    }
    const command = [
      `( t=${temp}; umask ${createUmask}; set -C`,
      ...claimTemp,
      'set +C',
      `if ${prepare.join(' && ')}; then :; else exit 1; fi`,
      ...heredoc,
      `exec ${HELD_FD}>&-`,
      ...(options.check ? [`if ( ${options.check}\n) < /dev/null; then :; else ${checkFailed}; exit 1; fi`] : []),
      `exec mv -f -T -- "$t" ${quote(path)}`,
      // A failed step ends the batch here, so `_gs` reaches no later step.
      `) || { _gs=$?; [ "$_gs" -eq ${TEMP_REFUSED} ] || rm -f -- ${temp}; exit "$_gs"; }`,
    ].join('\n');
    await this.run(command, label, { isolated: true });
  }

  /**
   * Sends a local file to `remotePath` (mode 0600) before the host's script runs, in a directory
   * only root may write (the transport makes it, mode 0700, or refuses the upload:
   * transport/root-only-dir.ts), so what the change's own steps then verify (sha256) and move into
   * place is what they get. A failed run leaves only that file, and the next upload overwrites it.
   */
  async stageUpload(localPath: string, remotePath: string): Promise<void> {
    if (!PLAIN_PATH.test(remotePath) || dirname(remotePath) === '/') throw new Error(`a staged upload needs an absolute path in a directory of its own, not ${JSON.stringify(remotePath)}`);
    this.uploads.push({ localPath, remotePath });
  }

  /** Records that a unit file changed; the next `reloadSystemdIfNeeded` runs daemon-reload. */
  unitFileChanged(): void {
    this.unitsChangedSinceReload = true;
  }

  /** daemon-reload at most once per batch of unit file changes on this host. */
  async reloadSystemdIfNeeded(): Promise<void> {
    if (!this.unitsChangedSinceReload) return;
    await this.run('systemctl daemon-reload', 'systemctl daemon-reload');
    this.unitsChangedSinceReload = false;
  }

  /** apt-get update (once per run on this host), then apt-get install of `packages`. */
  async aptInstall(packages: readonly string[]): Promise<void> {
    await this.aptUpdateOnce();
    await this.run(aptInstall(packages), `apt-get install ${packages.join(' ')}`, { timeoutMs: 900_000 });
  }

  /** apt-get update at most once per run on this host, before the first install. */
  async aptUpdateOnce(): Promise<void> {
    if (this.aptUpdated) return;
    await this.run(aptUpdateWithRetries(), 'apt-get update', { timeoutMs: APT_UPDATE_STEP_MS });
    this.aptUpdated = true;
  }
}
