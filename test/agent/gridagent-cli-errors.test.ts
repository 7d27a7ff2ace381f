import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../transport/sshd-harness.js';

/**
 * What the gridagent CLI says when something goes wrong (session 44's review), run from the built
 * bundle as on a node. `gridagent status --http [::1]:7950` looked up the host "[::1]" (ENOTFOUND);
 * an endpoint that answered with an error (the agent's 500, a 404 of another server on the port)
 * was reported as unreachable ("is it running?", exit 69); and a start whose state directory could
 * not be written ended with a stack that hid the file, 0.3 s after it began, which systemd's start
 * limit turned into a unit failed for good within 2 s.
 */
const BUNDLE = 'dist/gridagent.mjs';
const ready = existsSync(BUNDLE);
if (!ready) console.warn(`gridagent-cli-errors skipped: ${BUNDLE} is not built (npm run build)`);
const maybe = ready ? describe : describe.skip;

maybe('the gridagent CLI', () => {
  let dir: string;
  let server: Server | null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridagent-cli-errors-'));
    server = null;
  });

  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** An HTTP server on `host` that answers every request with `status` and `body`; its port. */
  const answering = async (host: string, status: number, body: string): Promise<number> => {
    const port = await freePort();
    server = createServer((_request, response) => response.writeHead(status, { 'content-type': 'text/plain' }).end(body));
    await new Promise<void>((resolve) => server!.listen(port, host, resolve));
    return port;
  };

  const idleStatus = JSON.stringify({ node: 'n6', region: 'r', subgrid: 's', left: true, leftAt: '2026-12-06T04:54:13.561Z', rejoin: 'run gridagent rejoin', version: '0.1.0' });

  test('status --http [::1]:PORT asks the IPv6 loopback (the brackets are not the host)', async () => {
    const port = await answering('::1', 200, idleStatus);
    const run = await gridagent(['status', '--http', `[::1]:${port}`]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^node +n6 \(r\/s\)$/m);
  });

  test.each([
    [500, 'TypeError: boom\n    at status'],
    [404, 'Not Found'],
  ])('an endpoint that answers HTTP %i is reported as such (exit 76), not as an agent that is down', async (status, body) => {
    const port = await answering('127.0.0.1', status, body);
    const run = await gridagent(['status', '--http', `127.0.0.1:${port}`]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 76, stderr: `gridagent: the agent at http://127.0.0.1:${port} answered HTTP ${status}: ${body.split('\n')[0]}\n` });
  });

  test('a start that cannot write its state directory says which file and why in one line, after holding 2 s (exit 1)', async () => {
    const key = join(dir, 'grid.key');
    writeFileSync(key, 'cli-errors-test-key-0123456789', { mode: 0o600 });
    mkdirSync(join(dir, 'state'));
    const stateFile = join(dir, 'state', 'n1.state.json');
    const config = join(dir, 'n1.json');
    writeFileSync(config, JSON.stringify({ node: 'n1', region: 'r', subgrid: 's', bind: '127.0.0.1', port: await freePort(), seeds: [], keyFile: key, stateFile, http: { bind: '127.0.0.1', port: await freePort() } }));
    // A file size limit of 0 fails the first write (the leave token's) with EFBIG, as a full disk fails it with ENOSPC.
    const started = performance.now();
    const run = await gridagent(['run', '--config', config], 'ulimit -f 0; ');
    const tookMs = performance.now() - started;
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 1,
      stderr: `gridagent: cannot write ${stateFile}.leave-token at start: a file size limit (ulimit -f) stopped the write (EFBIG); free space on its disk, or make ${join(dir, 'state')} writable: systemd starts the agent again, and it runs once the write succeeds\n`,
    });
    expect(tookMs).toBeGreaterThanOrEqual(1_900);
  });

  test('a state file that is valid JSON but not an agent\'s (a view that is not one) stops the start with exit 78 and what to do, not a TypeError (exit 1)', async () => {
    const key = join(dir, 'grid.key');
    writeFileSync(key, 'cli-errors-test-key-0123456789', { mode: 0o600 });
    mkdirSync(join(dir, 'state'));
    const stateFile = join(dir, 'state', 'n1.state.json');
    const group = { term: 3, votedFor: null, view: 'junk', joined: true };
    writeFileSync(stateFile, JSON.stringify({ epoch: 3, state: { subgrid: group, region: { ...group, view: null } } }));
    const config = join(dir, 'n1.json');
    writeFileSync(config, JSON.stringify({ node: 'n1', region: 'r', subgrid: 's', bind: '127.0.0.1', port: await freePort(), seeds: [], keyFile: key, stateFile, http: { bind: '127.0.0.1', port: await freePort() } }));
    const run = await gridagent(['run', '--config', config]);
    expect(run.code).toBe(78);
    expect(run.stderr).toContain(`the state file ${stateFile} is damaged (state.subgrid.view must be a view or null, not "junk"); restore it from a backup, or move it away (mv ${stateFile} ${stateFile}.damaged)`);
  });
});

/** Runs the bundled `gridagent ARGS` (after the shell commands `prelude`, if any), and what it said. */
function gridagent(args: string[], prelude = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `${prelude}exec "$@"`, 'sh', process.execPath, BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
