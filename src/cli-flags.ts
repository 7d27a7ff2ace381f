import { setMaxListeners } from 'node:events';
import { stat } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { DEFAULT_CONCURRENCY } from './transport/fan-out.js';
import { KEEPER_MAX_LIFETIME_MS } from './transport/keeper-client.js';
import { promptSecret } from './prompt-secret.js';
import { UsageError } from './errors/index.js';
import { parseDuration } from './topology/formats.js';
import { limitSelectors } from './topology/select.js';

/** Flags shared by every command that connects to hosts. */
export const connectionFlags = {
  concurrency: Flags.integer({ description: 'hosts worked on at once', default: DEFAULT_CONCURRENCY, min: 1, max: 1000 }),
  'accept-new-host-keys': Flags.boolean({ description: 'record the keys of hosts missing from known_hosts (after you checked their fingerprints); changed keys are always refused', default: false }),
  // multipleNonGreedy: one value per --playbook and per --limit, so `--playbook qos FILE` or
  // `--limit n1 FILE` leaves FILE to the argument instead of taking it as a second value.
  playbook: Flags.string({ description: "ad-hoc work: run this playbook (one of gridops' by name, or a file: ./site.yaml; repeatable) instead of the grid's workflow", multiple: true, multipleNonGreedy: true, parse: playbookValue }),
  limit: Flags.string({ description: 'only these nodes: names, globs (web-*), a sub-grid (name or REGION/SUBGRID), a region, label:KEY=VALUE or label:KEY; comma-separated or repeated, &SEL intersects, !SEL excludes', multiple: true, multipleNonGreedy: true }),
  'ask-become-pass': Flags.boolean({ description: 'ask once for the sudo password of non-root SSH users (else GRIDOPS_BECOME_PASSWORD is used)', default: false }),
  'log-file': Flags.string({ description: 'append a structured (JSON lines) log of the run to this file' }),
  'state-dir': Flags.string({ description: 'where state and lock live (default: .gridops beside the topology)', parse: directoryOrAbsent }),
  persist: Flags.string({ description: "keep the SSH connections open this long after the run (e.g. 60s, like OpenSSH's ControlPersist) in a background keeper, and reuse the ones it kept: host keys verified once per connection, a socket of mode 0600, 30m at most. Not with --accept-new-host-keys or a become password. GRIDOPS_PERSIST=60s makes it your default", env: 'GRIDOPS_PERSIST' }),
};

/**
 * The commands that plan from the state (plan, apply, reset) and so refuse one a newer gridops
 * wrote (phases/newer-gridops-state.ts); only they take this flag, where it does something.
 */
export const olderGridopsFlags = {
  'allow-older-gridops': Flags.boolean({ description: 'go on where the state says a newer gridops applied hosts, which is refused without it: go back to this older gridops on purpose (its apply deploys its own, older agent)', default: false }),
};

/**
 * A --playbook value, refused by the parser (exit 64) when empty (`--playbook "$PB"` with PB unset):
 * read as a reference it would name no playbook and no file, with a hint to write `./.yaml`.
 */
export async function playbookValue(ref: string): Promise<string> {
  if (ref.trim() === '') throw new UsageError(`--playbook ${JSON.stringify(ref)} names no playbook`, "give one of gridops' playbooks by name (--playbook qos) or a file (--playbook ./site.yaml), or leave --playbook out");
  return ref;
}

/**
 * --state-dir's value, refused by the parser (exit 64, before anything is read or contacted) when
 * it names a file: past it, `state list` would call the state unreadable and `apply` fail to mkdir.
 * A directory that does not exist yet is fine: apply makes it.
 */
async function directoryOrAbsent(dir: string): Promise<string> {
  const hint = 'give --state-dir a directory (made if missing), or leave it out to keep the state in .gridops beside the topology';
  try {
    if ((await stat(dir)).isDirectory()) return dir;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return dir;
    if (code === 'ENOTDIR') throw new UsageError(`--state-dir ${dir} is not a directory: a part of its path is a file`, hint);
    // Unreadable for another reason (permissions): the state's own read or write says it with its path.
    return dir;
  }
  throw new UsageError(`--state-dir ${dir} is not a directory`, hint);
}

/**
 * Aborts the run's signal on the first SIGINT (Ctrl-C) or SIGTERM, telling `onFirst` which one
 * came (so the message names the key or signal that quits); a second one of either tells `onQuit`
 * (what the run leaves behind) and exits 130 at once.
 */
export function interruptOnSignals(onFirst: (signal: NodeJS.Signals) => void, onQuit?: (signal: NodeJS.Signals) => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  // Every host in flight listens to the run's signal (a connect's retry delay, an exec): up to
  // --concurrency listeners by design, which Node would report as a leak past 10.
  setMaxListeners(0, controller.signal);
  let count = 0;
  const handler = (received: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      onFirst(received);
      controller.abort(new Error('interrupted'));
    } else {
      // stderr is written synchronously to a terminal, a file or a pipe on Linux: the line is out before the exit.
      onQuit?.(received);
      process.exit(130);
    }
  };
  const onSigint = () => handler('SIGINT');
  const onSigterm = () => handler('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return { signal: controller.signal, dispose: () => (process.off('SIGINT', onSigint), process.off('SIGTERM', onSigterm)) };
}

/**
 * The run options every connecting command takes from connectionFlags, in one place (so none is
 * forgotten). `signal`: the run's interrupt, which also ends a password prompt left open.
 */
export function connectionRunOptions(flags: {
  concurrency: number;
  'accept-new-host-keys': boolean;
  'ask-become-pass': boolean;
  limit?: string[];
  'state-dir'?: string;
  persist?: string;
}, signal?: AbortSignal) {
  const persistSetByEnvironment = flags.persist !== undefined && persistFromEnvironment(flags.persist);
  return {
    concurrency: flags.concurrency,
    acceptNewHostKeys: flags['accept-new-host-keys'],
    becomePrompt: flags['ask-become-pass'] ? () => promptSecret('sudo password for the SSH user: ', signal ? { signal } : {}) : undefined,
    limit: flags.limit ? limitSelectors(flags.limit) : undefined,
    stateDir: flags['state-dir'],
    // `--persist 0s` uses the kept connections once more and lets the keeper end after the run.
    persistMs: flags.persist === undefined ? undefined : persistFlag(flags.persist, persistSetByEnvironment),
    // The warning that --persist goes unused names what the user set: there is no --persist to drop when GRIDOPS_PERSIST set it.
    persistFromEnvironment: persistSetByEnvironment,
  };
}

/**
 * `--persist`'s value in milliseconds: `0s` (use the kept connections once more and let the keeper
 * end after the run), or a duration up to KEEPER_MAX_LIFETIME_MS. Longer is a usage error rather
 * than a silent cut: the keeper never lives longer, so a longer value would not be what happens.
 */
export function persistFlag(value: string, fromEnvironment = false): number {
  if (/^0+(ms|s|m|h)?$/.test(value.trim())) return 0;
  const max = `${KEEPER_MAX_LIFETIME_MS / 60_000}m`;
  // A value from the environment is named as the user set it: the command line has no --persist to fix.
  const named = fromEnvironment ? `GRIDOPS_PERSIST=${value} (the default of --persist, from the environment)` : `--persist ${JSON.stringify(value)}`;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new UsageError(`${named}: ${(err as Error).message}`, fromEnvironment ? `set GRIDOPS_PERSIST to a duration such as 60s (export GRIDOPS_PERSIST=60s), or unset it` : (err as { hint?: string }).hint);
  }
  if (ms > KEEPER_MAX_LIFETIME_MS) throw new UsageError(`${named}: longer than ${max}, the longest a connection keeper takes new runs`, fromEnvironment ? `set GRIDOPS_PERSIST to at most ${max} (export GRIDOPS_PERSIST=${max}), or unset it` : `use at most ${max}, e.g. --persist ${max}`);
  return ms;
}

/** Whether --persist's `value` came from GRIDOPS_PERSIST rather than the command line. */
function persistFromEnvironment(value: string): boolean {
  return value === process.env.GRIDOPS_PERSIST && !process.argv.some((a) => a === '--persist' || a.startsWith('--persist='));
}

/** A duration flag's value in milliseconds, or a UsageError naming the flag (`--wait 30` has no unit). */
export function durationFlag(flag: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new UsageError(`--${flag} ${JSON.stringify(value)}: ${(err as Error).message}`, (err as { hint?: string }).hint);
  }
}
