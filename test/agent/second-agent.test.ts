import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../transport/sshd-harness.js';

/**
 * Review finding (reproduced): a stray `gridagent` beside the running agent (`gridagent --config F
 * status`, whose flag first made the command `run`, or a plain `gridagent run`) wrote a new leave
 * token and a new epoch into the state file before it bound its sockets, then died on EADDRINUSE
 * with a stack. The running agent still held its old token: every later `gridagent leave` got 403,
 * and the reset and rename playbooks stopped the agent anyway, leaving the node a voter for good.
 * Run from the built bundle as on a node, against a real agent on loopback.
 */
const BUNDLE = 'dist/gridagent.mjs';
const ready = existsSync(BUNDLE);
if (!ready) console.warn(`second-agent skipped: ${BUNDLE} is not built (npm run build)`);
const maybe = ready ? describe : describe.skip;

maybe('a second gridagent beside the running one', () => {
  let dir: string;
  let agent: ChildProcess | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridagent-second-'));
  });

  afterEach(async () => {
    if (agent !== null && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent!.once('exit', resolve));
      process.kill(agent.pid!, 'SIGTERM');
      await exited;
    }
    agent = null;
    rmSync(dir, { recursive: true, force: true });
  });

  test('writes nothing and says in one line that the port is taken; the running agent still leaves', async () => {
    const key = join(dir, 'grid.key');
    writeFileSync(key, 'second-agent-test-key-0123456789', { mode: 0o600 });
    const stateFile = join(dir, 'n1.state.json');
    const port = await freePort();
    const httpPort = await freePort();
    const config = join(dir, 'n1.json');
    writeFileSync(
      config,
      JSON.stringify({ node: 'n1', region: 'r', subgrid: 's', bind: '127.0.0.1', port, seeds: [], keyFile: key, stateFile, bootstrapFile: join(dir, 'bootstrap.json'), http: { bind: '127.0.0.1', port: httpPort } }),
    );
    agent = spawn(process.execPath, [BUNDLE, 'run', '--config', config], { stdio: 'ignore' });
    await untilAnswering(config);
    const token = readFileSync(`${stateFile}.leave-token`);
    const state = readFileSync(stateFile);

    // The command after a flag is not a second daemon: the command comes first.
    const misplaced = await gridagent(['--config', config, 'status']);
    expect(misplaced.code).toBe(64);
    expect(misplaced.stderr).toMatch(/^gridagent: unexpected 'status': the command comes first \(gridagent status --config FILE\)\nusage: /);

    const second = await gridagent(['run', '--config', config]);
    expect({ code: second.code, stderr: second.stderr }).toEqual({
      code: 75,
      stderr: `gridagent: cannot bind 127.0.0.1:${port}: the port is in use (EADDRINUSE): is another gridagent running on this node (systemctl status gridagent; ss -lntup | grep :${port})? Stop it, or give this agent another port\n`,
    });

    expect(readFileSync(`${stateFile}.leave-token`).equals(token)).toBe(true);
    expect(readFileSync(stateFile).equals(state)).toBe(true);
    expect(existsSync(`${stateFile}.tmp`)).toBe(false);
    const leave = await gridagent(['leave', '--config', config]);
    expect({ code: leave.code, stderr: leave.stderr }).toEqual({ code: 0, stderr: '' });

    // The node has left, so a start now finds the marker and would be idle, with its HTTP port alone:
    // that port keeps it from replacing the token the idle agent answers a later leave with.
    const idleToken = readFileSync(`${stateFile}.leave-token`);
    const idleSecond = await gridagent(['run', '--config', config]);
    expect(idleSecond.code).toBe(75);
    expect(idleSecond.stderr).toMatch(new RegExp(`^gridagent: cannot bind 127\\.0\\.0\\.1:${httpPort}: the port is in use \\(EADDRINUSE\\)`));
    expect(readFileSync(`${stateFile}.leave-token`).equals(idleToken)).toBe(true);
    const again = await gridagent(['leave', '--config', config]);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });

    // `gridagent rejoin` removes the marker without a restart (docs/agent.md): a stray start then
    // finds no marker and binds the agent's port, which the idle agent does not hold. It must still
    // fail on the HTTP port having written nothing, or the idle agent's next leave gets 403.
    const rejoin = await gridagent(['rejoin', '--config', config]);
    expect(rejoin.code).toBe(0);
    const rejoinedToken = readFileSync(`${stateFile}.leave-token`);
    const rejoinedState = readFileSync(stateFile);
    const afterRejoin = await gridagent(['run', '--config', config]);
    expect(afterRejoin.code).toBe(75);
    expect(afterRejoin.stderr).toMatch(new RegExp(`^gridagent: cannot bind 127\\.0\\.0\\.1:${httpPort}: the port is in use \\(EADDRINUSE\\)[^\\n]*\\n$`));
    expect(readFileSync(`${stateFile}.leave-token`).equals(rejoinedToken)).toBe(true);
    expect(readFileSync(stateFile).equals(rejoinedState)).toBe(true);
    const afterStray = await gridagent(['leave', '--config', config]);
    expect({ code: afterStray.code, stderr: afterStray.stderr }).toEqual({ code: 0, stderr: '' });
  }, 30_000);
});

/** Waits until `gridagent status` reaches the agent of `config`. */
async function untilAnswering(config: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if ((await gridagent(['status', '--config', config])).code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the agent did not answer gridagent status within 10 s');
}

/** Runs the bundled `gridagent ARGS`, and what it said. */
function gridagent(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
