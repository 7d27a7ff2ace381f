import { GroupContext } from '../../src/agent/core/group/context.js';
import type { Message } from '../../src/agent/core/types.js';
import { SUBGRID_TIMERS } from '../../src/agent/core/timers.js';

/** A sub-grid tier context of node n5, with nothing heard yet. */
function context(): GroupContext {
  const settings = { tier: 'subgrid', group: 'r1/a', self: 'n5', selfAddr: '10.0.0.5:7946', timers: SUBGRID_TIMERS };
  const host = { isActive: () => true };
  return new GroupContext(settings as never, host as never, { term: 0, votedFor: null, view: null } as never, { slot: () => null } as never);
}

const from = (name: string, type: Message['type']) => ({ tier: 'subgrid', group: 'r1/a', from: name, term: 1, type }) as unknown as Message;

/**
 * Where a node sends to a peer (its heartbeats and joins to its super peer: sendTo, addressOf).
 * The MAC does not cover a packet's source address, and a packet that passes the guard without
 * proof of freshness (a discover, a redirect) may be one captured earlier and replayed from
 * another host: it must not move where the node sends to a peer it has a fresh address for.
 */
describe('the address a node sends to a peer', () => {
  test('a replayed packet without proof of freshness does not move it from the address a fresh packet came from', () => {
    const ctx = context();
    ctx.noteSender(from('n1', 'hbAck'), '10.0.0.1:7946', true);
    ctx.noteSender(from('n1', 'discover'), '10.6.6.6:6666', false);
    expect(ctx.addressOf('n1')).toBe('10.0.0.1:7946');
  });

  test('a fresh packet from a new address moves it there', () => {
    const ctx = context();
    ctx.noteSender(from('n1', 'hbAck'), '10.0.0.1:7946', true);
    ctx.noteSender(from('n1', 'hbAck'), '10.0.0.1:7950', true);
    expect(ctx.addressOf('n1')).toBe('10.0.0.1:7950');
  });

  test('a peer heard only without proof is still reached where it was heard, as a last resort', () => {
    const ctx = context();
    ctx.noteSender(from('n2', 'discover'), '10.0.0.2:7946', false);
    expect(ctx.addressOf('n2')).toBe('10.0.0.2:7946');
  });
});
