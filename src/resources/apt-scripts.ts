/**
 * The shell scripts of apt steps: `apt-get update` retried, and `apt-get install` with the waits
 * for apt's and dpkg's locks, the repair of what an interrupted dpkg left, and pending triggers.
 * StepRecorder records them as steps; nothing here runs anything.
 */
import { quote, sh } from '../transport/quote.js';
import { stepWarning } from './step-warning.js';

/** Each attempt's bound, in seconds: a stall costs a minute, and a slow mirror gets ever longer tries (apt resumes partial files). */
const APT_UPDATE_ATTEMPTS_S = [60, 120, 240, 480];

/** How long, in all, an apt step waits for the lock another apt holds, and how often it tries again meanwhile. */
export interface AptLockWait {
  /** Whole seconds: the wait is measured with `date +%s`. */
  totalS: number;
  /** May be a fraction (tests pause briefly): the sleep of Debian's and Ubuntu's coreutils takes one. */
  pauseS: number;
}

/** apt-daily's update and download on a fresh cloud VM take a minute or two. */
const APT_LOCK_WAIT: AptLockWait = { totalS: 120, pauseS: 5 };

/** How long each apt-get call that may run dpkg waits for dpkg's lock itself (DPkg::Lock::Timeout). */
const APT_DPKG_LOCK_TIMEOUT_S = 300;

/**
 * The longest one apt-get stage can wait for locks: a try that meets dpkg's lock fails only after
 * waiting DPkg::Lock::Timeout for it, the lock wait's clock starting then (aptWaitingForLock), so
 * the last try may start just short of the wait's total and wait DPkg::Lock::Timeout again.
 */
const APT_STAGE_WAIT_S = 2 * APT_DPKG_LOCK_TIMEOUT_S + APT_LOCK_WAIT.totalS + APT_LOCK_WAIT.pauseS;

/**
 * The longest an install step may take: the work itself (15 minutes: downloads and maintainer
 * scripts), plus every wait its script can make, each stage having its own (aptInstall): the
 * three apt-get calls (the install, apt-get -f install, the install again) each wait for dpkg's
 * lock in apt and then for a lock apt does not wait for, and the two dpkg runs (--configure -a,
 * --triggers-only -a) for dpkg's lock. A step killed short of them would kill dpkg in the middle
 * of its work: the very state the repair is for.
 */
export const APT_INSTALL_STEP_MS = (900 + 3 * APT_STAGE_WAIT_S + 2 * (APT_LOCK_WAIT.totalS + APT_LOCK_WAIT.pauseS)) * 1000;

/** How a lock held by another process shows in a command's stderr (a case pattern), and the lock's name in what the step says. */
interface HeldLock {
  pattern: string;
  name: string;
}

/** apt-get's words for a lock held: it fails at once, exit 100. With apt's own `E: ` prefix, not a maintainer script's words. */
const APT_LOCK: HeldLock = { pattern: "*'E: Could not get lock'*", name: 'the apt lock' };

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
 * comes), so the step says once per wait that it waits, with apt's own line naming the holder's
 * pid (heldLockLine), and shows a failure's message as apt printed it. That line is a step warning
 * (step-warning.ts, with `warningMarker`, the batch's): a step that then succeeds shows no other
 * output, and the operator should hear that it waited on another apt.
 */
function aptWaitingForLock(what: string, command: string, wait: AptLockWait, warningMarker: string | undefined, lock: HeldLock = APT_LOCK): string[] {
  const stillHeld = `${what}: ${lock.name} is still held after ${wait.totalS} s`;
  const waiting = `${quote(`${what}: waiting for ${lock.name} (up to ${wait.totalS} s): `)}"$apt_lock_line"`;
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
    `        if [ "$apt_lock_waited" -eq 0 ] && [ -z "$apt_lock_said" ]; then`,
    ...heldLockLine(lock).map((line) => `          ${line}`),
    // printf (stepWarning), not echo: dash's echo reads backslashes in apt's message as escapes (`\c` ends the line there).
    `          ${stepWarning(waiting, warningMarker)}`,
    '        fi',
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
 * Shell lines that set `apt_lock_line` to the line of `apt_err` that says `lock` is held (apt's
 * `E: Could not get lock … It is held by process 812 (apt-get)`, dpkg's `… locked by another
 * process with pid 812`), without the lines around it (`E: Unable to lock directory …`, dpkg's
 * `Note: removing the lock file is always wrong …`): a step warning is one line. Builtins only.
 * Where no single line says it (the pattern's parts on two lines), the last line.
 */
function heldLockLine(lock: HeldLock): string[] {
  return [
    // A newline, for the expansions below: `$(printf '\n')` would lose it, and fork.
    "apt_nl='\n'",
    'apt_lock_line=$apt_err',
    'while :; do',
    `  case \${apt_lock_line%%"$apt_nl"*} in ${lock.pattern}) apt_lock_line=\${apt_lock_line%%"$apt_nl"*}; break ;; esac`,
    '  case $apt_lock_line in *"$apt_nl"*) apt_lock_line=${apt_lock_line#*"$apt_nl"} ;; *) break ;; esac',
    'done',
  ];
}

/**
 * `apt-get update`, each attempt bounded and retried (Ansible's `update_cache_retries`): an index
 * fetch through a proxy or mirror that stalls with its connection half-closed hangs apt past its
 * own `Acquire::http::Timeout`, and a fresh attempt gets through. A node's own apt timers may hold
 * the lists lock for a while: that is waited for (aptWaitingForLock) without using up an attempt.
 */
export function aptUpdateWithRetries(attemptSeconds: readonly number[] = APT_UPDATE_ATTEMPTS_S, lockWait: AptLockWait = APT_LOCK_WAIT, warningMarker?: string): string {
  const n = attemptSeconds.length;
  return [
    "attempt=0; apt_lock_waited=0; apt_lock_since=''; apt_lock_said=''",
    `for bound in ${attemptSeconds.join(' ')}; do`,
    '  attempt=$((attempt + 1))',
    ...aptWaitingForLock('apt-get update', 'DEBIAN_FRONTEND=noninteractive timeout -k 10 "$bound" apt-get -o DPkg::Lock::Timeout=120 update -q', lockWait, warningMarker).map((line) => `  ${line}`),
    '  [ "$r" -eq 0 ] && exit 0',
    `  echo "apt-get update: attempt $attempt of ${n} failed or timed out after $bound s" >&2`,
    `  [ "$attempt" -lt ${n} ] && sleep "$attempt"`,
    'done',
    'exit 1',
  ].join('\n');
}

/** The longest an apt-get update step may take: every attempt, its kill grace and its pause, and the lock's wait. */
export const APT_UPDATE_STEP_MS = (APT_UPDATE_ATTEMPTS_S.reduce((sum, s) => sum + s + 15, 0) + APT_LOCK_WAIT.totalS) * 1000;

/** A changed conffile keeps the host's version, or takes the new one where the host never changed it (as Ansible's apt module). */
const KEEP_CONFFILES = ['--force-confdef', '--force-confold'];

/** The options every apt-get call that may run dpkg takes: dpkg's lock waited for, changed conffiles kept. */
const APT_INSTALL_OPTIONS = [`-o DPkg::Lock::Timeout=${APT_DPKG_LOCK_TIMEOUT_S}`, ...KEEP_CONFFILES.map((o) => `-o Dpkg::Options::=${o}`)].join(' ');

/**
 * Clears the lock wait (aptWaitingForLock) for a new stage of an install: apt's wait for its
 * archives lock before an interrupted dpkg is found must not use up the wait for dpkg's lock that
 * the repair then meets (unattended-upgrades runs `dpkg --configure -a` itself), nor must a wait
 * said once keep the next lock's wait from being said.
 */
const NEW_LOCK_WAIT = "apt_lock_since=''; apt_lock_said=''";

/** What the step says last where a lock was still held at the end of a stage's wait. */
const HELD_PAST_WAIT = 'apt-get install: another dpkg or apt still holds its lock; apply again once it is done';

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
 *
 * `warningMarker`: the marker of the batch the step is recorded for, which its step warnings
 * (step-warning.ts) carry; undefined outside a batch.
 */
export function aptInstall(packages: readonly string[], lockWait: AptLockWait = APT_LOCK_WAIT, warningMarker?: string): string {
  const install = aptWaitingForLock('apt-get install', `DEBIAN_FRONTEND=noninteractive apt-get ${APT_INSTALL_OPTIONS} install -y -q --no-install-recommends ${sh(packages)}`, lockWait, warningMarker);
  const repair = aptWaitingForLock('dpkg --configure -a', `DEBIAN_FRONTEND=noninteractive dpkg ${KEEP_CONFFILES.join(' ')} --configure -a`, lockWait, warningMarker, DPKG_LOCK);
  return [
    "apt_lock_waited=0; apt_lock_since=''; apt_lock_said=''",
    ...install,
    // Matched under LC_ALL=C, as the lock's message is (aptWaitingForLock).
    'case $r:$apt_err in',
    '  0:*) ;;',
    "  *'dpkg was interrupted'*)",
    // A step warning (step-warning.ts), as the repairs after it: apply says them where the install then succeeds.
    `    ${stepWarning(quote('apt-get install: dpkg was interrupted earlier; finishing it with dpkg --configure -a'), warningMarker)}`,
    `    ${NEW_LOCK_WAIT}`,
    ...repair.map((line) => `    ${line}`),
    ...aptFixBroken(lockWait, warningMarker).map((line) => `    ${line}`),
    `    ${NEW_LOCK_WAIT}`,
    ...install.map((line) => `    ${line}`),
    '    ;;',
    'esac',
    ...aptTriggersRun(lockWait, warningMarker),
    'exit "$r"',
  ].join('\n');
}

/**
 * Shell lines, run where `dpkg --configure -a` has just set `r`: when it failed (for anything but
 * another dpkg's lock held past the wait), `apt-get -f install` once, with the install's options
 * and lock wait, and the script exits there, saying what to run by hand, if that fails too.
 * `--no-remove`: where apt could fix the dependencies only by removing a package, it stops instead
 * (`Packages need to be removed but remove is disabled`): which of the host's packages to drop is
 * the operator's call, not an install's.
 */
function aptFixBroken(lockWait: AptLockWait, warningMarker: string | undefined): string[] {
  const fixBroken = aptWaitingForLock('apt-get -f install', `DEBIAN_FRONTEND=noninteractive apt-get ${APT_INSTALL_OPTIONS} -f install -y -q --no-install-recommends --no-remove`, lockWait, warningMarker);
  const failed = [
    quote('apt-get install: dpkg --configure -a and then apt-get -f install, run to finish what an interrupted dpkg left, failed (exit '),
    '"$r"',
    quote('); run both on the host, fix what they report (a failing maintainer script, a dependency apt cannot install without removing a package), then apply again'),
  ].join('');
  return [
    'if [ "$r" -ne 0 ]; then',
    // A dpkg still running holds what apt-get -f install needs too: apt would only wait its DPkg::Lock::Timeout out.
    `  case $apt_err in ${DPKG_LOCK.pattern}) echo ${quote(HELD_PAST_WAIT)} >&2; exit "$r" ;; esac`,
    `  ${stepWarning(`${quote('apt-get install: dpkg --configure -a failed (exit ')}"$r"${quote('); fixing what it left with apt-get -f install')}`, warningMarker)}`,
    `  ${NEW_LOCK_WAIT}`,
    ...fixBroken.map((line) => `  ${line}`),
    // A lock still held past the wait is no failure to fix by hand: said as the other stages say it.
    `  [ "$r" -eq 0 ] || { case $apt_err in ${APT_LOCK.pattern}|${DPKG_LOCK.pattern}) echo ${quote(HELD_PAST_WAIT)} >&2 ;; *) echo ${failed} >&2 ;; esac; exit "$r"; }`,
    'fi',
  ];
}

/**
 * Shell lines, run once the install has set `r`: where it succeeded and any package dpkg has is
 * still `triggers-pending` (its triggers not yet run) or `triggers-awaited` (waiting on another
 * package's), `dpkg --triggers-only -a` once, which runs every pending trigger. apt treats both
 * states as installed and does nothing for them ("already the newest version", no dpkg run: apt's
 * pkgCache::PkgIterator::State leaves triggers alone), while the probe, like Ansible's apt module,
 * counts only `ok installed` as installed: without this a package dpkg was interrupted in the
 * middle of triggering (update-initramfs, man-db) would be planned at every run. A failure ends the
 * step with dpkg's messages and what to run by hand.
 *
 * Every package is checked, not only the ones named: a virtual name (`awk`) counts as installed
 * only when its provider (`mawk`) is `ok installed`, and `dpkg-query -W awk` prints nothing, since
 * dpkg knows no package of that name. dpkg-query's `${Status}` is read rather than `dpkg --audit`:
 * it is the exact state, one line a package, where --audit's report is prose that also lists
 * unpacked and half-configured packages, which --triggers-only does not finish.
 */
function aptTriggersRun(lockWait: AptLockWait, warningMarker: string | undefined): string[] {
  const run = aptWaitingForLock('dpkg --triggers-only -a', 'DEBIAN_FRONTEND=noninteractive dpkg --triggers-only -a', lockWait, warningMarker, DPKG_LOCK);
  const said = 'apt-get install: dpkg left package triggers pending; running them with dpkg --triggers-only -a';
  return [
    // No names: dpkg-query then lists every package dpkg has (all but purged ones).
    `if [ "$r" -eq 0 ] && dpkg-query -W -f=${quote('${Status}\n')} 2>/dev/null | grep -q -E ${quote(' triggers-(pending|awaited)$')}; then`,
    `  ${stepWarning(quote(said), warningMarker)}`,
    `  ${NEW_LOCK_WAIT}`,
    ...run.map((line) => `  ${line}`),
    '  if [ "$r" -ne 0 ]; then',
    '    case $apt_err in',
    `      ${DPKG_LOCK.pattern}) echo ${quote(HELD_PAST_WAIT)} >&2 ;;`,
    `      *) echo ${quote('apt-get install: dpkg --triggers-only -a failed (exit ')}"$r"${quote('); run it on the host, fix what it reports, then apply again')} >&2 ;;`,
    '    esac',
    '  fi',
    'fi',
  ];
}
