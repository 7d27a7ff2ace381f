import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import { runApply } from '../../src/phases/apply.js';
import { runPlan } from '../../src/phases/plan.js';
import { runReset } from '../../src/phases/reset.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { connectNoting, localRecording, localRunOptions } from '../support/local-run.js';
import { dryRun } from './dry-run-batch.js';

jest.setTimeout(60_000);

let dir: string;
let topology: string;
let playbook: string;
let stateFile: string;
let connected: string[];

const connect = connectNoting((name) => connected.push(name));

function options(extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return localRunOptions({ topologyFile: topology, playbooks: [playbook] }, { connect, ...extra });
}

/** One sub-grid of these nodes, NAME@ADDRESS. */
const topologyWith = (nodes: Array<[string, string]>) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes: [${nodes.map(([name, address]) => `{ name: ${name}, address: ${address} }`).join(', ')}]
`;

/** What a run says when it refuses, for a run that must refuse. */
async function refusal(run: () => Promise<unknown>): Promise<PlanningError> {
  const err = await run().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PlanningError);
  return err as PlanningError;
}

/**
 * A node the topology keeps under its name whose host changed (review s44 1): nothing compared a
 * kept node's address with its record, so the new host was applied as the existing node while the
 * old one kept its agent under that name, a second live claim on one name and voter slot (n1 moved
 * from 10.0.0.1 to 10.0.0.9, hardware replaced), or a rename of n1 to n9 on the same host beside a
 * new n1 was not seen. Refused before any connection, as a node moved to another sub-grid is.
 */
describe('a node kept under its name whose host changed', () => {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-changed-host-'));
    connected = [];
    topology = join(dir, 'grid.yaml');
    stateFile = join(dir, '.gridops', 'g.state.json');
    mkdirSync(join(dir, 'pb'));
    playbook = join(dir, 'pb', 'local.yaml');
    writeFileSync(playbook, `name: local\nresources:\n  - file: { path: "${join(dir, '{{node.name}}.txt')}", content: "{{node.name}}\\n" }\n`);
    writeFileSync(topology, topologyWith([['n1', '10.0.0.1'], ['n2', '10.0.0.2']]));
    await runApply(options());
    // n1 and n2 run agents (this test machine has none to read).
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    for (const name of ['n1', 'n2']) state.hosts[name].agentVersion = '0.1.0';
    writeFileSync(stateFile, JSON.stringify(state));
    connected = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('apply and plan refuse it before connecting to any host, naming the node, both addresses and what to do; nothing is changed', async () => {
    writeFileSync(topology, topologyWith([['n1', '10.0.0.9'], ['n2', '10.0.0.2']]));
    const stateBefore = readFileSync(stateFile, 'utf8');
    for (const run of [() => runApply(options()), () => runPlan(options()), () => runApply(options({ playbooks: undefined }))]) {
      const err = await refusal(run);
      expect(err.message).toBe('n1 is at 10.0.0.9 in the topology, but its agent ran at 10.0.0.1 (the state): gridops does not move a node to another host; nothing was changed');
      expect(err.hint).toContain('remove n1 from the topology and apply (the host at 10.0.0.1 is decommissioned: its agent leaves for good), then add it at 10.0.0.9 and apply again');
      expect(err.hint).toContain(`\`gridops state rm ${topology} n1\``);
    }
    expect(connected).toEqual([]);
    expect(readFileSync(stateFile, 'utf8')).toBe(stateBefore);
    // A run that leaves it out (--limit) goes on.
    await expect(runApply(options({ limit: ['n2'] }))).resolves.toBeDefined();
  });

  it('reset refuses it too, before connecting: it would reach the new host, remove nothing, and forget the node while the old host keeps its agent', async () => {
    writeFileSync(topology, topologyWith([['n1', '10.0.0.9'], ['n2', '10.0.0.2']]));
    const stateBefore = readFileSync(stateFile, 'utf8');
    // The reset playbook's batch script is only echoed as done, never run on the test machine.
    const resetConnect: ApplyOptions['connect'] = async (node) => {
      connected.push(node.name);
      return (localRecording(node.name) as RecordingTransport).on(/^sh -s$/, (_command, { options: o }) => ({ code: 0, stdout: dryRun(String(o.stdin)) }));
    };
    const { playbooks: _none, ...resetOptions } = options({ limit: ['n1'], connect: resetConnect, verify: false });
    const err = await refusal(() => runReset(resetOptions));
    expect(err.message).toBe('n1 is at 10.0.0.9 in the topology, but its agent ran at 10.0.0.1 (the state); nothing was changed');
    expect(err.hint).toContain('to reset the host at 10.0.0.1, put that address back in the topology and run reset again');
    expect(err.hint).toContain(`\`gridops state rm ${topology} n1\``);
    expect(connected).toEqual([]);
    expect(readFileSync(stateFile, 'utf8')).toBe(stateBefore);
  });

  it('a rename on the same host beside a new node of the old name is refused, naming the rename', async () => {
    writeFileSync(topology, topologyWith([['n9', '10.0.0.1'], ['n1', '10.0.0.5'], ['n2', '10.0.0.2']]));
    const err = await refusal(() => runPlan(options({ playbooks: undefined })));
    expect(err.message).toBe('n1 is at 10.0.0.5 in the topology, but its agent ran at 10.0.0.1 (the state), which is n9 now: gridops does not move a node to another host; nothing was changed');
    expect(err.hint).toContain('rename first: apply with n9 in place of n1 (its agent leaves under the old name and starts as n9), then add n1 at 10.0.0.5 and apply again');
    expect(connected).toEqual([]);
  });

  it('the same address written another way, or a name that resolves to it, is the same host', async () => {
    writeFileSync(topology, topologyWith([['n1', '"::ffff:10.0.0.1"'], ['n2', 'node-02.example.org']]));
    const resolveHost = async (name: string) => (name === 'node-02.example.org' ? ['10.0.0.2'] : []);
    await expect(runPlan(options({ resolveHost }))).resolves.toBeDefined();
    // A name that does not resolve cannot tell: refused, saying so.
    const err = await refusal(() => runPlan(options({ resolveHost: async () => [] })));
    expect(err.message).toBe('n2 is at node-02.example.org in the topology, but its agent ran at 10.0.0.2 (the state), and gridops cannot tell whether that is the same host (node-02.example.org did not resolve within 3 s); nothing was changed');
  });

  it('a new port or jump host is another host too; a node that never ran an agent may change its address', async () => {
    writeFileSync(topology, topologyWith([['n1', '10.0.0.1'], ['n2', '10.0.0.2']]).replace('address: 10.0.0.2 }', 'address: 10.0.0.2, ssh: { port: 2222 } }'));
    expect((await refusal(() => runPlan(options()))).message).toBe('n2 is at 10.0.0.2:2222 in the topology, but its agent ran at 10.0.0.2:22 (the state): gridops does not move a node to another host; nothing was changed');
    writeFileSync(topology, topologyWith([['n1', '10.0.0.1'], ['n2', '10.0.0.2']]).replace('address: 10.0.0.2 }', 'address: 10.0.0.2, ssh: { jumpHost: bastion.example.org } }'));
    expect((await refusal(() => runPlan(options()))).message).toBe('n2 is at 10.0.0.2 through bastion.example.org in the topology, but its agent ran at 10.0.0.2 without a jump host (the state): gridops does not move a node to another host; nothing was changed');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    state.hosts.n2.agentVersion = null;
    state.hosts.n2.playbooks = ['node-base'];
    writeFileSync(stateFile, JSON.stringify(state));
    await expect(runPlan(options())).resolves.toBeDefined();
  });
});
