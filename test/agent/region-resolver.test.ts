import { jest } from '@jest/globals';
import type { SrvRecord } from 'node:dns';
import { RegionPeerResolver } from '../../src/agent/runtime/region-resolver.js';

/** A DNS that knows SRV records, A records and (getaddrinfo's) IPv4 addresses of a few names, counting what it is asked. */
function dns(known: { srv?: Record<string, SrvRecord[]>; a?: Record<string, string[]>; ipv4?: Record<string, string[] | 'hang'> }) {
  const asked: string[] = [];
  const notFound = (name: string) => Object.assign(new Error(`queryX ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return {
    asked,
    dns: {
      resolveSrv: async (name: string) => {
        asked.push(`srv ${name}`);
        const records = known.srv?.[name];
        if (records === undefined) throw notFound(name);
        return records;
      },
      resolve4: async (name: string) => {
        asked.push(`a ${name}`);
        const addresses = known.a?.[name];
        if (addresses === undefined) throw notFound(name);
        return addresses;
      },
    },
    resolveIPv4: (name: string) => {
      asked.push(`ipv4 ${name}`);
      const answer = known.ipv4?.[name];
      return answer === 'hang' ? new Promise<string[]>(() => undefined) : Promise.resolve(answer ?? []);
    },
  };
}

const srv = (name: string, port: number): SrvRecord => ({ name, port, priority: 10, weight: 10 });

describe('region peer name resolution', () => {
  it('sends to the IPv4 addresses of SRV targets, at their ports, never to a host name the socket would look up itself', async () => {
    const fake = dns({
      srv: { '_gridagent._udp.region.grid.test': [srv('n1.grid.test', 7000), srv('v6only.grid.test', 7001), srv('10.0.0.3', 7002)] },
      ipv4: { 'n1.grid.test': ['10.0.0.1', '10.0.0.11'], 'v6only.grid.test': [] },
    });
    const resolver = new RegionPeerResolver('region.grid.test', 7946, { dns: fake.dns, resolveIPv4: fake.resolveIPv4 });
    expect(await resolver.resolve()).toEqual(['10.0.0.1:7000', '10.0.0.11:7000', '10.0.0.3:7002']);
    // Cached with the answer: the targets are not looked up again at every send.
    expect(await resolver.resolve()).toEqual(['10.0.0.1:7000', '10.0.0.11:7000', '10.0.0.3:7002']);
    // The shared resolver first; getaddrinfo for the names it does not know (here: all of them).
    expect(fake.asked).toEqual(['srv _gridagent._udp.region.grid.test', 'a n1.grid.test', 'a v6only.grid.test', 'ipv4 n1.grid.test', 'ipv4 v6only.grid.test']);
  });

  it('an SRV target whose lookup never answers is skipped after its timeout, the others still used', async () => {
    const fake = dns({
      srv: { '_gridagent._udp.region.grid.test': [srv('hangs.grid.test', 7000), srv('n2.grid.test', 7000)] },
      ipv4: { 'hangs.grid.test': 'hang', 'n2.grid.test': ['10.0.0.2'] },
    });
    const resolver = new RegionPeerResolver('region.grid.test', 7946, { dns: fake.dns, resolveIPv4: fake.resolveIPv4, lookupTimeoutMs: 20 });
    expect(await resolver.resolve()).toEqual(['10.0.0.2:7000']);
  });

  it('resolves at most 8 SRV targets, by priority then weight, through the shared resolver (no getaddrinfo thread) when it answers', async () => {
    const records: SrvRecord[] = Array.from({ length: 20 }, (_, index) => ({ name: `t${index}.grid.test`, port: 7000 + index, priority: 20 - index, weight: index % 3 }));
    const a = Object.fromEntries(records.map((record, index) => [record.name, [`10.0.1.${index}`]]));
    const fake = dns({ srv: { '_gridagent._udp.region.grid.test': records }, a });
    const resolver = new RegionPeerResolver('region.grid.test', 7946, { dns: fake.dns, resolveIPv4: fake.resolveIPv4 });
    const targets = await resolver.resolve();
    // Lowest priority first: t19 (priority 1) .. t12 (priority 8).
    expect(targets).toEqual([19, 18, 17, 16, 15, 14, 13, 12].map((index) => `10.0.1.${index}:${7000 + index}`));
    expect(fake.asked.filter((question) => question.startsWith('a '))).toHaveLength(8);
    expect(fake.asked.filter((question) => question.startsWith('ipv4 '))).toEqual([]);
  });

  it('an SRV target the DNS does not know is looked up through getaddrinfo (/etc/hosts); one whose DNS query timed out is not', async () => {
    const timedOut = Object.assign(new Error('queryA ETIMEOUT slow.grid.test'), { code: 'ETIMEOUT' });
    const fake = dns({
      srv: { '_gridagent._udp.region.grid.test': [srv('hosts-only.grid.test', 7000), srv('slow.grid.test', 7001)] },
      ipv4: { 'hosts-only.grid.test': ['10.0.0.7'], 'slow.grid.test': ['10.0.0.8'] },
    });
    const resolve4 = fake.dns.resolve4;
    fake.dns.resolve4 = async (name: string) => {
      if (name === 'slow.grid.test') throw timedOut;
      return resolve4(name);
    };
    const resolver = new RegionPeerResolver('region.grid.test', 7946, { dns: fake.dns, resolveIPv4: fake.resolveIPv4 });
    expect(await resolver.resolve()).toEqual(['10.0.0.7:7000']);
    expect(fake.asked.filter((question) => question.startsWith('ipv4 '))).toEqual(['ipv4 hosts-only.grid.test']);
  });

  it('a name answering 1000 addresses gives at most 8 targets, by its A records, its SRV targets or getaddrinfo', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const first8 = (port: number) => many.slice(0, 8).map((address) => `${address}:${port}`);
    const byA = dns({ a: { 'region.grid.test': many } });
    expect(await new RegionPeerResolver('region.grid.test', 7946, { dns: byA.dns, resolveIPv4: byA.resolveIPv4 }).resolve()).toEqual(first8(7946));
    const bySrv = dns({ srv: { '_gridagent._udp.region.grid.test': [srv('a.grid.test', 7000), srv('b.grid.test', 7001)] }, a: { 'a.grid.test': many, 'b.grid.test': many } });
    expect(await new RegionPeerResolver('region.grid.test', 7946, { dns: bySrv.dns, resolveIPv4: bySrv.resolveIPv4 }).resolve()).toEqual(first8(7000));
    const byGetaddrinfo = dns({ ipv4: { 'region.grid.test': many } });
    expect(await new RegionPeerResolver('region.grid.test', 7946, { dns: byGetaddrinfo.dns, resolveIPv4: byGetaddrinfo.resolveIPv4 }).resolve()).toEqual(first8(7946));
  });

  it('falls back to A records at the configured port', async () => {
    const fake = dns({ a: { 'region.grid.test': ['10.0.0.5'] } });
    const resolver = new RegionPeerResolver('region.grid.test', 7946, { dns: fake.dns, resolveIPv4: fake.resolveIPv4 });
    expect(await resolver.resolve()).toEqual(['10.0.0.5:7946']);
  });

  it('keeps an answer 30 s of elapsed time, however the wall clock is set meanwhile (stepped back an hour)', async () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T12:00:00Z') });
    try {
      const fake = dns({ a: { 'region.grid.test': ['10.0.0.5'] } });
      const resolver = new RegionPeerResolver('region.grid.test', 7946, { dns: fake.dns, resolveIPv4: fake.resolveIPv4 });
      await resolver.resolve();
      jest.advanceTimersByTime(29_000);
      await resolver.resolve();
      expect(fake.asked.filter((query) => query.startsWith('a '))).toHaveLength(1);
      jest.setSystemTime(new Date('2026-01-01T11:00:00Z')); // NTP steps the clock back an hour
      jest.advanceTimersByTime(2_000);
      await resolver.resolve();
      expect(fake.asked.filter((query) => query.startsWith('a '))).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a DNS that did not answer (not up yet at boot) is asked again after 2 s; a name it says does not exist is kept 30 s', async () => {
    let now = 0;
    const asked: string[] = [];
    let up = false;
    const unanswered = (name: string) => Object.assign(new Error(`queryA ETIMEOUT ${name}`), { code: 'ETIMEOUT' });
    const notFound = (name: string) => Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    const resolver = new RegionPeerResolver('region.grid.test', 7946, {
      dns: {
        resolveSrv: async (name: string) => {
          asked.push(`srv ${name}`);
          throw up ? notFound(name) : unanswered(name);
        },
        resolve4: async (name: string) => {
          asked.push(`a ${name}`);
          if (!up) throw unanswered(name);
          return ['10.0.0.5'];
        },
      },
      resolveIPv4: async () => [],
      now: () => now,
    });
    expect(await resolver.resolve()).toEqual([]);
    up = true;
    now += 1_000;
    expect(await resolver.resolve()).toEqual([]);
    now += 1_500;
    expect(await resolver.resolve()).toEqual(['10.0.0.5:7946']);
    expect(asked.filter((query) => query.startsWith('a '))).toHaveLength(2);

    const gone = new RegionPeerResolver('gone.grid.test', 7946, { dns: { resolveSrv: async (name: string) => { throw notFound(name); }, resolve4: async (name: string) => { asked.push(`a ${name}`); throw notFound(name); } }, resolveIPv4: async () => [], now: () => now });
    expect(await gone.resolve()).toEqual([]);
    now += 29_000;
    expect(await gone.resolve()).toEqual([]);
    expect(asked.filter((query) => query === 'a gone.grid.test')).toHaveLength(1);
  });

  it('an SRV target whose A query or getaddrinfo lookup did not answer is asked again after 2 s, not kept empty 30 s', async () => {
    let now = 0;
    let up = false;
    const timedOut = (name: string) => Object.assign(new Error(`queryA ETIMEOUT ${name}`), { code: 'ETIMEOUT' });
    const notFound = (name: string) => Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    const srvOf = (target: string) => async (name: string) => {
      if (name === '_gridagent._udp.region.grid.test') return [srv(target, 7000)];
      throw notFound(name);
    };
    // The target's A query times out until DNS is up.
    const byQuery = new RegionPeerResolver('region.grid.test', 7946, {
      dns: {
        resolveSrv: srvOf('n1.grid.test'),
        resolve4: async (name: string) => {
          if (name === 'n1.grid.test' && up) return ['10.0.0.1'];
          throw name === 'n1.grid.test' ? timedOut(name) : notFound(name);
        },
      },
      resolveIPv4: async () => [],
      now: () => now,
    });
    // The target is not in DNS (it may be in /etc/hosts), and getaddrinfo hangs until the resolver is up.
    const byLookup = new RegionPeerResolver('region.grid.test', 7946, {
      dns: { resolveSrv: srvOf('n2.grid.test'), resolve4: async (name: string) => { throw notFound(name); } },
      resolveIPv4: async () => (up ? ['10.0.0.2'] : new Promise<string[]>(() => undefined)),
      lookupTimeoutMs: 20,
      now: () => now,
    });
    expect(await byQuery.resolve()).toEqual([]);
    expect(await byLookup.resolve()).toEqual([]);
    up = true;
    now += 2_500;
    expect(await byQuery.resolve()).toEqual(['10.0.0.1:7000']);
    expect(await byLookup.resolve()).toEqual(['10.0.0.2:7000']);
  });
});

describe('the region peer name outside DNS (/etc/hosts, a search domain, nameservers changed since start)', () => {
  const notFound = (name: string) => Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  const timedOut = (name: string) => Object.assign(new Error(`queryA ETIMEOUT ${name}`), { code: 'ETIMEOUT' });

  it('a name c-ares does not find is looked up through getaddrinfo, whose address is a target', async () => {
    const warnings: string[] = [];
    const resolver = new RegionPeerResolver('region', 7946, {
      dns: { resolveSrv: async (name: string) => { throw notFound(name); }, resolve4: async (name: string) => { throw notFound(name); } },
      resolveIPv4: async (name: string) => (name === 'region' ? ['10.0.0.9'] : []),
      warn: (msg) => warnings.push(msg),
    });
    expect(await resolver.resolve()).toEqual(['10.0.0.9:7946']);
    expect(warnings).toEqual([]);
  });

  it('a name c-ares does not answer for (its nameservers read at start) is looked up through getaddrinfo too', async () => {
    const resolver = new RegionPeerResolver('region.grid.test', 7946, {
      dns: { resolveSrv: async (name: string) => { throw timedOut(name); }, resolve4: async (name: string) => { throw timedOut(name); } },
      resolveIPv4: async () => ['10.0.0.9'],
    });
    expect(await resolver.resolve()).toEqual(['10.0.0.9:7946']);
  });

  it('warns once while the name does not resolve, and once more when it resolves again', async () => {
    let now = 0;
    let inHosts = false;
    const warnings: Array<{ msg: string; fields: Record<string, unknown> }> = [];
    const resolver = new RegionPeerResolver('region.grid.test', 7946, {
      dns: { resolveSrv: async (name: string) => { throw notFound(name); }, resolve4: async (name: string) => { throw notFound(name); } },
      resolveIPv4: async () => (inHosts ? ['10.0.0.9'] : []),
      warn: (msg, fields) => warnings.push({ msg, fields }),
      now: () => now,
    });
    for (let round = 0; round < 3; round++) {
      expect(await resolver.resolve()).toEqual([]);
      now += 31_000;
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/does not resolve/);
    expect(warnings[0]!.fields).toMatchObject({ regionPeerName: 'region.grid.test' });
    inHosts = true;
    for (let round = 0; round < 2; round++) {
      expect(await resolver.resolve()).toEqual(['10.0.0.9:7946']);
      now += 31_000;
    }
    expect(warnings).toHaveLength(2);
    expect(warnings[1]!.msg).toMatch(/resolves again/);
    expect(warnings[1]!.fields).toMatchObject({ regionPeerName: 'region.grid.test', targets: ['10.0.0.9:7946'] });
    inHosts = false;
    expect(await resolver.resolve()).toEqual([]);
    expect(warnings).toHaveLength(3);
  });

  it("another region's name (lookUpUnanswered: false) goes to getaddrinfo when DNS does not know it, not when DNS did not answer", async () => {
    const looked: string[] = [];
    const resolveIPv4 = async (name: string) => {
      looked.push(name);
      return ['10.0.0.9'];
    };
    const unknown = new RegionPeerResolver('hosts-only.grid.test', 7946, {
      dns: { resolveSrv: async (name: string) => { throw notFound(name); }, resolve4: async (name: string) => { throw notFound(name); } },
      resolveIPv4,
      lookUpUnanswered: false,
    });
    const silent = new RegionPeerResolver('silent.grid.test', 7946, {
      dns: { resolveSrv: async (name: string) => { throw timedOut(name); }, resolve4: async (name: string) => { throw timedOut(name); } },
      resolveIPv4,
      lookUpUnanswered: false,
    });
    expect(await unknown.resolve()).toEqual(['10.0.0.9:7946']);
    expect(await silent.resolve()).toEqual([]);
    expect(looked).toEqual(['hosts-only.grid.test']);
  });

  it("a getaddrinfo lookup of the name that outlived its timeout is not started again while it runs (libuv's 4 threads)", async () => {
    let now = 0;
    let lookups = 0;
    const resolver = new RegionPeerResolver('region.grid.test', 7946, {
      dns: { resolveSrv: async (name: string) => { throw timedOut(name); }, resolve4: async (name: string) => { throw timedOut(name); } },
      resolveIPv4: () => {
        lookups++;
        return new Promise<string[]>(() => undefined);
      },
      lookupTimeoutMs: 10,
      now: () => now,
    });
    expect(await resolver.resolve()).toEqual([]);
    now += 2_500;
    expect(await resolver.resolve()).toEqual([]);
    expect(lookups).toBe(1);
  });
});
