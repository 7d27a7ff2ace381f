import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from './package-root.js';

/** The package version, read once from package.json. */
export const GRIDOPS_VERSION: string = JSON.parse(readFileSync(`${PACKAGE_ROOT}/package.json`, 'utf8')).version;

/**
 * The running build's id, which bin/run.js sets from dist/build-id (a hash of the bundle and what
 * it reads, with the install's path), or undefined outside a built CLI (tests, a bundle older
 * than its id). What gridops keeps between runs is kept per build: the validated topology, the
 * checked playbooks, the keeper's socket.
 */
export function runningBuild(): string | undefined {
  const id = (globalThis as Record<symbol, unknown>)[Symbol.for('gridops.build')];
  return typeof id === 'string' && id !== '' ? id : undefined;
}
