/**
 * Ending a held batch on its host (held-read.ts): the batch runs in the read's own shell, which
 * sshd made the leader of a session and a process group of its own, so the group is the batch and
 * everything it started. A batch of its own runs under the remote `timeout` instead
 * (remote-timeout.ts, withRemoteTimeout); in the held session that wrapper cost the host an exec of
 * `timeout`, its fork and an exec of a new `sh` for every changed host, about a tenth of a fresh
 * first apply at 50 hosts (the bench's work). What it gave is kept here:
 * - past the client's deadline, the group is ended from a second session of the same connection
 *   (sshd refuses a "signal" request on root sessions, and one reaches only the shell itself);
 * - a batch that is still running after WATCHDOG_AFTER_MS gets a watchdog on the host, which ends
 *   the group at the remote deadline if the client is gone by then (Ctrl-C twice, a crash, a
 *   lost network), as the remote `timeout` did. A batch that ends first costs nothing more.
 *
 * Both check, before each signal, that the group is still the batch's: its leader's pid names the
 * group and its start time is the one seen first. A leader that is gone with members left keeps
 * its pid from being reused (the kernel does not hand out a pid still naming a group), so a
 * leaderless group is still the batch's.
 */
import { quote } from './quote.js';

/** How long a held batch runs before its host gets a watchdog: longer than most batches take. */
export const WATCHDOG_AFTER_MS = 5000;

/** TERM, then KILL this long after it for what did not end on TERM. */
const KILL_AFTER_S = 2;

/** How often a watchdog looks whether its batch ended (then it ends too). */
const WATCH_EVERY_S = 5;

/** The exit status of a command that found the shell leading no group of its own (a forced command, a login set-up that does not exec). */
export const NOT_A_GROUP_LEADER = 3;

/**
 * Shell lines that define `_gw`, which sets `_gi` to the group and start time of process `$p`
 * (fields 5 and 22 of /proc/PID/stat, counted after the command name, which may hold spaces and
 * parentheses), or to nothing when there is no such process; and `_gours`, true while group `$p`
 * is still the batch's: its leader the one first seen, or gone with members left (non-root
 * sessions: sshd's TERM reached the whole group, and the shell was the first to go).
 */
const IDENTIFY = [
  '_gw() { _gi=; read -r _gl < /proc/$p/stat || return 0; set -- ${_gl##*) }; _gi="$3 ${20}"; }',
  '_gours() { _gw; if [ -n "$_gi" ]; then [ "$_gi" = "$_gwant" ]; else kill -s 0 -- -$p; fi; }',
  '_gw; _gwant=$_gi',
  // No such group any more: nothing to do. A shell that does not lead a group of its own: its group is not the batch's.
  'if [ -z "$_gwant" ]; then kill -s 0 -- -$p || exit 0',
  `elif [ "\${_gwant%% *}" != "$p" ]; then exit ${NOT_A_GROUP_LEADER}; fi`,
];

/** TERM to the group now; KILL to what is left of it later, if it is still the batch's. */
const END_GROUP = `kill -s TERM -- -$p; sleep ${KILL_AFTER_S}; _gours && kill -s KILL -- -$p`;

function pidOf(pid: number): string {
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new Error(`not a process group to end: ${pid}`);
  return quote(String(pid));
}

/**
 * The command that ends the held batch whose shell is `pid`, and everything it started: TERM at
 * once, KILL 2 s later. It returns at once (the KILL waits in the background), so a client that
 * is about to close its connection can still send it.
 */
export function endBatchCommand(pid: number): string {
  const body = [`p=${pidOf(pid)}`, ...IDENTIFY, `{ ${END_GROUP}; } </dev/null >/dev/null 2>&1 &`].join('\n');
  return `exec sh -c ${quote(body)} </dev/null >/dev/null 2>&1`;
}

/**
 * The command that leaves a watchdog on the host for the held batch whose shell is `pid`: it
 * looks every few seconds whether the batch is still running, ends with it, and ends the batch
 * itself after `seconds` (the remote deadline, 1 s after the client's) if it is still there.
 */
export function batchWatchdogCommand(pid: number, seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new Error(`not a deadline in seconds: ${seconds}`);
  const body = [
    `p=${pidOf(pid)}; n=${quote(String(seconds))}`,
    ...IDENTIFY,
    '{',
    `  while [ "$n" -gt 0 ]; do s=${WATCH_EVERY_S}; [ "$n" -lt "$s" ] && s=$n; sleep "$s"; n=$((n - s)); _gours || exit 0; done`,
    `  ${END_GROUP}`,
    '} </dev/null >/dev/null 2>&1 &',
  ].join('\n');
  return `exec sh -c ${quote(body)} </dev/null >/dev/null 2>&1`;
}
