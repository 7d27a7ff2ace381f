import { ApplyFailedError, InterruptedError } from '../../src/errors/index.js';

describe("a GridopsError's JSON", () => {
  it('carries the result a failed run attached to it, so --json still shows what was done', () => {
    const result = { grid: 'g', unreachable: [{ host: 'n1', error: 'refused' }] };
    const err = Object.assign(new ApplyFailedError('1 host unreachable', 'fix it'), { result });
    expect(err.toJSON()).toEqual({ error: 'ApplyFailedError', code: 'APPLY_FAILED', message: '1 host unreachable', hint: 'fix it', result });
  });

  it('has no result key when the error carries none', () => {
    expect(new InterruptedError('interrupted').toJSON()).not.toHaveProperty('result');
  });
});
