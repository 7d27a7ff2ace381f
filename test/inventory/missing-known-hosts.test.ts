/**
 * The inventory writes StrictHostKeyChecking=yes against the topology's known_hosts file: one that
 * is not there makes Ansible's ssh refuse every host a global file does not vouch for. A run
 * refuses each such host at its connect; the inventory, which connects to nothing, says so once.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { warnMissingKnownHosts } from '../../src/inventory/missing-known-hosts.js';
import { checkTopologyText } from '../../src/topology/load.js';
import { allNodes } from '../../src/topology/model.js';
import { nodesOf, oneSubgridTopology } from '../transport/connect-support.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-inventory-known-hosts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const warningsFor = (defaultsSsh: string, nodes: string[], topologyFile = 'grid files/t.yaml') => {
  const warned: string[] = [];
  warnMissingKnownHosts(nodesOf(defaultsSsh, nodes), topologyFile, (m) => warned.push(m));
  return warned;
};

it('says once per file that is not there which nodes Ansible would refuse, and the command that records their keys, quoted for the shell', () => {
  const file = join(dir, 'known_hosts');
  expect(warningsFor(`knownHosts: ${file}`, ['{ name: n1, address: 10.0.9.1 }', '{ name: n2, address: 10.0.9.2 }'])).toEqual([
    `the known_hosts file ${file} (ssh.knownHosts of defaults in t.yaml) is not there: Ansible's ssh checks host keys strictly against it and would refuse n1 and n2 unless a global known_hosts file holds their keys; check ssh.knownHosts, or verify their keys out of band and record them with \`gridops plan 'grid files/t.yaml' --accept-new-host-keys\`, which creates it`,
  ]);
});

it('names the setting at its FILE:LINE:COLUMN where the topology file can be read, as a run names an identity file', () => {
  const file = join(dir, 'known_hosts_at');
  const topology = join(dir, 'grid.yaml');
  writeFileSync(topology, oneSubgridTopology(`knownHosts: ${file}`, ['{ name: n1, address: 10.0.9.1 }']));
  const text = readFileSync(topology, 'utf8');
  const warned: string[] = [];
  warnMissingKnownHosts(allNodes(checkTopologyText(topology, text).grid!), topology, (m) => warned.push(m));
  // `  ssh: { knownHosts: … }` on line 5: the value's column.
  const column = text.split('\n')[4]!.indexOf(file) + 1;
  expect(warned).toHaveLength(1);
  expect(warned[0]).toContain(`the known_hosts file ${file} (ssh.knownHosts of defaults at ${topology}:5:${column}) is not there`);
});

it('says where its directory is not there either', () => {
  const file = join(dir, 'no-such-dir', 'known_hosts');
  expect(warningsFor(`knownHosts: ${file}`, ['{ name: n1, address: 10.0.9.1 }'])[0]).toContain(`the known_hosts file ${file} (ssh.knownHosts of defaults in t.yaml) is not there, nor its directory ${join(dir, 'no-such-dir')}:`);
});

it('says nothing where the file is there', () => {
  const file = join(dir, 'known_hosts_there');
  writeFileSync(file, '');
  expect(warningsFor(`knownHosts: ${file}`, ['{ name: n1, address: 10.0.9.1 }'])).toEqual([]);
});
