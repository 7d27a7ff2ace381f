import { execSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryResource } from '../../src/resources/directory.js';
import { attributesOnHeldPath } from '../../src/resources/file-attributes.js';
import { FileResource } from '../../src/resources/file.js';
import { LineResource } from '../../src/resources/line.js';
import type { Resource } from '../../src/resources/resource.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { facts, smallGrid } from './fixtures.js';
import { allNodes } from '../../src/topology/model.js';

/**
 * chown and chmod of a path whose content stays (a `line`, a `file` or a `directory` whose
 * attributes alone differ) work through a descriptor held on the path, never by its name: a user
 * who may write the directory could otherwise put a symlink there after the plan read it, and root
 * would chown or chmod what it points to. Each case runs the step's real script under /bin/sh.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-held-attrs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const node = allNodes(smallGrid()).find((n) => n.name === 'n1')!;

const modeOf = (path: string) => (statSync(path).mode & 0o7777).toString(8);
// In the test's directory: a hostile name's relative `touch pwned` would land there.
const run = (script: string) => execSync(script, { shell: '/bin/sh', stdio: 'pipe', cwd: dir });

/** The script a resource's apply records for the change its diff of `probe` makes. */
async function scriptOf(resource: Resource, probe: string): Promise<string> {
  const change = resource.diff(probe, { node, facts: facts() })!;
  expect(change).not.toBeNull();
  const recorder = new StepRecorder('local');
  recorder.begin(change.id);
  await resource.apply(change as never, recorder, { node, facts: facts() });
  return recorder.steps.map((s) => s.command).join('\n');
}

/** A file outside the managed path that a symlink at that path points to, mode 0600. */
function victim(name: string): string {
  const path = join(dir, `${name}.victim`);
  writeFileSync(path, 'secret\n');
  chmodSync(path, 0o600);
  return path;
}

describe('attributes fixed through a descriptor held on the path', () => {
  it('a regular file gets its mode through /proc/self/fd, and a hostile path stays one quoted word', () => {
    const pwned = join(dir, 'pwned');
    const path = join(dir, 'a $(touch pwned); b.conf');
    writeFileSync(path, 'x\n');
    chmodSync(path, 0o644);
    const script = attributesOnHeldPath(path, { mode: '0640' });
    expect(script).toContain('chmod 00640 /proc/self/fd/8');
    run(script);
    expect(modeOf(path)).toBe('640');
    expect(existsSync(pwned)).toBe(false);
  });

  it('a symlink at the path is refused, and what it points to keeps its mode', () => {
    const target = victim('plain');
    const path = join(dir, 'link.conf');
    symlinkSync(target, path);
    expect(() => run(attributesOnHeldPath(path, { mode: '0644' }))).toThrow(/not a regular file or directory \(a symlink is not followed\); its owner and mode were left as they were/);
    expect(modeOf(target)).toBe('600');
  });

  it('a hard link at the path (protected_hardlinks off) is refused, and the file it shares keeps its mode', () => {
    const target = victim('hard');
    const path = join(dir, 'hard.conf');
    linkSync(target, path);
    expect(() => run(attributesOnHeldPath(path, { mode: '0644' }))).toThrow(/other hard links.*its owner and mode were left as they were/);
    expect(modeOf(target)).toBe('600');
    // Alone again, the same file is fixed.
    rmSync(target);
    run(attributesOnHeldPath(path, { mode: '0644' }));
    expect(modeOf(path)).toBe('644');
  });

  it('a line whose attributes alone differ, found a symlink at apply time, leaves the target alone', async () => {
    const path = join(dir, 'app.env');
    writeFileSync(path, 'A=1\n');
    // Planned on the regular file; swapped for a symlink before the apply runs.
    const script = await scriptOf(new LineResource({ path, line: 'A=1', mode: '0644' }), `regular file|600|-|-|4\n${Buffer.from('A=1\n').toString('base64')}\n`);
    rmSync(path);
    const target = victim('line');
    symlinkSync(target, path);
    expect(() => run(script)).toThrow(/a symlink is not followed/);
    expect(modeOf(target)).toBe('600');
  });

  it('a file whose mode alone differs, found a symlink at apply time, leaves the target alone', async () => {
    const path = join(dir, 'motd');
    const probe = `regular file|600|-|-|2\n${Buffer.from('x\n').toString('base64')}\n`;
    const script = await scriptOf(new FileResource({ path, content: 'x\n', mode: '0644' }), probe);
    expect(script).toContain('/proc/self/fd/8');
    const target = victim('file');
    symlinkSync(target, path);
    expect(() => run(script)).toThrow(/a symlink is not followed/);
    expect(modeOf(target)).toBe('600');
  });

  it('a directory: mkdir, then its mode through the descriptor; a symlink to another directory is refused', async () => {
    const path = join(dir, 'data');
    const script = await scriptOf(new DirectoryResource({ path, mode: '0750' }), 'absent\n');
    run(script);
    expect(modeOf(path)).toBe('750');
    const other = join(dir, 'etc-like');
    mkdirSync(other, { mode: 0o755 });
    chmodSync(other, 0o755);
    rmSync(path, { recursive: true });
    symlinkSync(other, path);
    expect(() => run(script)).toThrow(/a symlink is not followed/);
    expect(modeOf(other)).toBe('755');
  });

  it('a directory with a setgid bit (inherited from a setgid parent) gets the mode asked, bits cleared: GNU chmod keeps them on a numeric mode of four digits', async () => {
    const path = join(dir, 'shared');
    mkdirSync(path);
    chmodSync(path, 0o2755);
    const resource = new DirectoryResource({ path, mode: '0755' });
    run(await scriptOf(resource, 'directory|2755|-|-|4096\n'));
    expect(modeOf(path)).toBe('755');
    expect(resource.diff('directory|755|-|-|4096\n', { node, facts: facts() })).toBeNull();
    // A mode that asks for the bit still sets it.
    run(await scriptOf(new DirectoryResource({ path, mode: '2750' }), 'directory|755|-|-|4096\n'));
    expect(modeOf(path)).toBe('2750');
  });

  it('a path written with a final slash is checked by its own name: a symlink there is still refused', () => {
    const target = join(dir, 'slash-target');
    mkdirSync(target, { mode: 0o755 });
    chmodSync(target, 0o755);
    const path = join(dir, 'slash-link');
    symlinkSync(target, path);
    for (const written of [`${path}/`, `${path}/.`, `${path}//./`]) {
      expect(() => run(attributesOnHeldPath(written, { mode: '0700' }))).toThrow(/a symlink is not followed/);
    }
    expect(modeOf(target)).toBe('755');
    expect(() => run(attributesOnHeldPath(`${path}/..`, { mode: '0700' }))).toThrow(/a path ending in `\.\.` is not fixed/);
  });

  it('a chown alone sets the wanted mode again: root\'s chown clears a setuid bit the mode keeps', async () => {
    const path = join(dir, 'tool');
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, 0o4755);
    const owner = process.getuid?.() === 0 ? 'nobody' : execSync('id -un', { encoding: 'utf8' }).trim();
    const probe = `regular file|4755|root|-|10\n${Buffer.from('#!/bin/sh\n').toString('base64')}\n`;
    const script = await scriptOf(new FileResource({ path, content: '#!/bin/sh\n', mode: '4755', owner }), probe);
    expect(script).toContain('chmod 04755 /proc/self/fd/8');
    run(script);
    expect(modeOf(path)).toBe('4755');
  });
});
