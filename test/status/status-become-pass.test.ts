import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `status` reads each sandbox VM with sudo, and a sudo that asks for a password fails with a hint
 * that names `--ask-become-pass` (ssh-transport.ts): status must take that flag and hand its
 * prompt to the connections, as apply and reset do (review s45 3). The connections are replaced
 * by one that notes the options it was given and reaches no host.
 */
type ConnectOptions = import('../../src/transport/fleet.js').ConnectOptions;
const given: ConnectOptions[] = [];
jest.unstable_mockModule('../../src/facts/host-session.js', () => ({
  openSessions: async (_fleet: unknown, _nodes: unknown, options: ConnectOptions) => {
    given.push(options);
    return { sessions: [], unreachable: [] };
  },
}));
const { gridStatus } = await import('../../src/status/grid-status.js');
const { default: Status } = await import('../../src/commands/status.js');
const { runCommand } = await import('../support/run-command.js');

const TOPOLOGY = 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-status-become-'));
  writeFileSync(join(dir, 'g.yaml'), TOPOLOGY);
  given.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('status --ask-become-pass', () => {
  it('gridStatus hands its becomePrompt to the connections', async () => {
    const becomePrompt = async () => 'secret';
    await gridStatus(join(dir, 'g.yaml'), { concurrency: 1, becomePrompt });
    expect(given[0]?.becomePrompt).toBe(becomePrompt);
  });

  it('the command takes the flag (not a usage error) and passes a prompt; without it, none', async () => {
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      // n1 reads as unreachable (no session): status exits 1, the failure of a node and not of the flag.
      expect((await runCommand(Status, join(dir, 'g.yaml'), '--ask-become-pass', '--state-dir', dir)).exit).not.toBe(64);
      await runCommand(Status, join(dir, 'g.yaml'), '--state-dir', dir);
    } finally {
      out.mockRestore();
      process.exitCode = 0;
    }
    expect(typeof given[0]?.becomePrompt).toBe('function');
    expect(given[1]?.becomePrompt).toBeUndefined();
  });
});
