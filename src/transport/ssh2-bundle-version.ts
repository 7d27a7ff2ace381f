import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The first line of ssh2's bundle (scripts/bundle-cli.js writes it): the version of ssh2 whose JavaScript it holds. */
const BANNER = /^\/\* ssh2 (\S+) /;

/** The version of ssh2 the build bundled into `bundle` (dist/cli/ssh2-client.cjs), undefined when there is no bundle or it names none. */
export function bundledSsh2Version(bundle: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(bundle, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    // The banner alone, not the 0.6 MB the loader reads next.
    const head = Buffer.alloc(128);
    const length = readSync(fd, head, 0, head.length, 0);
    return BANNER.exec(head.toString('latin1', 0, length))?.[1];
  } finally {
    closeSync(fd);
  }
}

/**
 * The version of the ssh2 that the bundle's own require() finds (the installed one, whose native
 * binding the bundle loads). Read as JSON, not required: a run loads nothing of ssh2 but the bundle.
 * Undefined when that ssh2 is not found or hides its package.json (an `exports` map).
 */
export function installedSsh2Version(bundle: string): string | undefined {
  let text: string;
  try {
    // Where an install puts it (the package's own node_modules, beside dist/), read at once: the
    // resolution below took 0.55 of the check's 0.85 ms (2026-12-07). Elsewhere (hoisted), resolved.
    text = readFileSync(join(dirname(bundle), '..', '..', 'node_modules', 'ssh2', 'package.json'), 'utf8');
  } catch {
    try {
      text = readFileSync(createRequire(bundle).resolve('ssh2/package.json'), 'utf8');
    } catch {
      return undefined;
    }
  }
  const version: unknown = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === 'string' ? version : undefined;
}

/**
 * Whether `bundle` holds the installed ssh2's JavaScript. It holds ssh2 as the build found it: after
 * an update of ssh2 without a rebuild, or in a package whose dist was built elsewhere and whose ssh2
 * was installed fresh (any 1.x), it would run that older code against a newer native binding.
 */
export function bundleHoldsInstalledSsh2(bundle: string): boolean {
  const bundled = bundledSsh2Version(bundle);
  return bundled !== undefined && bundled === installedSsh2Version(bundle);
}
