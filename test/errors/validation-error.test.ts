import { ValidationError } from '../../src/errors/index.js';
import { formatProblems, inReadingOrder, PROBLEMS_SHOWN, type Problem } from '../../src/errors/problem.js';

const problem = (line: number): Problem => ({ file: 'g.yaml', line, column: 1, path: '', message: 'wrong' });

describe('ValidationError', () => {
  it('counts its problems as a person says them', () => {
    expect(new ValidationError([problem(1)], 'g.yaml').message).toBe('g.yaml: 1 problem found');
    expect(new ValidationError([problem(1), problem(2), problem(3)], 'g.yaml').message).toBe('g.yaml: 3 problems found');
  });

  it('as JSON, its hint points at the problems it lists: JSON has no lines above', () => {
    expect(new ValidationError([problem(1)], 'g.yaml').hint).toBe('fix the lines above, then run `gridops validate` again');
    expect(new ValidationError([problem(1)], 'g.yaml').toJSON().hint).toBe('fix each of `problems` at its file:line:column, then run `gridops validate` again');
    expect(new ValidationError([problem(1)], 'g.yaml', 'fix the lines above, then run `gridops validate g.yaml --playbook pb.yaml` again').toJSON().hint).toBe('fix each of `problems` at its file:line:column, then run `gridops validate g.yaml --playbook pb.yaml` again');
  });

  it('names the files its problems are in: a run checks the topology and its playbooks together', () => {
    expect(new ValidationError([problem(1), { ...problem(2), file: 'pb.yaml' }], 'g.yaml').message).toBe('g.yaml, pb.yaml: 2 problems found');
  });
});

describe('formatProblems', () => {
  it('prints the first problems and counts the rest, so hundreds do not bury the first', () => {
    const lines = formatProblems(Array.from({ length: 120 }, (_, i) => problem(i + 1)));
    expect(lines).toHaveLength(PROBLEMS_SHOWN + 1);
    expect(lines[0]).toBe('g.yaml:1:1: wrong');
    expect(lines.at(-1)).toBe(`... and ${120 - PROBLEMS_SHOWN} more (--json lists every problem)`);
    expect(formatProblems([problem(1), problem(2)])).toEqual(['g.yaml:1:1: wrong', 'g.yaml:2:1: wrong']);
  });
});

describe('inReadingOrder', () => {
  it('sorts file by file, in the order the files first appear, then by line and column', () => {
    const at = (file: string, line: number, column: number): Problem => ({ file, line, column, path: '', message: '' });
    const sorted = inReadingOrder([at('b.yaml', 1, 1), at('a.yaml', 9, 1), at('b.yaml', 0, 5), at('a.yaml', 2, 7), at('a.yaml', 2, 3)]);
    expect(sorted.map((p) => `${p.file}:${p.line}:${p.column}`)).toEqual(['b.yaml:0:5', 'b.yaml:1:1', 'a.yaml:2:3', 'a.yaml:2:7', 'a.yaml:9:1']);
  });
});
