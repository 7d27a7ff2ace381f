import { AgentCore, type AgentSettings } from '../../src/agent/core/agent.js';
import type { Destination } from '../../src/agent/core/types.js';

/** A fresh node of a sub-grid that has run for a while: it signs in (no electorate), searching from its first tick. */
function freshNode(multicast: boolean | undefined): AgentCore {
  const settings: AgentSettings = {
    name: 'n9',
    region: 'r0',
    subgrid: 'r0-s0',
    superPeer: 'auto',
    attrs: { arch: 'x86_64', cores: 4, memoryMiB: 8192, labels: {}, load: 0.5, uptimeSec: 3600 },
    regionPeerName: 'r0.grid.test',
    mirrors: 4,
    hysteresis: 0.25,
    ...(multicast !== undefined ? { multicast } : {}),
  };
  return new AgentCore({ settings, persisted: null, incarnation: 1, nonce: 7, seed: 1 });
}

/** Where the node's sub-grid discovers went in its first `ticks` ticks. */
function discoversSent(core: AgentCore, ticks: number): Destination['kind'][] {
  const kinds: Destination['kind'][] = [];
  for (let tick = 0; tick < ticks; tick++) {
    core.tick();
    for (const out of core.ready().messages) if (out.message.type === 'discover' && out.message.tier === 'subgrid') kinds.push(out.dest.kind);
  }
  return kinds;
}

describe('sub-grid discovery on a node without multicast (the config has no `multicast`)', () => {
  it('sends its first discover to the seeds and the region peer name at once, none to a multicast group it has not', () => {
    const first = discoversSent(freshNode(false), 1);
    expect(first).toEqual(expect.arrayContaining(['seeds', 'regionName']));
    expect(first).not.toContain('multicast');
    expect(discoversSent(freshNode(false), 100)).not.toContain('multicast');
  });

  it('with multicast (the default) the first discover goes to the group alone', () => {
    expect(discoversSent(freshNode(true), 1)).toEqual(['multicast']);
    expect(discoversSent(freshNode(undefined), 1)).toEqual(['multicast']);
  });
});
