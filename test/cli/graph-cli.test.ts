import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** gridops graph through the real built binary (the live marks are tested on a lab: test/e2e/operator-container.test.ts). */
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 20_000 });

describe('gridops graph (the binary)', () => {
  it('prints DOT by default, writes SVG with --out, and connects to nothing without --live', () => {
    const dot = run('graph', 'examples/large.yaml');
    expect(dot.status).toBe(0);
    expect(dot.stderr).toBe('');
    expect(dot.stdout).toMatch(/^digraph "world-grid" \{/);
    expect(dot.stdout.match(/subgraph cluster_region_/g)).toHaveLength(3);
    expect(dot.stdout.match(/subgraph cluster_subgrid_/g)).toHaveLength(9);
    const dir = mkdtempSync(join(tmpdir(), 'gridops-graph-'));
    try {
      const svg = run('graph', 'examples/large.yaml', '--format', 'svg', '--out', join(dir, 'grid.svg'));
      expect(svg.status).toBe(0);
      expect(svg.stdout).toBe('');
      const text = readFileSync(join(dir, 'grid.svg'), 'utf8');
      expect(text).toContain('<svg width=');
      expect(text.match(/class="node"/g)).toHaveLength(60);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown format is refused before anything runs', () => {
    const r = run('graph', 'examples/small.yaml', '--format', 'png');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('error: --format png is not one of dot, svg\nhint: use one of dot, svg, e.g. --format svg');
  });

  describe('--out is checked before --live connects, by the rule and words of plan --out', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-graph-out-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const live = 'test/fixtures/warnings/inert-sandbox-unreachable.yaml';

    it('a directory: exit 1, INPUT_FILE, no host contacted, and the hint plan gives', () => {
      const r = run('graph', live, '--live', '--out', dir, '--json', '--state-dir', dir);
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ code: 'INPUT_FILE', message: `cannot write ${dir}: it is a directory`, hint: 'give --out a file you can write to (its directories are made as needed), e.g. grid.dot' });
      expect(r.stderr).not.toMatch(/connecting|reachable/);
    });

    it('under a file, where its directory would be: said before connecting', () => {
      writeFileSync(join(dir, 'notes'), 'x');
      const out = join(dir, 'notes', 'grid.svg');
      const r = run('graph', live, '--live', '--out', out, '--state-dir', dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`error: cannot write ${out}: ${join(dir, 'notes')} is a file, not a directory`);
      expect(r.stderr).not.toMatch(/connecting|reachable/);
    });

    it('missing directories are made, as plan --out makes them', () => {
      const out = join(dir, 'pictures', 'grid.svg');
      const r = run('graph', 'examples/small.yaml', '--format', 'svg', '--out', out);
      expect(r.status).toBe(0);
      expect(readFileSync(out, 'utf8')).toContain('<svg width=');
    });
  });
});
