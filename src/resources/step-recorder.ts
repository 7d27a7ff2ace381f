import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path/posix';
import { quote } from '../transport/quote.js';
import { APT_INSTALL_STEP_MS, APT_UPDATE_STEP_MS, aptInstall, aptUpdateWithRetries, type AptLockWait } from './apt-scripts.js';
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
  /**
   * The random marker of the batch the steps are recorded for (engine/batch-script.ts), which step
   * warnings carry: a step says one with stepWarning(word, recorder.warningMarker) (step-warning.ts).
   */
  readonly warningMarker: string | undefined;
  /** How apt steps wait for another apt's lock; undefined: apt-scripts.ts's default. */
  private readonly aptLockWait: AptLockWait | undefined;

  /** `warningMarker`: the batch's marker; without it (no batch) a step warning is its message alone. */
  constructor(
    readonly host: string,
    options: { shell?: BatchShell; warningMarker?: string; aptLockWait?: AptLockWait } = {},
  ) {
    this.warningMarker = options.warningMarker;
    this.aptLockWait = options.aptLockWait;
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
    await this.run(aptInstall(packages, this.aptLockWait, this.warningMarker), `apt-get install ${packages.join(' ')}`, { timeoutMs: APT_INSTALL_STEP_MS });
  }

  /** apt-get update at most once per run on this host, before the first install. */
  async aptUpdateOnce(): Promise<void> {
    if (this.aptUpdated) return;
    await this.run(aptUpdateWithRetries(undefined, this.aptLockWait, this.warningMarker), 'apt-get update', { timeoutMs: APT_UPDATE_STEP_MS });
    this.aptUpdated = true;
  }
}
