import { PlanningError } from '../../src/errors/index.js';
import { LineResource } from '../../src/resources/line.js';
import { allNodes } from '../../src/topology/model.js';
import { facts, smallGrid } from './fixtures.js';

/**
 * A `line` edits a file as text: what the file holds besides the line (its other bytes, its line
 * endings, a last line without a newline) must come out as it went in, and a file that already
 * has the line must not be planned as a change.
 */
const node = allNodes(smallGrid()).find((n) => n.name === 'n1')!;
const ctx = () => ({ node, facts: facts() });

/** fileProbe's output for a regular file of `content`, mode 0644. */
function probeOf(content: Buffer | string): string {
  const bytes = Buffer.from(content);
  return `regular file|644|-|-|${bytes.length}\n${bytes.toString('base64')}\n`;
}

describe('a line in a file that is not UTF-8', () => {
  it('is refused at plan time, rather than the other bytes rewritten as U+FFFD', () => {
    const latin1 = Buffer.from('# Caf\xe9\nA=1\n', 'latin1');
    const resource = new LineResource({ path: '/etc/app.conf', line: 'A=2', match: '^A=' });
    expect(() => resource.diff(probeOf(latin1), ctx())).toThrow(PlanningError);
    expect(() => resource.diff(probeOf(latin1), ctx())).toThrow(/\/etc\/app\.conf is not UTF-8 text/);
    try {
      resource.diff(probeOf(latin1), ctx());
    } catch (e) {
      expect((e as PlanningError).hint).toMatch(/convert the file to UTF-8.*or manage it with a `file` entry/);
    }
  });

  it('UTF-8 text other than ASCII is edited as it is', () => {
    const change = new LineResource({ path: '/etc/app.conf', line: 'A=2', match: '^A=' }).diff(probeOf('# Café\nA=1\n'), ctx())!;
    expect(change.content!.value).toBe('# Café\nA=2\n');
  });
});
