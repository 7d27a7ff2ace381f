import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, UsageError } from '../../src/errors/index.js';
import { runApply } from '../../src/phases/apply.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { connectNoting, localRunOptions } from '../support/local-run.js';

let dir: string;
let topology: string;
let playbook: string;
let connected: string[];

const connect = connectNoting((name) => connected.push(name));

function options(extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return localRunOptions({ topologyFile: topology, playbooks: [playbook] }, { connect, ...extra });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-rolling-timeout-'));
  connected = [];
  topology = join(dir, 'grid.yaml');
  writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nrollout: { healthTimeout: 2s }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes: [{ name: n1, address: 10.0.0.1 }]\n');
  mkdirSync(join(dir, 'out'));
  playbook = join(dir, 'local.yaml');
  writeFileSync(playbook, `name: local\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.txt')}", content: "{{node.name}}\\n" }\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * rollout.healthTimeout no longer than a rolling gate's 3 s window fails every batch of
 * `apply --rolling`, and only that: a warning at load, a usage error (64) for a rolling apply,
 * before any connection (review phases2 4).
 */
describe('a rollout.healthTimeout too short for a rolling gate', () => {
  it('apply --rolling refuses it with exit 64 before connecting, naming where it is written', async () => {
    const err = await runApply(options({ rolling: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.USAGE);
    expect((err as UsageError).message).toBe(`--rolling refused: ${topology}:4:27: healthTimeout 2s is not longer than the 3 s a rolling batch's overlay must hold the same super and region peers to pass its gate, so every batch of apply --rolling would fail; nothing was changed`);
    expect((err as UsageError).hint).toContain('set rollout.healthTimeout well above 3s');
    expect(connected).toEqual([]);
  });

  it('a plain apply warns and goes on', async () => {
    const warned: string[] = [];
    const result = await runApply(options({ warn: (w) => warned.push(`${w.line}:${w.column}: ${w.message}`) }));
    expect(result.hosts.map((h) => [h.host, h.status])).toEqual([['n1', 'applied']]);
    expect(warned).toContainEqual(expect.stringMatching(/^4:27: healthTimeout 2s is not longer than the 3 s/));
  });
});
