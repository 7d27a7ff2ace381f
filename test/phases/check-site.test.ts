import { otherHosts } from '../../src/phases/check-site.js';

describe('--site says what it leaves alone', () => {
  it('as a person says it: one host plans and is, several plan and are, none goes unsaid', () => {
    expect(otherHosts(1)).toBe('; the 1 other host plans no change and is not touched');
    expect(otherHosts(5)).toBe('; the 5 other hosts plan no change and are not touched');
    expect(otherHosts(0)).toBe('');
  });
});
