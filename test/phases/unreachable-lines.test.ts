/** What is said while connecting about unreachable hosts: one line for many that share a reason. */
import { ConnectionError } from '../../src/errors/index.js';
import { unreachableLines } from '../../src/phases/unreachable-lines.js';
import type { UnreachableHost } from '../../src/transport/fleet.js';
import type { Node } from '../../src/topology/model.js';

const host = (name: string, address: string, hint: string): UnreachableHost => ({
  node: { name, address } as Node,
  error: new ConnectionError(name, `authentication failed for root@${address}:22: the host refused /k/id (ssh-ed25519 SHA256:x)`, hint),
});

describe('unreachableLines', () => {
  it("hosts that share a hint get one line naming a few, with the first one's message", () => {
    const refused = Array.from({ length: 50 }, (_, i) => host(`node-${String(i + 1).padStart(2, '0')}`, `10.0.0.${i + 1}`, 'check the key'));
    const other = { node: { name: 'node-99' } as Node, error: new ConnectionError('node-99', 'cannot connect to 10.0.0.99:22: ECONNREFUSED', 'check that the host is up') };
    expect(unreachableLines([...refused, other])).toEqual([
      '50 hosts unreachable for the same reason (node-01, node-02, node-03 and 47 more; each is listed below), the first: node-01: unreachable: authentication failed for root@10.0.0.1:22: the host refused /k/id (ssh-ed25519 SHA256:x)',
      'node-99: unreachable: cannot connect to 10.0.0.99:22: ECONNREFUSED',
    ]);
  });

  it('the same hint with other messages (refused, timed out) or errors without a hint are not grouped', () => {
    const hint = 'check that the host is up';
    const failing = (name: string, message: string) => ({ node: { name, address: `${name}.example` } as Node, error: new ConnectionError(name, message, hint) });
    const mixed = [
      failing('a', 'cannot connect to a.example:22: ECONNREFUSED'),
      failing('b', 'cannot connect to b.example:22: ECONNREFUSED'),
      failing('c', 'cannot connect to c.example:22: ECONNREFUSED'),
      failing('d', 'cannot connect to d.example:22: ECONNREFUSED'),
      failing('e', 'cannot connect to e.example:22: Timed out while waiting for handshake'),
    ];
    const lines = unreachableLines(mixed);
    expect(lines).toEqual([expect.stringMatching(/^4 hosts unreachable for the same reason \(a, b, c and 1 more; each is listed below\), the first: a: unreachable: cannot connect to a\.example:22: ECONNREFUSED$/), 'e: unreachable: cannot connect to e.example:22: Timed out while waiting for handshake']);
    const plain = ['p', 'q', 'r', 's'].map((name) => ({ node: { name } as Node, error: new Error(`${name}: socket hang up`) }));
    expect(unreachableLines(plain)).toHaveLength(4);
  });

  it('a few hosts, or hosts with different reasons, get a line each', () => {
    const few = [host('a', '10.0.0.1', 'h'), host('b', '10.0.0.2', 'h'), host('c', '10.0.0.3', 'h')];
    expect(unreachableLines(few)).toEqual([
      'a: unreachable: authentication failed for root@10.0.0.1:22: the host refused /k/id (ssh-ed25519 SHA256:x)',
      'b: unreachable: authentication failed for root@10.0.0.2:22: the host refused /k/id (ssh-ed25519 SHA256:x)',
      'c: unreachable: authentication failed for root@10.0.0.3:22: the host refused /k/id (ssh-ed25519 SHA256:x)',
    ]);
    const plain = { node: { name: 'd' } as Node, error: new Error('d: socket hang up') };
    expect(unreachableLines([plain])).toEqual(['d: unreachable: socket hang up']);
  });
});
