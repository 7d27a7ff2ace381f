import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlan } from '../../src/phases/plan.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';

jest.setTimeout(60_000);

const local = new LocalTransport('local');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-read-again-'));
  mkdirSync(join(dir, 'out'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a batched read that does not add up is read again', () => {
  it('with every file that did not add up so far read on its own, until none is left in the batch', async () => {
    const topology = join(dir, 'grid.yaml');
    writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
    const [a, b] = [join(dir, 'out', 'a.conf'), join(dir, 'out', 'b.conf')];
    writeFileSync(a, 'a=1\n');
    writeFileSync(b, 'b=2\n');
    const playbook = join(dir, 'pb.yaml');
    writeFileSync(playbook, `name: pb\nresources:\n  - file: { path: "${a}", content: "a=1\\n" }\n  - file: { path: "${b}", content: "b=2\\n" }\n`);
    // Each read runs in a real shell; stat's size for every file still in the batch comes back one
    // too big (a file that changed between stat and its read), so each read finds one more mismatch.
    const transport = new RecordingTransport('n1').on(/[\s\S]*/, async (command) => {
      const r = await local.exec(command);
      return { ...r, stdout: r.stdout.replace(/^(\d+)(\|regular file\|)/gm, (_m, size: string, rest: string) => `${Number(size) + 1}${rest}`) };
    });
    const plan = await runPlan({ topologyFile: topology, playbooks: [playbook], concurrency: 1, acceptNewHostKeys: false, progress: () => undefined, connect: async () => transport } as unknown as ApplyOptions);
    expect(plan.hosts[0]!.error).toBeUndefined();
    expect(plan.hosts[0]!.changes).toEqual([]);
    // The first read (both in the batch), then a, then a and b on their own.
    expect(transport.commands()).toHaveLength(3);
  });
});
