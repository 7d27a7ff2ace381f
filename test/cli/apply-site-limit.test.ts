import Apply from '../../src/commands/apply.js';
import { runCommand } from '../support/run-command.js';

/** `gridops apply ...argv` in this process: its exit code and what it wrote to stderr. */
const apply = (...argv: string[]) => runCommand(Apply, ...argv);

// No such topology: a run that gets past its flags stops there (exit 1), before any connection.
const topology = 'no/such/grid.yaml';

/**
 * `--site` with `--limit`: the site check judged the whole grid, not the nodes the run planned, so
 * `--site r2 --limit n1` said r2's nodes plan no change without reaching them, and `--site r2
 * --limit n3` bootstrapped half the site (review s44 2). The two flags pick the run's nodes two
 * ways: a usage error, before anything is read.
 */
describe('apply --site with --limit', () => {
  it('is a usage error (64) naming both flags, in either order', async () => {
    for (const argv of [['--site', 'r2', '--limit', 'n3'], ['--limit', 'n1', '--site', 'r2']]) {
      const r = await apply(topology, ...argv);
      expect(r.exit).toBe(64);
      expect(r.stderr).toContain('error: --site and --limit cannot be used together\nhint: leave out --limit or --site');
      expect(r.stderr).not.toContain('does not exist');
    }
  });

  it('each alone still parses, and reaches the topology', async () => {
    for (const argv of [['--site', 'r2'], ['--limit', 'n1']]) {
      const r = await apply(topology, '--yes', ...argv);
      expect(r.stderr).toContain(`topology file ${topology} does not exist`);
      expect(r.exit).toBe(1);
    }
  });
});
