import { checkTopologyText } from '../../src/topology/load.js';

/** The problems of a topology whose third line is `line`, as `LINE:COLUMN: message`. */
const problemsWith = (line: string) =>
  checkTopologyText('g.yaml', `apiVersion: gridops/v1\nkind: Grid\n${line}\nregions: []\n`).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);

describe('an unclosed { [ or quote', () => {
  it('is reported at the character that opened it, not where yaml gave up, and says to close it', () => {
    const { problems } = checkTopologyText('g.yaml', 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g\nregions: []\n');
    expect(problems).toEqual([expect.objectContaining({ line: 3, column: 11, message: 'YAML syntax error: the { that opens this mapping is not closed before line 4' })]);
    expect(problems[0]!.hint).toMatch(/^add the closing \} where the mapping ends/);
  });

  it('a string that swallowed the } is the one mistake reported, not the mapping around it', () => {
    expect(problemsWith('metadata: { name: "g }')).toEqual(['3:19: YAML syntax error: the " that opens this string is never closed']);
  });

  it('of two nested openings, the inner one left open is reported', () => {
    expect(problemsWith('metadata: { name: g, labels: [a, b }')).toEqual(['3:30: YAML syntax error: the [ that opens this list is not closed before column 36']);
  });
});
