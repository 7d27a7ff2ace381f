import { parse } from 'yaml';
import { checkTopologyText } from '../../src/topology/load.js';
import { planLab } from '../../src/lab/plan.js';
import { renderKnownHosts, renderTopology } from '../../src/lab/topology.js';

const files = { identity: '/root/.cache/gridops/lab/id_ed25519', knownHosts: '/root/.cache/gridops/lab/known_hosts' };

describe('lab topology', () => {
  test('matches the gridops/v1 shape with absolute ssh paths', () => {
    const text = renderTopology(planLab({ kind: 'container', nodes: 5, subgrids: 2, regions: 2 }, 0), files);
    const doc = parse(text);
    expect(doc.apiVersion).toBe('gridops/v1');
    expect(doc.kind).toBe('Grid');
    expect(doc.defaults.ssh).toEqual({ user: 'root', port: 22, identityFile: files.identity, knownHosts: files.knownHosts });
    expect(doc.defaults.agent).toEqual({ port: 7946 });
    expect(doc.regions).toHaveLength(2);
    expect(doc.regions[0].regionPeerName).toBe('region-1.lab.grid.internal');
    expect(doc.regions[0].subgrids[0]).toEqual({
      name: 'subgrid-1',
      discovery: { multicast: '239.192.0.1:7947' },
      nodes: [{ name: 'node-01', address: '10.231.0.11' }, { name: 'node-02', address: '10.231.0.12' }, { name: 'node-03', address: '10.231.0.13' }],
    });
  });

  test('passes the topology validator, for every kind and shape the lab offers', () => {
    for (const [nodes, subgrids, regions] of [[1, 1, 1], [6, 3, 2], [50, 5, 2], [500, 10, 3]] as const) {
      const text = renderTopology(planLab({ kind: 'netns', nodes, subgrids, regions }, 3), files);
      const check = checkTopologyText('lab.yaml', text);
      expect(check.problems).toEqual([]);
    }
  });

  test('a lab directory with spaces still gives valid YAML', () => {
    const text = renderTopology(planLab({ kind: 'netns', nodes: 1, subgrids: 1, regions: 1 }, 0), { identity: '/tmp/my lab/id_ed25519', knownHosts: '/tmp/my lab/known_hosts' });
    expect(parse(text).defaults.ssh.identityFile).toBe('/tmp/my lab/id_ed25519');
  });

  test('known_hosts has one plain-address line per node with a key, without the comment', () => {
    const text = renderKnownHosts([
      { address: '10.231.0.11', hostKey: 'ssh-ed25519 AAAAkey1 root@node-01' },
      { address: '10.231.0.12' },
      { address: '10.231.0.13', hostKey: 'ssh-ed25519 AAAAkey3\n' },
    ]);
    expect(text).toBe('10.231.0.11 ssh-ed25519 AAAAkey1\n10.231.0.13 ssh-ed25519 AAAAkey3\n');
  });
});
