import { connectionRunOptions, persistFlag } from '../../src/cli-flags.js';
import { ExitCode, UsageError } from '../../src/errors/index.js';
import { KEEPER_MAX_LIFETIME_MS, keeperLifetime } from '../../src/transport/keeper-client.js';

/** `--persist` (and GRIDOPS_PERSIST) against the keeper's one limit, KEEPER_MAX_LIFETIME_MS (30 min). */
describe('--persist DURATION', () => {
  const options = (persist: string) => connectionRunOptions({ concurrency: 1, 'accept-new-host-keys': false, 'ask-become-pass': false, persist });

  it('takes 0s (end the keeper after the run) and anything up to 30m', () => {
    expect(persistFlag('0s')).toBe(0);
    expect(persistFlag('60s')).toBe(60_000);
    expect(persistFlag('30m')).toBe(KEEPER_MAX_LIFETIME_MS);
    expect(options('30m').persistMs).toBe(30 * 60_000);
  });

  it.each(['2h', '31m', '1801s'])('refuses %s as a usage error (exit 64) that names the maximum and what to write', (value) => {
    let err: unknown;
    try {
      options(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.USAGE);
    expect((err as UsageError).message).toBe(`--persist "${value}": longer than 30m, the longest a connection keeper takes new runs`);
    expect((err as UsageError).hint).toContain('use at most 30m');
  });

  it('a value from GRIDOPS_PERSIST is named as the environment variable, with a fix for it', () => {
    const saved = process.env.GRIDOPS_PERSIST;
    process.env.GRIDOPS_PERSIST = '2h';
    try {
      let err: unknown;
      try {
        options('2h');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toBe('GRIDOPS_PERSIST=2h (the default of --persist, from the environment): longer than 30m, the longest a connection keeper takes new runs');
      expect((err as UsageError).hint).toBe('set GRIDOPS_PERSIST to at most 30m (export GRIDOPS_PERSIST=30m), or unset it');
    } finally {
      if (saved === undefined) delete process.env.GRIDOPS_PERSIST;
      else process.env.GRIDOPS_PERSIST = saved;
    }
  });

  it('says where the value came from, for the warnings that name it: the environment only where the command line has no --persist', () => {
    const saved = process.env.GRIDOPS_PERSIST;
    process.env.GRIDOPS_PERSIST = '60s';
    try {
      expect(options('60s').persistFromEnvironment).toBe(true);
      // another value than the environment's came from the command line
      expect(options('90s').persistFromEnvironment).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.GRIDOPS_PERSIST;
      else process.env.GRIDOPS_PERSIST = saved;
    }
    expect(options('60s').persistFromEnvironment).toBe(false);
  });

  it('the keeper never lives longer than the limit, whatever a caller of the library asks', () => {
    expect(keeperLifetime(60_000)).toEqual({ idleMs: 60_000, maxMs: KEEPER_MAX_LIFETIME_MS });
    expect(keeperLifetime(2 * 3_600_000)).toEqual({ idleMs: KEEPER_MAX_LIFETIME_MS, maxMs: KEEPER_MAX_LIFETIME_MS });
  });
});
