import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { substituteCommand, templateContext } from '../../src/templates/render.js';
import { gridWithLabels } from '../resources/fixtures.js';

/** A node whose labels hold the values under test. */
const contextWith = (labels: Record<string, string>) => {
  const grid = gridWithLabels(labels);
  return templateContext(grid, grid.regions[0]!.subgrids[0]!.nodes[0]!);
};

describe('substituteCommand refuses, on the node, a value the shell would not take as one plain word', () => {
  it('a value that begins with - where it starts an argument: it would be read as an option (rm -rf /x)', () => {
    const ctx = contextWith({ y: '-rf', dash: '-', fine: 'a-b' });
    expect(() => substituteCommand('rm {{node.labels.y}} /x', ctx)).toThrow(/^n1: \{\{node\.labels\.y\}\} in `rm \{\{node\.labels\.y\}\} \/x` is "-rf", which begins with -/);
    expect(() => substituteCommand('rm {{node.labels.y}} /x', ctx)).toThrow(expect.objectContaining({ hint: expect.stringContaining('--') }));
    expect(() => substituteCommand('cat {{node.labels.dash}}', ctx)).toThrow(/begins with -/);
    expect(() => substituteCommand('echo a; rm -- /a {{node.labels.fine}} && rm {{node.labels.y}}', ctx)).toThrow(/begins with -/);
    // After `--` it is an operand; glued to other text it does not start the word.
    expect(substituteCommand('rm -- {{node.labels.y}} /x', ctx)).toBe('rm -- -rf /x');
    expect(substituteCommand('rm -f -- /srv/{{node.labels.y}}', ctx)).toBe('rm -f -- /srv/-rf');
    expect(substituteCommand('echo rack={{node.labels.y}} ./{{node.labels.y}}', ctx)).toBe('echo rack=-rf ./-rf');
    expect(substituteCommand('V={{node.labels.y}} env', ctx)).toBe('V=-rf env');
    expect(substituteCommand('rm {{node.labels.fine}}', ctx)).toBe('rm a-b');
  });

  it('a value with an array subscript that expands ([ then $ or a backtick): bash would run it wherever it evaluates the value', () => {
    const ctx = contextWith({ s: 'a[$(touch pwned)]', b: 'a[`touch pwned`]', plain: '$(touch pwned)', bracket: 'a[1]' });
    expect(() => substituteCommand('n={{node.labels.s}}; [ "$n" = x ]', ctx)).toThrow(/^n1: \{\{node\.labels\.s\}\} .* is "a\[\$\(touch pwned\)\]", .*array subscript/);
    expect(() => substituteCommand('echo {{node.labels.b}}', ctx)).toThrow(/array subscript/);
    expect(substituteCommand('echo {{node.labels.plain}} {{node.labels.bracket}}', ctx)).toBe("echo '$(touch pwned)' 'a[1]'");
  });

  it('what it accepts reaches bash as one literal word, and nothing runs', () => {
    const values = { v0: 'a b', v1: "it's", v2: '$(touch pwned)', v3: '`touch pwned`', v4: 'x;touch pwned', v5: 'a[1]', v6: '*' };
    const ctx = contextWith(values);
    const dir = mkdtempSync(join(tmpdir(), 'gridops-substitute-'));
    try {
      for (const [key, value] of Object.entries(values)) {
        const out = execFileSync('bash', ['-c', substituteCommand(`printf '[%s]' {{node.labels.${key}}}`, ctx)], { cwd: dir, encoding: 'utf8' });
        expect(out).toBe(`[${value}]`);
      }
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
