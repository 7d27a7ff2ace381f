import { jest } from '@jest/globals';
import { KeptTargets } from '../../src/agent/runtime/kept-targets.js';

describe('a name\'s targets as last resolved, kept by the age of the answer (the seeds\' and the region peer name\'s one rule)', () => {
  it('keeps nothing until an answer is kept', () => {
    expect(new KeptTargets(() => 0).current()).toBeUndefined();
  });

  it('keeps an answer 30 s, so that discovery backoff does not turn into a DNS storm', () => {
    let now = 0;
    const kept = new KeptTargets(() => now);
    expect(kept.keep(['10.0.0.2:7946'], false)).toEqual(['10.0.0.2:7946']);
    now += 29_999;
    expect(kept.current()).toEqual(['10.0.0.2:7946']);
    now += 1;
    expect(kept.current()).toBeUndefined();
  });

  it('DNS\'s own word that the name has no address is an answer too: no targets, kept 30 s', () => {
    let now = 0;
    const kept = new KeptTargets(() => now);
    kept.keep([], false);
    now += 29_000;
    expect(kept.current()).toEqual([]);
  });

  it('no targets because a resolver did not answer are kept 2 s only: DNS not up yet at boot is asked again soon', () => {
    let now = 0;
    const kept = new KeptTargets(() => now);
    kept.keep([], true);
    now += 1_999;
    expect(kept.current()).toEqual([]);
    now += 1;
    expect(kept.current()).toBeUndefined();
  });

  it('targets found while some query went unanswered (one SRV target of several) are an answer: kept 30 s', () => {
    let now = 0;
    const kept = new KeptTargets(() => now);
    kept.keep(['10.0.0.2:7000'], true);
    now += 29_000;
    expect(kept.current()).toEqual(['10.0.0.2:7000']);
  });

  it('a later answer replaces the kept one, and its age starts again', () => {
    let now = 0;
    const kept = new KeptTargets(() => now);
    kept.keep([], true);
    now += 2_000;
    kept.keep(['10.0.0.2:7946'], false);
    now += 29_000;
    expect(kept.current()).toEqual(['10.0.0.2:7946']);
  });

  it('ages by the monotonic clock by default, however the wall clock is set meanwhile (stepped back an hour)', () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T12:00:00Z') });
    try {
      const kept = new KeptTargets();
      kept.keep(['10.0.0.2:7946'], false);
      jest.setSystemTime(new Date('2026-01-01T11:00:00Z'));
      jest.advanceTimersByTime(31_000);
      expect(kept.current()).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});
