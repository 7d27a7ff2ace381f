/**
 * A keeper that cannot start is known at once when its process fails to spawn or exits before its
 * socket is there: the run falls back to direct connections then, not after the 10 s a keeper is
 * given to start (every --persist run where the keeper cannot start used to wait that long).
 */
import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the spawned keeper process does: set by each test before attach. */
let behave: (child: EventEmitter) => void = () => undefined;
const actual = await import('node:child_process');
jest.unstable_mockModule('node:child_process', () => {
  const spawn = () => {
    const child = Object.assign(new EventEmitter(), { stdin: Object.assign(new EventEmitter(), { end: () => undefined }), unref: () => undefined });
    setImmediate(() => behave(child));
    return child;
  };
  return { ...actual, spawn, default: { ...actual.default, spawn } };
});
const { KeeperClient } = await import('../../src/transport/keeper-client.js');
const { ConnectionError } = await import('../../src/errors/index.js');

describe('a keeper that cannot start', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-keeper-start-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const attach = () => KeeperClient.attach({ writable: join(dir, 'known_hosts'), readOnly: [] }, 60_000, { GRIDOPS_KEEPER_DIR: join(dir, 'k') });

  it('whose process cannot be spawned: refused at once, naming the spawn error', async () => {
    behave = (child) => child.emit('error', Object.assign(new Error('spawn /bin/sh ENOENT'), { code: 'ENOENT' }));
    const started = Date.now();
    const refused = await attach().catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ConnectionError);
    expect((refused as Error).message).toMatch(/did not start \(.*spawn \/bin\/sh ENOENT/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('whose process exits before its socket is there: refused at once, naming its exit', async () => {
    behave = (child) => child.emit('exit', 1, null);
    const started = Date.now();
    const refused = await attach().catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ConnectionError);
    expect((refused as Error).message).toMatch(/did not start \(.*exited with code 1/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
