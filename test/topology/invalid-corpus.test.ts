import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTopologyText } from '../../src/topology/load.js';

/**
 * Every file under fixtures/invalid declares, on its first line, the problems it must produce:
 * `# expect: LINE:COLUMN: message fragment | LINE:COLUMN: fragment`.
 */
const dir = fileURLToPath(new URL('../fixtures/invalid/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

function expectations(text: string): Array<{ line: number; column: number; fragment: string }> {
  const header = /^# expect: (.*)$/m.exec(text.split('\n')[0]!);
  if (!header) throw new Error('fixture has no "# expect:" header');
  return header[1]!.split(' | ').map((part) => {
    const m = /^(\d+):(\d+): (.+)$/.exec(part.trim());
    if (!m) throw new Error(`bad expectation: ${part}`);
    return { line: Number(m[1]), column: Number(m[2]), fragment: m[3]! };
  });
}

describe('invalid topology corpus', () => {
  it('has at least 40 fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  it.each(files)('%s is rejected at the declared positions', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const { grid, problems } = checkTopologyText(file, text);
    expect(grid).toBeUndefined();
    for (const want of expectations(text)) {
      const hit = problems.find((p) => p.line === want.line && p.column === want.column && p.message.includes(want.fragment));
      if (!hit) throw new Error(`expected ${want.line}:${want.column}: …${want.fragment}…\ngot:\n${problems.map((p) => `${p.line}:${p.column}: ${p.message}`).join('\n')}`);
      expect(hit.file).toBe(file);
      expect(hit.hint).toBeTruthy();
    }
  });
});
