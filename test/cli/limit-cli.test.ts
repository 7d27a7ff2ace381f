import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** --limit through the real binary: the flag takes one value, and bad selectors stop before any connection. */
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 20_000 });

describe('--limit (the binary)', () => {
  it.each(['plan', 'apply', 'status'])('`%s --limit n1` does not take the file argument for a second selector', (command) => {
    const r = run(command, '--limit', 'n1');
    expect(r.status).toBe(64);
    expect(r.stderr).toContain(`error: gridops ${command}: missing FILE, the topology file`);
  });

  it('status: an unknown selector, before the file or after it, is a usage error naming the closest node, before connecting', () => {
    for (const args of [['--limit', 'ra-1', 'examples/small.yaml'], ['examples/small.yaml', '--limit', 'ra-01,ra-1']]) {
      const r = run('status', ...args);
      expect(r.status).toBe(64);
      expect(r.stderr).toContain('error: --limit "ra-1" matches no node of grid euro-grid');
      expect(r.stderr).toContain('hint: did you mean "ra-01"?');
      expect(r.stdout).toBe('');
    }
    const json = JSON.parse(run('status', '--limit', 'label:gpu=false', 'examples/small.yaml', '--json').stdout);
    expect(json).toMatchObject({ code: 'UNKNOWN_SELECTOR', hint: expect.stringContaining('did you mean "label:gpu=true"?') });
  });
});
