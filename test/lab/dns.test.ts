import { regionRecords } from '../../src/lab/dns.js';
import { planLab } from '../../src/lab/plan.js';

describe('the lab name server records', () => {
  it('names every node of a region under its region peer name, and nothing else', () => {
    const plan = planLab({ kind: 'netns', nodes: 6, subgrids: 3, regions: 2 }, 0);
    const lines = regionRecords(plan).trim().split('\n');
    expect(lines).toHaveLength(6);
    for (const region of plan.regions) {
      const nodes = region.subgrids.flatMap((s) => plan.subgrids.find((x) => x.name === s)!.nodes);
      const addresses = nodes.map((n) => plan.nodes.find((x) => x.name === n)!.address);
      expect(lines.filter((l) => l.endsWith(`\t${region.regionPeerName}`)).map((l) => l.split('\t')[0])).toEqual(addresses);
    }
  });
});
