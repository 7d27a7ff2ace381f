import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockState } from '../../src/phases/lock-state.js';
import { RunContext } from '../../src/phases/run-context.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { statePaths } from '../../src/state/state.js';
import { smallGrid } from '../resources/fixtures.js';

/** The state lock names the command that holds it: a refused run says which run to wait for. */
describe('lock the state: the holder is the command that runs', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-lock-phase-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['apply', undefined, 'gridops apply'],
    ['reset', 'reset' as const, 'gridops reset'],
  ])('%s', async (_what, command, said) => {
    const topologyFile = join(dir, 'grid.yaml');
    const ctx = new RunContext({ topologyFile, progress: () => undefined, ...(command ? { command } : {}) } as unknown as ApplyOptions);
    ctx.setGrid(smallGrid(), statePaths(topologyFile, 'g'));
    await lockState.run(ctx);
    try {
      expect(JSON.parse(readFileSync(ctx.paths.lock, 'utf8')).command).toBe(`${said} ${topologyFile}`);
    } finally {
      await lockState.cleanUp!(ctx);
    }
  });

  it('a file name a shell would split or run is quoted, as a command line to paste', async () => {
    const topologyFile = join(dir, "my grid $(touch x)'s.yaml");
    const ctx = new RunContext({ topologyFile, progress: () => undefined } as unknown as ApplyOptions);
    ctx.setGrid(smallGrid(), statePaths(topologyFile, 'g'));
    await lockState.run(ctx);
    try {
      expect(JSON.parse(readFileSync(ctx.paths.lock, 'utf8')).command).toBe(`gridops apply '${dir}/my grid $(touch x)'\\''s.yaml'`);
    } finally {
      await lockState.cleanUp!(ctx);
    }
  });
});
