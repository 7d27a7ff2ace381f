import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors/index.js';

/**
 * The lab directory: `--dir`, then $GRIDOPS_LAB_DIR, then ~/.cache/gridops/lab. Always absolute.
 * An empty `--dir` (`--dir "$LAB"` with LAB unset) is refused: taking it for the default would
 * let `lab down` remove the default lab instead of the one meant.
 */
export function resolveLabDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag.trim() === '') throw new UsageError('--dir is empty', 'name the lab directory, or leave --dir out for the default lab ($GRIDOPS_LAB_DIR or ~/.cache/gridops/lab)');
  return resolve(flag || env.GRIDOPS_LAB_DIR || join(homedir(), '.cache', 'gridops', 'lab'));
}

/** Shared cache (rootfs, VM image), reused by every lab: $GRIDOPS_CACHE_DIR or ~/.cache/gridops. */
export function resolveCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.GRIDOPS_CACHE_DIR || join(homedir(), '.cache', 'gridops'));
}

/**
 * Machine-wide runtime directory: slot claims, and netns hosts' overlay dirs (they cannot live under
 * /root, which they overlay). $GRIDOPS_LAB_RUN_ROOT moves it, so that unit tests can hold claims
 * without touching the machine's.
 */
export function runRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.GRIDOPS_LAB_RUN_ROOT || '/run/gridops-lab';
}

/** Files inside a lab directory. */
export function labFiles(dir: string) {
  return {
    state: join(dir, 'lab.json'),
    topology: join(dir, 'topology.yaml'),
    knownHosts: join(dir, 'known_hosts'),
    identity: join(dir, 'id_ed25519'),
    publicKey: join(dir, 'id_ed25519.pub'),
    nodes: join(dir, 'nodes'),
    proxy: join(dir, 'proxy'),
    dns: join(dir, 'dns'),
  };
}
