/** The nodes a state records with their place, as verify's and status' leader checks count them. */
import { recordedNodes } from '../../src/state/recorded-nodes.js';
import type { HostState } from '../../src/state/state.js';
import { appliedRecord } from '../support/host-record.js';

const record = (region: string, subgrid: string): HostState => appliedRecord({ region, subgrid });

test('each recorded node by name, region and sub-grid; a record without its place (an older state) is left out', () => {
  const { node: _dropped, ...placeless } = record('r1', 's1');
  expect(recordedNodes({ hosts: { a: record('r1', 's1'), b: record('r2', 's9'), c: placeless } })).toEqual([
    { name: 'a', region: 'r1', subgrid: 's1' },
    { name: 'b', region: 'r2', subgrid: 's9' },
  ]);
});

test('an empty state records no node', () => {
  expect(recordedNodes({ hosts: {} })).toEqual([]);
});
