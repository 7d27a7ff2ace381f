import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/build-id.js writes dist/build-id, the key of what gridops keeps between runs of one build
 * (the validated topology, the checked playbooks, the keeper's socket): every file a cached check's
 * result depends on and the bundle reads at run time must change it. The script runs in a copy of
 * the package's layout, so the worktree's own build id is left alone.
 */
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gridops-build-id-'));
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'schema'));
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  copyFileSync(new URL('../../scripts/build-id.js', import.meta.url), join(root, 'scripts', 'build-id.js'));
  writeFileSync(join(root, 'package.json'), '{ "version": "0.1.0" }\n');
  writeFileSync(join(root, 'dist', 'cli', 'gridops.cjs'), 'module.exports = {};\n');
  writeFileSync(join(root, 'schema', 'topology.schema.json'), '{}\n');
  writeFileSync(join(root, 'schema', 'playbook.schema.json'), '{}\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const buildId = () => {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-id.js')]);
  return readFileSync(join(root, 'dist', 'build-id'), 'utf8').trim();
};

describe('the build id', () => {
  it.each(['dist/cli/gridops.cjs', 'schema/topology.schema.json', 'schema/playbook.schema.json', 'package.json'])('changes with %s', (file) => {
    const before = buildId();
    expect(buildId()).toBe(before);
    writeFileSync(join(root, file), `${readFileSync(join(root, file), 'utf8')} `);
    expect(buildId()).not.toBe(before);
  });
});
