/**
 * The CLI runs ssh2's JavaScript from the build's bundle only when the bundle holds the installed
 * ssh2's version (ssh2-bundle-version.ts): an ssh2 updated without a rebuild, or installed fresh under
 * a dist built elsewhere, is loaded from node_modules instead.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledSsh2Version, bundleHoldsInstalledSsh2, installedSsh2Version } from '../../src/transport/ssh2-bundle-version.js';

describe("ssh2's bundle against the installed ssh2", () => {
  let pkg: string;
  let bundle: string;
  beforeEach(() => {
    pkg = mkdtempSync(join(tmpdir(), 'gridops-ssh2-version-'));
    mkdirSync(join(pkg, 'dist/cli'), { recursive: true });
    bundle = join(pkg, 'dist/cli/ssh2-client.cjs');
  });
  afterEach(() => rmSync(pkg, { recursive: true, force: true }));

  const writeBundle = (firstLine: string) => writeFileSync(bundle, `${firstLine}\nmodule.exports = {};\n`);
  const install = (packageJson: object) => {
    mkdirSync(join(pkg, 'node_modules/ssh2'), { recursive: true });
    writeFileSync(join(pkg, 'node_modules/ssh2/package.json'), JSON.stringify({ name: 'ssh2', ...packageJson }));
  };

  it('the same version: the bundle is used', () => {
    writeBundle('/* ssh2 1.17.0 (the version whose JavaScript this bundle holds) */');
    install({ version: '1.17.0' });
    expect(bundledSsh2Version(bundle)).toBe('1.17.0');
    expect(installedSsh2Version(bundle)).toBe('1.17.0');
    expect(bundleHoldsInstalledSsh2(bundle)).toBe(true);
  });

  it('ssh2 updated (or installed fresh) after the build: not the bundle', () => {
    writeBundle('/* ssh2 1.17.0 (the version whose JavaScript this bundle holds) */');
    install({ version: '1.18.1' });
    expect(bundleHoldsInstalledSsh2(bundle)).toBe(false);
  });

  it('a bundle that names no version (a build before the check), or none at all: not the bundle', () => {
    install({ version: '1.17.0' });
    expect(bundleHoldsInstalledSsh2(bundle)).toBe(false);
    writeBundle('var __getOwnPropNames = Object.getOwnPropertyNames;');
    expect(bundledSsh2Version(bundle)).toBeUndefined();
    expect(bundleHoldsInstalledSsh2(bundle)).toBe(false);
  });

  it('an installed ssh2 not found, or without a version: not the bundle', () => {
    writeBundle('/* ssh2 1.17.0 (the version whose JavaScript this bundle holds) */');
    expect(installedSsh2Version(bundle)).toBeUndefined();
    install({});
    expect(bundleHoldsInstalledSsh2(bundle)).toBe(false);
  });

  it("the build's own bundle names the ssh2 it was built from", () => {
    const root = new URL('../../', import.meta.url).pathname;
    const built = `${root}dist/cli/ssh2-client.cjs`;
    expect(bundledSsh2Version(built)).toBe(installedSsh2Version(built));
  });
});
