import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentConfigError, loadAgentConfig } from '../../src/agent/runtime/config.js';
import { AgentDaemon } from '../../src/agent/runtime/daemon.js';
import { leaveMarkerPath, removeLeaveMarker, writeLeaveMarker } from '../../src/agent/runtime/leave-marker.js';
import { LeaveNotRecordedError } from '../../src/agent/runtime/leave-not-recorded.js';
import { writePrivateFile } from '../../src/agent/runtime/state-file.js';
import { fetchStatus } from '../../src/agent/runtime/status-command.js';
import { freePort } from '../transport/sshd-harness.js';

/**
 * `gridagent leave` writes its marker before it hands over and announces. Interrupted after that
 * (a SIGTERM: systemctl restart, or the decommission stopping the agent after the CLI gave up), the
 * agent exited at once, maybe before the grid was told, and the marker kept it idle at every restart
 * (a sub-grid of two voters then never elected again). A SIGTERM now waits for the leave under way;
 * a leave that fails before it announced anything takes its marker back (the node stays a member);
 * and `gridagent rejoin` is the documented way back for a node that left by mistake.
 *
 * One agent in-process on loopback, its handover replaced to hold or fail the leave at will.
 */
describe('a leave interrupted after its marker is written', () => {
  let dir: string;
  let daemon: AgentDaemon | null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridagent-leave-interrupted-'));
    daemon = null;
  });

  afterEach(async () => {
    if (daemon) await daemon.stop('test end').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A lone agent, started; its handover replaced by `handOver`, and no wait to be dropped (nobody else is there). */
  const agent = async (handOver: () => Promise<string | null>) => {
    const key = join(dir, 'grid.key');
    writeFileSync(key, 'leave-interrupted-test-key-0123456789', { mode: 0o600 });
    const [port, http] = [await freePort(), await freePort()];
    const stateFile = join(dir, 'state', 'n1.state.json');
    mkdirSync(join(dir, 'state'));
    const file = join(dir, 'n1.json');
    writeFileSync(file, JSON.stringify({ node: 'n1', region: 'r', subgrid: 's', bind: '127.0.0.1', port, seeds: [], keyFile: key, stateFile, http: { bind: '127.0.0.1', port: http }, expect: 1, regionExpect: 1 }));
    const started = new AgentDaemon(loadAgentConfig(file));
    // Own properties shadow the class's private methods of these names.
    Object.assign(started, { handOver, untilDropped: async () => undefined });
    await started.start();
    daemon = started;
    return { daemon: started, marker: leaveMarkerPath(stateFile), http };
  };

  test('a SIGTERM during the leave waits for it to finish instead of exiting at once', async () => {
    let finishHandover!: (successor: string | null) => void;
    const { daemon, marker } = await agent(() => new Promise((resolve) => (finishHandover = resolve)));
    const leaving = daemon.leave();
    await until(() => finishHandover !== undefined);
    expect(existsSync(marker)).toBe(true);

    let stopped = false;
    const stopping = daemon.stop('SIGTERM').then(() => (stopped = true));
    await sleep(200);
    expect(stopped).toBe(false);

    finishHandover(null);
    await expect(leaving).resolves.toEqual({ left: true, successor: null });
    await stopping;
    expect(stopped).toBe(true);
  });

  test('a second leave during the first waits for it and answers the same', async () => {
    let finishHandover!: (successor: string | null) => void;
    const { daemon } = await agent(() => new Promise((resolve) => (finishHandover = resolve)));
    const first = daemon.leave();
    await until(() => finishHandover !== undefined);
    const second = daemon.leave();
    finishHandover('n9');
    await expect(first).resolves.toEqual({ left: true, successor: 'n9' });
    await expect(second).resolves.toEqual({ left: true, successor: 'n9' });
  });

  test('a handover that throws takes the marker back: the node stays a member, and can leave (or stop) again', async () => {
    let fail = true;
    const { daemon, marker, http } = await agent(async () => {
      if (fail) throw new Error('handover broke');
      return null;
    });
    await expect(daemon.leave()).rejects.toThrow('handover broke');
    expect(existsSync(marker)).toBe(false);
    const status = await fetchStatus('127.0.0.1', http);
    expect(status.left).toBeUndefined();
    expect(status.node).toBe('n1');

    fail = false;
    await expect(daemon.leave()).resolves.toEqual({ left: true, successor: null });
    expect(existsSync(marker)).toBe(true);
  });

  test('an agent started with the marker stays idle, and its status says how to bring the node back', async () => {
    const first = await agent(async () => null);
    await first.daemon.leave();
    await first.daemon.stop('SIGTERM');
    daemon = null;
    const config = loadAgentConfig(join(dir, 'n1.json'));
    const idle = new AgentDaemon(config);
    await idle.start();
    daemon = idle;
    const status = await fetchStatus('127.0.0.1', first.http);
    expect(status.left).toBe(true);
    expect(String(status.rejoin)).toMatch(/gridagent rejoin.*restart the agent/);

    expect(removeLeaveMarker(first.marker)).toBe(true);
    expect(existsSync(first.marker)).toBe(false);
    expect(removeLeaveMarker(first.marker)).toBe(false);
  });
});

/**
 * What an agent says, and keeps on disk, once it has left (review of session 44). Its /status and
 * /metrics went on showing it an active member (role leader, gridagent_is_super_peer 1) until a
 * restart; a leave after `gridagent rejoin` (the marker removed, the agent not restarted) answered
 * "left" from memory and wrote no marker, so the next start signed the decommissioned node back in;
 * and an empty or damaged marker (a crash while it was written, a hand-made one) crashed the start
 * with a stack, where any marker means the node left.
 */
describe('an agent that left', () => {
  let dir: string;
  let daemon: AgentDaemon | null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridagent-left-'));
    daemon = null;
  });

  afterEach(async () => {
    if (daemon) await daemon.stop('test end').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A lone agent's config (it elects itself), and where its marker goes. */
  const configure = async () => {
    const key = join(dir, 'grid.key');
    writeFileSync(key, 'left-status-test-key-0123456789', { mode: 0o600 });
    const [port, http] = [await freePort(), await freePort()];
    const stateFile = join(dir, 'state', 'n1.state.json');
    mkdirSync(join(dir, 'state'), { recursive: true });
    const file = join(dir, 'n1.json');
    writeFileSync(file, JSON.stringify({ node: 'n1', region: 'r', subgrid: 's', bind: '127.0.0.1', port, seeds: [], keyFile: key, stateFile, http: { bind: '127.0.0.1', port: http }, expect: 1, regionExpect: 1 }));
    return { file, marker: leaveMarkerPath(stateFile), http };
  };

  const start = async (file: string) => {
    const started = new AgentDaemon(loadAgentConfig(file));
    Object.assign(started, { untilDropped: async () => undefined });
    await started.start();
    daemon = started;
    return started;
  };

  const metric = async (http: number, name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };

  test('says it left on /status, and holds no role on /metrics, without a restart', async () => {
    const { file, http } = await configure();
    const agent = await start(file);
    await untilAsync(async () => (await fetchStatus('127.0.0.1', http)).role === 'leader');
    expect(await metric(http, 'gridagent_is_super_peer')).toBe(1);
    await agent.leave();
    const status = await fetchStatus('127.0.0.1', http);
    expect({ left: status.left, role: status.role, node: status.node }).toEqual({ left: true, role: undefined, node: 'n1' });
    expect(await metric(http, 'gridagent_is_super_peer')).toBe(0);
    expect(await metric(http, 'gridagent_is_region_peer')).toBe(0);
  });

  test('a leave after its marker was removed (gridagent rejoin, no restart) writes the marker again', async () => {
    const { file, marker } = await configure();
    const agent = await start(file);
    await agent.leave();
    expect(removeLeaveMarker(marker)).toBe(true);
    await expect(agent.leave()).resolves.toEqual({ left: true, successor: null });
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toEqual({ at: expect.any(String), successor: null });
  });

  test('so does an idle agent (started with the marker) whose marker was removed', async () => {
    const { file, marker } = await configure();
    writeFileSync(marker, `${JSON.stringify({ at: '2026-01-02T03:04:05.000Z', successor: 'n7' })}\n`);
    const idle = await start(file);
    expect(removeLeaveMarker(marker)).toBe(true);
    await expect(idle.leave()).resolves.toEqual({ left: true, successor: 'n7' });
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toEqual({ at: '2026-01-02T03:04:05.000Z', successor: 'n7' });
  });

  test('a marker it cannot write again fails that leave as the first one would (not recorded)', async () => {
    const { file, marker } = await configure();
    writeFileSync(marker, '{}');
    const idle = await start(file);
    removeLeaveMarker(marker);
    mkdirSync(marker);
    await expect(idle.leave()).rejects.toThrow(LeaveNotRecordedError);
  });

  test.each(['', '{"at": ', 'null\n'])('an agent started with a marker %j (empty or damaged) stays idle, left at the marker\'s time', async (text) => {
    const { file, marker, http } = await configure();
    writeFileSync(marker, text);
    const mtime = new Date('2026-03-04T05:06:07.000Z');
    utimesSync(marker, mtime, mtime);
    await start(file);
    const status = await fetchStatus('127.0.0.1', http);
    expect({ left: status.left, leftAt: status.leftAt }).toEqual({ left: true, leftAt: mtime.toISOString() });
  });

  test('a directory where the marker goes stops the start as a configuration error', async () => {
    const { file, marker } = await configure();
    mkdirSync(marker);
    await expect(new AgentDaemon(loadAgentConfig(file)).start()).rejects.toThrow(AgentConfigError);
    await expect(new AgentDaemon(loadAgentConfig(file)).start()).rejects.toThrow(marker);
  });
});

describe('the leave marker written, but its write reported a failure', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridagent-leave-marker-write-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const eio = () => Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });

  test('renamed into place, then the directory fsync failed: the marker is removed and the leave is not recorded', () => {
    const marker = join(dir, 'n.state.json.left');
    const outcome = writeLeaveMarker(marker, '{}\n', {
      write: (path, text) => {
        writePrivateFile(path, text);
        throw eio();
      },
      unlink: (path) => rmSync(path),
    });
    expect(outcome).toEqual({ recorded: false, error: expect.objectContaining({ code: 'EIO' }) });
    expect(existsSync(marker)).toBe(false);
  });

  test('a marker that cannot be removed either counts as recorded: the leave goes on', () => {
    const marker = join(dir, 'n.state.json.left');
    const outcome = writeLeaveMarker(marker, '{}\n', {
      write: (path, text) => {
        writePrivateFile(path, text);
        throw eio();
      },
      unlink: () => {
        throw eio();
      },
    });
    expect(outcome).toEqual({ recorded: true, warning: expect.stringContaining('could not be removed') });
    expect(existsSync(marker)).toBe(true);
  });

  test('a directory where the marker goes is not taken for a marker', () => {
    const marker = join(dir, 'n.state.json.left');
    mkdirSync(marker);
    expect(writeLeaveMarker(marker, '{}\n')).toEqual({ recorded: false, error: expect.objectContaining({ code: 'EISDIR' }) });
    expect(existsSync(marker)).toBe(true);
  });

  test('a write that fails leaves no temp file behind', () => {
    const target = join(dir, 'n.state.json.left');
    mkdirSync(target);
    writeFileSync(join(target, 'occupied'), '');
    expect(() => writePrivateFile(target, '{}\n')).toThrow();
    expect(readdirSync(dir)).toEqual(['n.state.json.left']);
  });
});

async function untilAsync(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}
