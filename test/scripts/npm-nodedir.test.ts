import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/npm-nodedir.js picks npm_config_nodedir for demo.sh and .ci/run, so that node-gyp (ssh2's
 * optional binding) never downloads Node's headers: the prefix's own headers when they are the
 * running Node's version, else a directory that does not exist (node-gyp then fails at configure,
 * without a download, and ssh2 falls back to JavaScript).
 */
const script = new URL('../../scripts/npm-nodedir.js', import.meta.url).pathname;
const nodedir = (prefix: string) => execFileSync(process.execPath, [script, prefix], { encoding: 'utf8' }).trim();

let prefix: string;
beforeEach(() => (prefix = mkdtempSync(join(tmpdir(), 'gridops-npm-nodedir-'))));
afterEach(() => rmSync(prefix, { recursive: true, force: true }));

function headers(version: string): void {
  const [major, minor, patch] = version.replace(/^v/, '').split('.');
  mkdirSync(join(prefix, 'include', 'node'), { recursive: true });
  writeFileSync(join(prefix, 'include', 'node', 'node_version.h'), `#define NODE_MAJOR_VERSION ${major}\n#define NODE_MINOR_VERSION ${minor}\n#define NODE_PATCH_VERSION ${patch}\n`);
}

describe('the nodedir npm ci builds native bindings against', () => {
  it("the prefix, where its headers are the running Node's", () => {
    headers(process.version);
    expect(nodedir(prefix)).toBe(prefix);
  });

  it("none that exists, where the prefix's headers are another Node's, or there are none", () => {
    headers('v20.12.0' === process.version ? 'v20.13.0' : 'v20.12.0');
    expect(nodedir(prefix)).toBe('/nonexistent/gridops-no-node-headers');
    rmSync(join(prefix, 'include'), { recursive: true });
    expect(nodedir(prefix)).toBe('/nonexistent/gridops-no-node-headers');
  });
});
