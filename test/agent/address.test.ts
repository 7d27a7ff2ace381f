import { canonicalAddress, sameAddress } from '../../src/agent/core/address.js';
import { voterMoved } from '../../src/agent/core/view.js';

describe('addresses compared by where they lead, not by how they are written (review L5)', () => {
  test.each([
    ['::ffff:10.0.0.1:7946', '10.0.0.1:7946'],
    ['[::ffff:10.0.0.1]:7946', '10.0.0.1:7946'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['[FE80::1]:7946', '[fe80::1]:7946'],
    ['n1:7946', 'n1:7946'],
  ])('%s is written %s', (written, canonical) => {
    expect(canonicalAddress(written)).toBe(canonical);
  });

  test('an unknown address is the same as nothing', () => {
    expect(sameAddress(undefined, '10.0.0.1:7946')).toBe(false);
    expect(sameAddress('10.0.0.1:7946', '10.0.0.2:7946')).toBe(false);
  });

  test('a voter heard at its IPv4-mapped notation has not moved; one on another port has', () => {
    const view = [{ name: 'a', addr: '10.0.0.1:7946' }, { name: 'b', addr: '10.0.0.2:7946' }];
    expect(voterMoved(view, [{ name: 'a', addr: '::ffff:10.0.0.1:7946' }, { name: 'b', addr: '10.0.0.2:7946' }])).toBe(false);
    expect(voterMoved(view, [{ name: 'a', addr: '10.0.0.1:7948' }, { name: 'b', addr: '10.0.0.2:7946' }])).toBe(true);
  });
});
