import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../../src/errors/index.js';
import { formatGridStatus } from '../../src/formatters/grid-status.js';
import { gridStatus, overlayConverged } from '../../src/status/grid-status.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { ASK_AGENT, agentAnswer } from '../overlay/agent-answer.js';

const FACTS = readFileSync(new URL('../facts/fixtures/systemd-container-v1.txt', import.meta.url), 'utf8').replace(/@@gridops-facts:agent@@\n[^@]*/, '@@gridops-facts:agent@@\n0.1.0\n\n');

const TOPOLOGY = `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2 }
          - { name: n3, address: 10.0.0.3 }
`;

/** `gridagent status --json` of a node with `role` that follows `superPeer`. */
const answer = (role: string, superPeer: string | null, regionPeer: string | null = 'n1') =>
  JSON.stringify({ role, regionRole: role === 'leader' ? 'leader' : 'inactive', term: 3, superPeer, regionPeer, members: [] });

describe('status --wait uses the one definition of a converged overlay', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-status-'));
    writeFileSync(join(dir, 'g.yaml'), TOPOLOGY);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (views: Record<string, string>, waitMs?: number) =>
    gridStatus(join(dir, 'g.yaml'), {
      concurrency: 5,
      waitUntil: waitMs === undefined ? undefined : Date.now() + waitMs,
      connect: async (node) =>
        new RecordingTransport(node.name)
          .on(ASK_AGENT, { code: 0, stdout: agentAnswer(views[node.name]!) })
          .on(/gridops-facts/, { code: 0, stdout: FACTS }),
    });

  it('is not converged while a member follows another super peer, though the sub-grid has exactly one', async () => {
    // One node says it is the super peer, but n3 still follows n2: the overlay has not converged.
    // (The old check counted super peers per sub-grid and called this converged.)
    const status = await run({ n1: answer('leader', 'n1'), n2: answer('member', 'n1'), n3: answer('member', 'n2') }, 1200);
    expect(status.superPeers).toEqual({ 'r1/s1': ['n1'] });
    expect(overlayConverged(status)).toBe(false);
    expect(status.overlay?.waitingFor).toEqual(['r1/s1: nodes follow different super peers (n1, n2)']);
  });

  it('is converged once every member follows the one super peer', async () => {
    const status = await run({ n1: answer('leader', 'n1'), n2: answer('member', 'n1'), n3: answer('member', 'n1') }, 1200);
    expect(overlayConverged(status)).toBe(true);
    expect(status.nodes.map((n) => n.agent?.role)).toEqual(['super-peer', 'member', 'member']);
  });

  it("an unreachable node's error does not name it again: its line does", async () => {
    const status = await gridStatus(join(dir, 'g.yaml'), {
      concurrency: 5,
      connect: async (node) => {
        if (node.name === 'n3') throw new ConnectionError('n3', 'cannot connect to 10.0.0.3:22 after 4 attempts: connect ECONNREFUSED', 'check that the host is up');
        return new RecordingTransport(node.name).on(ASK_AGENT, { code: 0, stdout: agentAnswer(answer('member', 'n1')) }).on(/gridops-facts/, { code: 0, stdout: FACTS });
      },
    });
    expect(status.nodes.find((n) => n.node === 'n3')).toMatchObject({ reachable: false, error: 'cannot connect to 10.0.0.3:22 after 4 attempts: connect ECONNREFUSED' });
    expect(formatGridStatus(status)).toContain('  n3: cannot connect to 10.0.0.3:22');
  });
});

describe('status and the agent version the last apply installed', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-status-version-'));
    writeFileSync(join(dir, 'g.yaml'), TOPOLOGY);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A state where the last apply installed gridagent 0.1.0 on `applied` (as host-record writes it). */
  const stateWith = (applied: string[]) => ({
    format: 'gridops-state/v1',
    grid: 'g',
    serial: 1,
    hosts: Object.fromEntries(
      applied.map((name, i) => [name, { node: { address: `10.0.0.${i + 1}`, region: 'r1', subgrid: 's1', user: 'root', port: 22 }, topologyHash: 'h', playbooks: ['agent'], gridopsVersion: '0.1.0', agentVersion: '0.1.0', appliedAt: '2026-12-01T00:00:00.000Z', changesApplied: 1, lastOutcome: 'applied' }]),
    ),
  });
  const withVersion = (view: string, version: string) => JSON.stringify({ ...JSON.parse(view), version });

  it('--wait: an agent still running another version than the state records is not converged, as apply verify judged it; a node without a recorded version is not judged', async () => {
    mkdirSync(join(dir, '.gridops'), { recursive: true });
    writeFileSync(join(dir, '.gridops', 'g.state.json'), JSON.stringify(stateWith(['n1', 'n2'])));
    const views: Record<string, string> = { n1: withVersion(answer('leader', 'n1'), '0.1.0'), n2: withVersion(answer('member', 'n1'), '0.0.9'), n3: withVersion(answer('member', 'n1'), '0.0.9') };
    const status = await gridStatus(join(dir, 'g.yaml'), {
      concurrency: 5,
      waitUntil: Date.now() + 1000,
      connect: async (node) => new RecordingTransport(node.name).on(ASK_AGENT, { code: 0, stdout: agentAnswer(views[node.name]!) }).on(/gridops-facts/, { code: 0, stdout: FACTS }),
    });
    expect(overlayConverged(status)).toBe(false);
    expect(status.overlay?.waitingFor).toEqual([expect.stringMatching(/^n2: its agent runs 0\.0\.9, not 0\.1\.0, .*`systemctl restart gridagent` on n2/)]);
  });
});
