import { formatForgotten, formatStateEntry, formatStateList } from '../../src/formatters/state.js';
import type { StateEntry } from '../../src/state/state-report.js';
import type { HostState } from '../../src/state/state.js';

const lastGood: HostState = { topologyHash: 'a'.repeat(64), playbooks: ['node-base', 'agent'], gridopsVersion: '0.1.0', agentVersion: '0.1.0', appliedAt: '2026-12-01T09:00:00.000Z', changesApplied: 7, lastOutcome: 'applied', lastRunAt: '2026-12-01T09:00:00.000Z' };
const entry = (record: HostState, topology: StateEntry['topology'] = 'current'): StateEntry => ({ node: 'node-07', group: 'r1/s1', topology, record, roles: [] });
const failed: HostState = { ...lastGood, lastOutcome: 'failed', changesApplied: 1, lastRunAt: '2026-12-04T13:40:00.000Z', lastError: 'command boom: exit 1' };

describe('state show', () => {
  it('after a failed run: when it failed, apart from the last successful apply and what that applied', () => {
    expect(formatStateEntry(entry(failed)).split('\n')).toEqual([
      'node:                  node-07',
      'region/sub-grid:       r1/s1',
      'last run:              failed at 2026-12-04T13:40:00.000Z (1 change completed before it stopped; nothing recorded as applied by it)',
      'last error:            command boom: exit 1',
      'last successful apply: 2026-12-01T09:00:00.000Z, with this topology',
      '  playbooks:           node-base, agent',
      `  topology sha256:     ${'a'.repeat(64)}`,
      'gridops version:       0.1.0',
      'agent version:         0.1.0',
    ]);
  });

  it('a node whose only run failed has no successful apply to show; a skipped one says it was not started', () => {
    const text = formatStateEntry(entry({ ...failed, appliedAt: '', topologyHash: '', playbooks: [], changesApplied: 0 }, 'never'));
    expect(text).toMatch(/^last run: +failed at 2026-12-04T13:40:00.000Z \(no change completed; nothing recorded as applied by it\)$/m);
    expect(text).toMatch(/^last successful apply: none$/m);
    expect(text).not.toMatch(/playbooks|applied at|last applied/);
    expect(formatStateEntry(entry({ ...failed, lastOutcome: 'skipped', lastError: undefined }, 'older'))).toMatch(/^last run: +skipped at 2026-12-04T13:40:00.000Z \(not started; nothing recorded as applied by it\)\nlast successful apply: 2026-12-01T09:00:00.000Z, with another version of the topology$/m);
  });

  it('a state written before the time of the last run was recorded still loads, and says the time is unknown', () => {
    const { lastRunAt: _, ...old } = failed;
    expect(formatStateEntry(entry(old))).toMatch(/^last run: +failed \(its time not recorded by the older gridops that wrote this state; 1 change completed before it stopped; nothing recorded as applied by it\)$/m);
  });

  it('after a successful run, as before', () => {
    expect(formatStateEntry(entry(lastGood)).split('\n').slice(2, 5)).toEqual(['topology:        last applied with this topology', 'last run:        applied', 'applied at:      2026-12-01T09:00:00.000Z']);
  });

  it('lists the handlers a failed run owes the host, which the next apply runs (a failed batch ends before its handlers)', () => {
    const text = formatStateEntry(entry({ ...failed, pendingHandlers: ['restart-gridagent', 'reload-nft'] }));
    expect(text).toMatch(/^owed handlers: +restart-gridagent, reload-nft \(from an interrupted or failed run: the next apply runs them\)$/m);
    expect(formatStateEntry(entry(failed))).not.toMatch(/owed handlers/);
  });
});

/**
 * What the state file holds is printed on the terminal: a hand-edited or forged record's escape
 * sequences (ESC [31m recolours the rest of the screen) or bidi overrides (U+202E shows text
 * reversed) were printed raw, as the file has them, so the screen could show other names and
 * versions than the file holds. Each shows as \uXXXX; ordinary text reads as before.
 */
describe('values read from the state, printed', () => {
  const esc = '\u001b[31m';
  const rlo = '\u202e';
  const forged: HostState = { ...failed, gridopsVersion: `0.1.0${esc}`, agentVersion: `0.1.0${rlo}`, playbooks: [`agent${esc}`], appliedAt: `2026${rlo}`, lastRunAt: `2026${esc}`, lastError: `boom${esc}red${rlo}`, pendingHandlers: [`restart${esc}`, `reload${rlo}`], topologyHash: `h${rlo}` };
  const shown = (text: string) => expect(text).not.toMatch(/[\u001b\u202e]/);

  it('state show: every field escaped, the owed handlers, the gridops version and the last error among them', () => {
    for (const record of [forged, { ...forged, lastOutcome: 'applied' as const }]) {
      const text = formatStateEntry({ node: `n${esc}`, group: `r1/s1${rlo}`, topology: 'current', record, roles: [`super peer of s1${rlo}`] });
      shown(text);
      expect(text).toMatch(/^node: +n\\u001b\[31m$/m);
      expect(text).toMatch(/^gridops version: +0\.1\.0\\u001b\[31m$/m);
      expect(text).toMatch(/^agent version: +0\.1\.0\\u202e$/m);
      expect(text).toMatch(/^owed handlers: +restart\\u001b\[31m, reload\\u202e \(from an interrupted/m);
      expect(text).toContain('overlay (last verify): super peer of s1\\u202e');
    }
    expect(formatStateEntry(entry(forged))).toMatch(/^last error: +boom\\u001b\[31mred\\u202e$/m);
  });

  it('state list: every cell escaped, the columns still lined up', () => {
    const text = formatStateList([{ node: `n${esc}`, group: null, topology: 'older', record: { ...forged, lastOutcome: 'applied' }, roles: [`super peer of s1${rlo}`] }]);
    shown(text);
    const [header, row] = text.split('\n') as [string, string];
    expect(row).toContain('n\\u001b[31m');
    expect(row).toContain('2026\\u202e');
    expect(row.indexOf('2026')).toBe(header.indexOf('APPLIED AT'));
  });

  it('state rm: what it forgot, escaped', () => {
    const text = formatForgotten({ grid: 'g', stateFile: `g.state.json${rlo}`, serial: 2, forgotten: [{ node: 'n1', inTopology: false, record: { ...forged, node: { address: `10.0.0.1${esc}`, region: 'r1', subgrid: 's1', user: `root${rlo}`, port: 22 } } }] });
    shown(text);
    expect(text).toContain('forgot n1 (root\\u202e@10.0.0.1\\u001b[31m:22, r1/s1, last applied 2026\\u202e)');
  });
});
