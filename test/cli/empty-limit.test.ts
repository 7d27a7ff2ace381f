import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Apply from '../../src/commands/apply.js';
import PlanCommand from '../../src/commands/plan.js';
import Reset from '../../src/commands/reset.js';
import Status from '../../src/commands/status.js';
import { UnknownSelectorError } from '../../src/errors/index.js';
import { selectNodes } from '../../src/phases/select-nodes.js';
import { checkTopologyText } from '../../src/topology/load.js';
import { savedPlan } from './saved-plan-fixture.js';
import { runCommand as run } from '../support/run-command.js';

/**
 * `--limit "$NODE"` with NODE unset, or `--limit ' , '`: a --limit given that holds no selector is a
 * usage error (64), as a selector that matches nothing is, never "every node" (`reset --yes` of the grid).
 */
const root = new URL('../../', import.meta.url).pathname;
// No such topology: a run that gets past its flags stops there (exit 1), before any connection.
const topology = 'no/such/grid.yaml';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-empty-limit-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('an empty --limit', () => {
  it.each([
    ['reset', Reset, ['--yes']],
    ['plan', PlanCommand, []],
    ['apply', Apply, ['--yes']],
  ] as const)('%s: "" and " , " are a usage error (64) before the topology is read', async (_name, command, extra) => {
    for (const limit of ['', ' , ']) {
      const r = await run(command, topology, '--limit', limit, ...extra);
      expect(r.stderr).toContain('--limit is empty');
      expect(r.stderr).toContain('leave --limit out for every node');
      expect(r.exit).toBe(64);
    }
  });

  it('apply --plan: an empty --limit is refused too, not read as the plan\'s "every node"', async () => {
    const saved = join(dir, 'plan.json');
    writeFileSync(saved, JSON.stringify(savedPlan()));
    const r = await run(Apply, topology, '--plan', saved, '--limit', '');
    expect(r.stderr).toContain('--limit is empty');
    expect(r.exit).toBe(64);
  });

  it('status: refused before connecting (as it already was)', async () => {
    const r = await run(Status, 'examples/small.yaml', '--limit', ' , ');
    expect(r.stderr).toContain('--limit is empty');
    expect(r.exit).toBe(64);
  });

  it('the run phase: an empty selector list selects nothing rather than every node; no --limit is every node', () => {
    const grid = checkTopologyText('examples/small.yaml', readFileSync(`${root}examples/small.yaml`, 'utf8')).grid!;
    expect(() => selectNodes(grid, [])).toThrow(UnknownSelectorError);
    expect(selectNodes(grid, undefined)).toHaveLength(6);
  });
});
