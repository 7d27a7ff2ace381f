import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApply } from '../../src/phases/apply.js';
import { runPlan } from '../../src/phases/plan.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { localRunOptions } from '../support/local-run.js';

/**
 * Two `line` entries on one file, as Ansible runs two lineinfile tasks: the second is planned on
 * what the first leaves, so one apply lands both (planned on the file as read, the second write
 * undid the first, and only the next run converged). The "host" is this machine's shell.
 */
let dir: string;
let topology: string;
let playbook: string;
let env: string;
const options = (): ApplyOptions => localRunOptions({ topologyFile: topology, playbooks: [playbook] }, { concurrency: 1 });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-lines-'));
  topology = join(dir, 'grid.yaml');
  writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
  env = join(dir, 'app.env');
  playbook = join(dir, 'env.yaml');
  writeFileSync(playbook, `name: env\nresources:\n  - line: { path: ${JSON.stringify(env)}, line: "LOG_LEVEL=debug", match: "^LOG_LEVEL=" }\n  - line: { path: ${JSON.stringify(env)}, line: "WORKERS=4", match: "^WORKERS=" }\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('two lines in one file', () => {
  it.each([
    ['an existing file', 'DB_HOST=db\nLOG_LEVEL=info\n', 'DB_HOST=db\nLOG_LEVEL=debug\nWORKERS=4\n'],
    ['a file the first line creates', undefined, 'LOG_LEVEL=debug\nWORKERS=4\n'],
  ])('%s: one apply lands both, each change shows its own line, then the plan has no change', async (_, before, after) => {
    if (before !== undefined) writeFileSync(env, before);
    const plan = await runPlan(options());
    const changes = plan.hosts[0]!.changes;
    expect(changes.map((c) => [c.kind, c.fields.map((f) => f.after)])).toEqual([
      ['line', ['LOG_LEVEL=debug']],
      ['line', ['WORKERS=4']],
    ]);
    expect(changes[1]!.diff).not.toContain('LOG_LEVEL');
    await runApply(options());
    expect(readFileSync(env, 'utf8')).toBe(after);
    expect((await runPlan(options())).hosts[0]!.changes).toEqual([]);
  });
});
