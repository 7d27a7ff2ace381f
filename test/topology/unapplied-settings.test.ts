import { checkTopologyText } from '../../src/topology/load.js';
import { parseSource } from '../../src/topology/source.js';
import { UNAPPLIED, unappliedSettings, type UnappliedSetting } from '../../src/topology/unapplied-settings.js';

const TEXT = `apiVersion: gridops/v1
kind: Grid
metadata: { name: asks }
defaults:
  qos: { gridMemoryMiB: 512 }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.1.11 }
          - { name: n2, address: 10.0.1.12, qos: { gridMemoryMiB: 256 } }
          - { name: n3, address: 10.0.1.13 }
`;

describe('settings accepted before a playbook applies them are warnings, never silence', () => {
  it('warns once per place the setting is written, at its position, not once per node', () => {
    const { grid } = checkTopologyText('g.yaml', TEXT);
    const { source } = parseSource('g.yaml', TEXT);
    const pretend: UnappliedSetting = { key: 'qos.gridMemoryMiB', asked: (n) => n.settings.qos.gridMemoryMiB !== undefined, message: 'qos.gridMemoryMiB is accepted but not applied yet', hint: 'h' };
    const warnings = unappliedSettings(grid!, source!, [pretend]);
    expect(warnings.map((w) => `${w.line}:${w.column} ${w.path}`)).toEqual(['5:25 defaults.qos.gridMemoryMiB', '12:67 regions[0].subgrids[0].nodes[1].qos.gridMemoryMiB']);
  });

  it('lists nothing today: every setting of the schema is applied by a playbook', () => {
    expect(UNAPPLIED).toEqual([]);
  });
});
