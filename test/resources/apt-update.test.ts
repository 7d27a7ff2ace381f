import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptUpdateWithRetries } from '../../src/resources/apt-scripts.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { quote } from '../../src/transport/quote.js';

const dir = mkdtempSync(join(tmpdir(), 'gridops-apt-update-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');

/** A fake apt-get on PATH that behaves as `behaviours[n]` on its n-th call: hang, fail or succeed. */
function fakeApt(name: string, behaviours: Array<'hang' | 'fail' | 'ok'>): { path: string; calls: () => string[] } {
  const bin = mkdtempSync(join(dir, `${name}-`));
  const log = join(bin, 'calls');
  writeFileSync(log, '');
  const cases = behaviours.map((b, i) => `  ${i + 1}) ${b === 'hang' ? 'exec sleep 30' : b === 'fail' ? 'exit 100' : 'exit 0'} ;;`).join('\n');
  writeFileSync(
    join(bin, 'apt-get'),
    `#!/bin/sh\necho "$*" >> ${quote(log)}\nn=$(wc -l < ${quote(log)})\ncase $n in\n${cases}\nesac\nexit 100\n`,
  );
  chmodSync(join(bin, 'apt-get'), 0o755);
  return { path: `${bin}:${process.env.PATH}`, calls: () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
}

async function run(path: string) {
  const t0 = performance.now();
  const result = await local.exec(`PATH=${quote(path)}; export PATH\n${aptUpdateWithRetries([1, 1, 2])}`, { timeoutMs: 20_000 });
  return { ...result, seconds: (performance.now() - t0) / 1000 };
}

describe('apt-get update with bounded, retried attempts', () => {
  it('kills an attempt that hangs and succeeds on the next one', async () => {
    const apt = fakeApt('hang-then-ok', ['hang', 'ok']);
    const result = await run(apt.path);
    expect(result.code).toBe(0);
    expect(apt.calls()).toEqual(['-o DPkg::Lock::Timeout=120 update -q', '-o DPkg::Lock::Timeout=120 update -q']);
    expect(result.stderr).toContain('attempt 1 of 3 failed or timed out after 1 s');
    expect(result.seconds).toBeLessThan(10);
  });

  it('fails after the last attempt, saying how many it made', async () => {
    const apt = fakeApt('always-fails', ['fail', 'fail', 'fail']);
    const result = await run(apt.path);
    expect(result.code).toBe(1);
    expect(apt.calls()).toHaveLength(3);
    expect(result.stderr).toContain('attempt 3 of 3 failed or timed out after 2 s');
  });

  it('makes one attempt when the first succeeds', async () => {
    const apt = fakeApt('ok', ['ok']);
    const result = await run(apt.path);
    expect(result.code).toBe(0);
    expect(apt.calls()).toHaveLength(1);
    expect(result.stderr).toBe('');
  });
});
