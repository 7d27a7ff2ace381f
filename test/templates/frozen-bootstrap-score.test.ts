import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FACTS_SCRIPT, parseFacts } from '../../src/facts/gather.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { electInitial, plannedBootstrapScore } from '../../src/overlay/initial-election.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { singleFileProbe } from '../../src/resources/file-state.js';
import type { Resource } from '../../src/resources/resource.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { facts, gridOf } from '../resources/fixtures.js';

const CONFIG = '/etc/gridagent/config.yaml';
const grid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }, { name: n2, address: 10.0.0.2 }] }] }]\n');
const n1 = allNodes(grid)[0]!;
const MiB = 2 ** 20;
const agent = loadPlaybook('agent');

/** The agent playbook's config.yaml for n1, rendered with `f`. */
const configFile = (f: HostFacts): Resource => instantiate(agent, templateContext(grid, n1, f), { gridKey: Buffer.from('k'.repeat(64)) }).resources.find((r) => r.id === `file ${CONFIG}`)!;

/**
 * bootstrapScore ranks only the first election, and moved with every ~10 MiB of memory (16000 MiB
 * is 72.3, 15990 MiB 72.2 on 2 cores): a crashkernel reservation or a VM resize rewrote an applied
 * node's config.yaml and restarted its agent, and made `--site` refuse (review site 3).
 */
describe("the agent's bootstrapScore, once written, stays", () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-frozen-score-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.yaml');
  /** The facts script run here, with the host's config.yaml at `config`, and the memory given. */
  const gathered = (memoryMiB: number): HostFacts => ({ ...parseFacts(execFileSync('dash', ['-c', FACTS_SCRIPT.replaceAll(CONFIG, config)], { encoding: 'utf8' })), memoryBytes: memoryMiB * MiB });

  it('a node applied at 16000 MiB that now has 15990 MiB plans no change to its config', () => {
    rmSync(config, { force: true });
    const first = gathered(16000);
    expect(first.writtenBootstrapScore).toBeNull();
    const applied = configFile(first) as unknown as { want: { content: Buffer } };
    expect(applied.want.content.toString()).toContain('\nbootstrapScore: ');
    writeFileSync(config, applied.want.content, { mode: 0o644 });

    const drifted = gathered(15990);
    const file = configFile(drifted);
    // What the planner reads of the file on the host (file-state.ts), here of the copy.
    const onHost = execFileSync('sh', ['-c', singleFileProbe(config)], { encoding: 'utf8' });
    expect(file.diff(onHost, { node: n1, facts: drifted } as never)).toBeNull();
  });

  it('is read from the config as written; a host without one, or with another value, has none', () => {
    const parse = (...lines: string[]) => parseFacts(['@@gridops-facts:uname@@', 'x86_64', '6.1.0', ...lines, '@@gridops-facts:end@@', ''].join('\n'));
    expect(parse('@@gridops-facts:agent-score@@', ' 72.3').writtenBootstrapScore).toBe(72.3);
    expect(parse('@@gridops-facts:agent-score@@', ' null').writtenBootstrapScore).toBeNull();
    expect(parse().writtenBootstrapScore).toBeNull();
    expect(parse('@@gridops-facts:agent-superpeer@@', ' "prefer"').writtenSuperPeer).toBe('prefer');
    expect(parse('@@gridops-facts:agent-superpeer@@', ' "sometimes"').writtenSuperPeer).toBeNull();
    expect(parse().writtenSuperPeer).toBeNull();
  });

  /**
   * The written score holds the preference's factor (×1.5 for prefer): kept after `superPeer: auto`
   * became `prefer`, it ranked a still-fresh node (a first bootstrap that failed, or an agent-rename
   * that emptied /var/lib/gridagent) as auto, and the plan's "(score X: cores, memory)" did not
   * explain it (review phases2 1).
   */
  it('a score written under another superPeer preference is recomputed, in the config and the plan', () => {
    rmSync(config, { force: true });
    const asAuto = configFile(gathered(16000)) as unknown as { want: { content: Buffer } };
    writeFileSync(config, asAuto.want.content, { mode: 0o644 });
    const read = gathered(16000);
    expect(read.writtenSuperPeer).toBe('auto');
    expect(plannedBootstrapScore(read, 'auto')).toBe(read.writtenBootstrapScore);
    const preferred = plannedBootstrapScore(read, 'prefer');
    expect(preferred).toBe(plannedBootstrapScore({ ...read, writtenBootstrapScore: null }, 'prefer'));
    expect(preferred).toBeGreaterThan(read.writtenBootstrapScore!);

    const preferGrid = gridOf('regions: [{ name: r1, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1, superPeer: prefer }, { name: n2, address: 10.0.0.2 }] }] }]\n');
    const n1Prefer = allNodes(preferGrid)[0]!;
    const rewritten = instantiate(agent, templateContext(preferGrid, n1Prefer, read), { gridKey: Buffer.from('k'.repeat(64)) }).resources.find((r) => r.id === `file ${CONFIG}`)! as unknown as { want: { content: Buffer } };
    const text = rewritten.want.content.toString();
    expect(text).toContain('\nsuperPeer: "prefer"\n');
    expect(text).toContain(`\nbootstrapScore: ${preferred}\n`);
    expect(electInitial(preferGrid, new Map([['n1', read]])).subgrids[0]!.ranking[0]!.score).toBe(preferred);
  });

  it("the plan's first election ranks by the score the config holds, as the agents will", () => {
    const machine = (memoryMiB: number, written: number | null): HostFacts => ({ ...facts(), memoryBytes: memoryMiB * MiB, writtenBootstrapScore: written, writtenSuperPeer: written === null ? null : 'auto' });
    // n2 has more memory now, but n1's config (written before n2's memory grew) says 80: n1 ranks first.
    const election = electInitial(grid, new Map([['n1', machine(2048, 80)], ['n2', machine(16000, null)]]));
    expect(election.subgrids[0]!.ranking.map((r) => [r.node, r.score])).toEqual([['n1', 80], ['n2', 72.3]]);
  });
});
