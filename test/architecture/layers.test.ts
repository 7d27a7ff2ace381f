import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const depcruise = join(root, 'node_modules/.bin/depcruise');

/** Runs the project's import rules over a small tree of files; returns depcruise's exit code and output. */
function cruise(files: Record<string, string>): { code: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-layers-'));
  try {
    cpSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', allowJs: true } }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    try {
      return { code: 0, output: execFileSync(depcruise, ['src', '--config', '.dependency-cruiser.cjs'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' }) };
    } catch (err) {
      const e = err as { status: number; stdout: string };
      return { code: e.status, output: e.stdout };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('import rules (.dependency-cruiser.cjs, checked by npm run lint)', () => {
  it('accepts imports that go down the layers', () => {
    const r = cruise({ 'src/engine/gate.ts': "import { x } from '../resources/step.js';\nexport const y = x;\n", 'src/resources/step.ts': 'export const x = 1;\n' });
    expect(r.code).toBe(0);
  });

  it('fails when a lower folder imports engine/', () => {
    const r = cruise({ 'src/resources/step.ts': "import { y } from '../engine/gate.js';\nexport const x = y;\n", 'src/engine/gate.ts': 'export const y = 1;\n' });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('layer-resources');
  });

  it('fails on an import cycle inside one folder', () => {
    const r = cruise({ 'src/plan/a.ts': "import { b } from './b.js';\nexport const a = b;\n", 'src/plan/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n" });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('no-circular');
  });

  it('fails when a folder has no place in the layers', () => {
    const r = cruise({ 'src/misc/a.ts': "import { x } from '../errors/x.js';\nexport const a = x;\n", 'src/errors/x.ts': 'export const x = 1;\n' });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('unknown-folder');
  });

  it('fails when a placed folder imports one with no place, even one of helpers that import nothing', () => {
    const r = cruise({ 'src/topology/load.ts': "import { a } from '../zzmisc/a.js';\nexport const t = a;\n", 'src/zzmisc/a.ts': 'export const a = 1;\n' });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('unknown-folder-imported');
  });
});
