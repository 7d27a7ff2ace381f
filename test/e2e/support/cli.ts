import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built gridops binary, run as a user would. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = `${ROOT}bin/run.js`;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function gridops(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(BIN, args, { cwd: ROOT, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000, env: { ...process.env, ...options.env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts gridops in the background; the caller ends it by PID. */
export function gridopsAsync(args: string[]): ChildProcess {
  return spawn(BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

export const isRoot = process.getuid?.() === 0;

/** A loud skip where the machine truly cannot host real-parts tests. */
export function describeAsRoot(name: string, fn: () => void): void {
  if (!isRoot) {
    console.warn(`\n!!! SKIPPING "${name}": real-parts e2e tests need root (network namespaces, containers)\n`);
    describe.skip(name, fn);
  } else {
    describe(name, fn);
  }
}
