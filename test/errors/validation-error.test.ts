import { ValidationError } from '../../src/errors/index.js';
import type { Problem } from '../../src/errors/problem.js';

const problem = (line: number): Problem => ({ file: 'g.yaml', line, column: 1, path: '', message: 'wrong' });

describe('ValidationError', () => {
  it('counts its problems as a person says them', () => {
    expect(new ValidationError([problem(1)], 'g.yaml').message).toBe('g.yaml: 1 problem found');
    expect(new ValidationError([problem(1), problem(2), problem(3)], 'g.yaml').message).toBe('g.yaml: 3 problems found');
  });
});
