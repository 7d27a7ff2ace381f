import { jest } from '@jest/globals';
import { lookupIPv4 } from '../../src/agent/runtime/ipv4-lookup.js';
import { SeedResolver } from '../../src/agent/runtime/seed-resolver.js';

/** A resolver that knows a few names (IPv4 answers only, as getaddrinfo gives with family 4), counting what it is asked. */
function dns(known: Record<string, string[] | Error>) {
  const asked: string[] = [];
  return {
    asked,
    resolve: async (name: string) => {
      asked.push(name);
      const answer = known[name];
      if (answer instanceof Error) throw answer;
      return answer ?? [];
    },
  };
}

describe('seed resolution', () => {
  it('asks the system resolver for IPv4 addresses only (family 4): localhost is 127.0.0.1, never ::1', async () => {
    expect(await lookupIPv4('localhost')).toEqual(['127.0.0.1']);
  });

  it('sends to an IPv4 seed as written, and to every IPv4 address of a DNS seed, at its port', async () => {
    const resolver = dns({ 'n2.grid.test': ['10.0.0.2', '10.0.0.12'] });
    const seeds = new SeedResolver(['10.0.0.3:7946', 'n2.grid.test:7000', '[10.0.0.4]:7946'], { resolve: resolver.resolve, warn: () => undefined });
    expect(await seeds.resolve()).toEqual(['10.0.0.3:7946', '10.0.0.2:7000', '10.0.0.12:7000', '10.0.0.4:7946']);
    expect(resolver.asked).toEqual(['n2.grid.test']);
  });

  it('a name answering 1000 addresses gives at most 8 targets: every discovery round sends a datagram to each', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const resolver = dns({ 'many.grid.test': many });
    const seeds = new SeedResolver(['many.grid.test:7946', '10.0.0.3:7946'], { resolve: resolver.resolve, warn: () => undefined });
    expect(await seeds.resolve()).toEqual([...many.slice(0, 8).map((address) => `${address}:7946`), '10.0.0.3:7946']);
  });

  it('a name with no IPv4 address (an IPv6-only name, a typo) is warned about once, not dropped in silence, and the other seeds are still used', async () => {
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const resolver = dns({ 'n2.grid.test': ['10.0.0.2'], 'v6only.grid.test': [] });
    let now = 0;
    const seeds = new SeedResolver(['v6only.grid.test:7946', 'n2.grid.test:7946'], { resolve: resolver.resolve, warn: (msg, fields) => warnings.push([msg, fields]), now: () => now });
    expect(await seeds.resolve()).toEqual(['10.0.0.2:7946']);
    now += 60_000; // past the cache: asked again, and still no IPv4 address
    expect(await seeds.resolve()).toEqual(['10.0.0.2:7946']);
    expect(resolver.asked.filter((name) => name === 'v6only.grid.test')).toHaveLength(2);
    expect(warnings).toEqual([['seed has no IPv4 address, and gridagent speaks IPv4 only: discovery skips it until it has one', { seed: 'v6only.grid.test:7946', fix: "give the seed's IPv4 address, or an A record for the name" }]]);
  });

  it('a resolver that cannot answer is warned about once too, with its error', async () => {
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const resolver = dns({ 'n2.grid.test': Object.assign(new Error('queryA ETIMEOUT n2.grid.test'), { code: 'EAI_AGAIN' }) });
    let now = 0;
    const seeds = new SeedResolver(['n2.grid.test:7946'], { resolve: resolver.resolve, warn: (_msg, fields) => warnings.push(fields), now: () => now });
    expect(await seeds.resolve()).toEqual([]);
    now += 60_000;
    expect(await seeds.resolve()).toEqual([]);
    expect(resolver.asked).toEqual(['n2.grid.test', 'n2.grid.test']);
    expect(warnings).toEqual([{ seed: 'n2.grid.test:7946', error: 'queryA ETIMEOUT n2.grid.test' }]);
  });

  it('answers are kept for 30 s, so that discovery backoff does not turn into a DNS storm', async () => {
    const resolver = dns({ 'n2.grid.test': ['10.0.0.2'] });
    let now = 0;
    const seeds = new SeedResolver(['n2.grid.test:7946'], { resolve: resolver.resolve, warn: () => undefined, now: () => now });
    await seeds.resolve();
    now += 29_000;
    await seeds.resolve();
    expect(resolver.asked).toHaveLength(1);
    now += 2_000;
    await seeds.resolve();
    expect(resolver.asked).toHaveLength(2);
  });

  it('an unanswered lookup is asked again after 2 s, not kept 30 s: DNS not up yet at boot does not hold the agent out that long', async () => {
    let up = false;
    const asked: string[] = [];
    let now = 0;
    const seeds = new SeedResolver(['n2.grid.test:7946'], {
      resolve: async (name) => {
        asked.push(name);
        if (!up) throw Object.assign(new Error('getaddrinfo EAI_AGAIN n2.grid.test'), { code: 'EAI_AGAIN' });
        return ['10.0.0.2'];
      },
      warn: () => undefined,
      now: () => now,
    });
    expect(await seeds.resolve()).toEqual([]);
    now += 1_000;
    expect(await seeds.resolve()).toEqual([]);
    expect(asked).toHaveLength(1);
    up = true;
    now += 1_500;
    expect(await seeds.resolve()).toEqual(['10.0.0.2:7946']);
    expect(asked).toHaveLength(2);
  });

  it('a lookup that never answers counts as unanswered after its timeout, and an IPv4 seed is sent to at once, not after it', async () => {
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const seeds = new SeedResolver(['hangs.grid.test:7946', '10.0.0.3:7946'], { resolve: () => new Promise<string[]>(() => undefined), warn: (_msg, fields) => warnings.push(fields), lookupTimeoutMs: 50 });
    const sent: string[] = [];
    seeds.each((target) => sent.push(target));
    // Synchronously: the IPv4 seed's target, while the name's lookup still hangs.
    expect(sent).toEqual(['10.0.0.3:7946']);
    expect(await seeds.resolve()).toEqual(['10.0.0.3:7946']);
    expect(warnings).toEqual([{ seed: 'hangs.grid.test:7946', error: 'no answer in 0.05 s' }]);
  });

  it('each() names the seed as written beside its target, for the daemon to skip one written as its own advertised endpoint', async () => {
    const seeds = new SeedResolver(['self.grid.test:7946', '10.0.0.3:7946'], { resolve: async () => ['10.0.0.9'], warn: () => undefined });
    const sent: Array<[string, string]> = [];
    seeds.each((target, written) => sent.push([target, written]));
    await seeds.resolve();
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([
      ['10.0.0.3:7946', '10.0.0.3:7946'],
      ['10.0.0.9:7946', 'self.grid.test:7946'],
    ]);
  });

  it('a lookup that outlived its timeout is not started again while it runs (getaddrinfo would fill libuv\'s four threads)', async () => {
    let calls = 0;
    let answer: (addresses: string[]) => void = () => undefined;
    let now = 0;
    const seeds = new SeedResolver(['slow.grid.test:7946'], {
      resolve: () => (calls++, new Promise<string[]>((r) => (answer = r))),
      warn: () => undefined,
      now: () => now,
      lookupTimeoutMs: 20,
    });
    expect(await seeds.resolve()).toEqual([]);
    now += 3_000; // past the 2 s an unanswered lookup is left alone
    expect(await seeds.resolve()).toEqual([]);
    expect(calls).toBe(1);
    // Its answer, late as it is, is kept for the rounds after it.
    answer(['10.0.0.7']);
    await new Promise((r) => setImmediate(r));
    expect(await seeds.resolve()).toEqual(['10.0.0.7:7946']);
    expect(calls).toBe(1);
  });
  it('keeps an answer 30 s of elapsed time, however the wall clock is set meanwhile (stepped back an hour)', async () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T12:00:00Z') });
    try {
      const resolver = dns({ 'n2.grid.test': ['10.0.0.2'] });
      const seeds = new SeedResolver(['n2.grid.test:7946'], { resolve: resolver.resolve, warn: () => undefined });
      await seeds.resolve();
      jest.setSystemTime(new Date('2026-01-01T11:00:00Z')); // NTP steps the clock back an hour
      jest.advanceTimersByTime(31_000);
      await seeds.resolve();
      expect(resolver.asked).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
