import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
});
