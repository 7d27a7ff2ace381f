import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/**
 * A copy of the build for a test to change: bin/, scripts/ and dist/cli/ copied (dist/cli with its
 * files' times, which bin/require-cached.js compares), package.json and oclif.manifest.json copied,
 * and the rest (the other folders of dist/, schema/, node_modules...) linked. bin/ is copied because
 * Node runs a linked module from its real path, where `../dist/cli` would be the checkout's own
 * bundle; package.json because the CLI finds its package root by it.
 */
export function copyOfBuild(prefix: string): { pkg: string; remove: () => void } {
  const pkg = `${mkdtempSync(join(tmpdir(), prefix))}/`;
  for (const dir of ['bin', 'scripts']) cpSync(`${root}${dir}`, `${pkg}${dir}`, { recursive: true });
  for (const file of ['package.json', 'oclif.manifest.json']) copyFileSync(`${root}${file}`, `${pkg}${file}`);
  const handled = new Set(['bin', 'scripts', 'package.json', 'oclif.manifest.json', 'dist', '.git']);
  for (const entry of readdirSync(root)) if (!handled.has(entry)) symlinkSync(`${root}${entry}`, `${pkg}${entry}`);
  mkdirSync(`${pkg}dist`);
  for (const entry of readdirSync(`${root}dist`)) {
    if (entry === 'cli') cpSync(`${root}dist/cli`, `${pkg}dist/cli`, { recursive: true, preserveTimestamps: true });
    else symlinkSync(`${root}dist/${entry}`, `${pkg}dist/${entry}`);
  }
  return { pkg, remove: () => rmSync(pkg, { recursive: true, force: true }) };
}
