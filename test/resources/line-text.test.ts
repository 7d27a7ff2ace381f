import { PlanningError } from '../../src/errors/index.js';
import { ensureLine, LineResource } from '../../src/resources/line.js';
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

describe('a line in a file with CRLF line endings', () => {
  it.each([
    ['the line there is found, not appended again', 'PermitRootLogin no\r\nX=1\r\n', 'PermitRootLogin no', undefined, 'PermitRootLogin no\r\nX=1\r\n'],
    ['a match ending in $ finds the line before its \\r, which keeps its ending', 'A=1\r\nB=2\r\n', 'A=3', /^A=.*$/, 'A=3\r\nB=2\r\n'],
    ['a line appended ends as the file\'s lines do', 'A=1\r\n', 'B=2', undefined, 'A=1\r\nB=2\r\n'],
    ['each line keeps its own ending', 'A=1\nB=2\r\n', 'A=3', /^A=/, 'A=3\nB=2\r\n'],
  ] as Array<[string, string, string, RegExp | undefined, string]>)('%s', (_case, text, line, match, want) => {
    expect(ensureLine(text, line, match)).toBe(want);
  });

  it('a file that has the line plans no change', () => {
    expect(new LineResource({ path: '/etc/ssh/sshd_config', line: 'PermitRootLogin no', match: '^PermitRootLogin .*$' }).diff(probeOf('Port 22\r\nPermitRootLogin no\r\n'), ctx())).toBeNull();
  });
});

describe('a file whose last line has no newline', () => {
  it.each([
    ['the line there as the last line: the file as it is', 'B=2\nA=1', 'A=1', undefined, 'B=2\nA=1'],
    ['the line there as the matched last line: the file as it is', 'B=2\nA=1', 'A=1', /^A=/, 'B=2\nA=1'],
    ['a CRLF file whose last line has no ending: as it is', 'A=1\r\nB=2', 'B=2', undefined, 'A=1\r\nB=2'],
    ['a line appended: the last line is ended first', 'B=2', 'A=1', undefined, 'B=2\nA=1\n'],
    ['a line replaced: the file ends with a newline', 'B=2\nA=0', 'A=1', /^A=/, 'B=2\nA=1\n'],
    ['a CRLF file whose last line has no ending, a line appended: both end in CRLF', 'A=1\r\nB=2', 'C=3', undefined, 'A=1\r\nB=2\r\nC=3\r\n'],
    ['a CRLF file whose unended last line is replaced: it ends in CRLF', 'A=1\r\nB=2', 'B=3', /^B=/, 'A=1\r\nB=3\r\n'],
  ] as Array<[string, string, string, RegExp | undefined, string]>)('%s', (_case, text, line, match, want) => {
    expect(ensureLine(text, line, match)).toBe(want);
  });

  it('a file that has the line plans no change, and notifies no handler', () => {
    const resource = new LineResource({ path: '/etc/ssh/sshd_config', line: 'PermitRootLogin no', match: '^PermitRootLogin ', notify: ['restart-sshd'] });
    expect(resource.diff(probeOf('Port 22\nPermitRootLogin no'), ctx())).toBeNull();
  });
});
