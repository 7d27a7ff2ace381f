import { RereadingResolver, type RegionDns } from '../../src/agent/runtime/region-dns.js';

/** c-ares resolvers as made, in order: each answers as `answer` says when asked, and records what it was asked. */
function resolvers(answer: (made: number, name: string) => string[] | Error) {
  const made: string[][] = [];
  const make = (): RegionDns => {
    const index = made.length;
    const asked: string[] = [];
    made.push(asked);
    const reply = async (name: string) => {
      asked.push(name);
      const result = answer(index, name);
      if (result instanceof Error) throw result;
      return result;
    };
    return { resolve4: reply, resolveSrv: async (name: string) => (await reply(name)).map((target) => ({ name: target, port: 7946, priority: 0, weight: 0 })) };
  };
  return { made, make };
}

const coded = (code: string) => Object.assign(new Error(`queryA ${code}`), { code });

describe('the c-ares resolver of region names, made anew so that a changed /etc/resolv.conf is read', () => {
  it('keeps one resolver while it answers, "no such name" included', async () => {
    const fake = resolvers((_, name) => (name === 'gone.test' ? coded('ENOTFOUND') : ['10.0.0.1']));
    const dns = new RereadingResolver({ make: fake.make, now: () => 0 });
    expect(await dns.resolve4('region.test')).toEqual(['10.0.0.1']);
    await expect(dns.resolve4('gone.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(await dns.resolveSrv('_gridagent._udp.region.test')).toHaveLength(1);
    expect(fake.made).toHaveLength(1);
  });

  it('makes a new resolver after a query it did not answer: the next query reads the servers anew', async () => {
    const fake = resolvers((made) => (made === 0 ? coded('ETIMEOUT') : ['10.0.0.2']));
    const dns = new RereadingResolver({ make: fake.make, now: () => 0 });
    await expect(dns.resolve4('region.test')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    expect(await dns.resolve4('region.test')).toEqual(['10.0.0.2']);
    expect(fake.made).toEqual([['region.test'], ['region.test']]);
  });

  it('queries that failed together on one resolver make one new resolver, not one each', async () => {
    const fake = resolvers((made) => (made === 0 ? coded('ECONNREFUSED') : ['10.0.0.2']));
    const dns = new RereadingResolver({ make: fake.make, now: () => 0 });
    await Promise.allSettled([dns.resolve4('a.test'), dns.resolve4('b.test'), dns.resolveSrv('c.test')]);
    expect(fake.made).toHaveLength(2);
  });

  it('makes a new resolver every 5 minutes, however well the old one answers (DHCP changed the nameservers)', async () => {
    let now = 0;
    const fake = resolvers(() => ['10.0.0.1']);
    const dns = new RereadingResolver({ make: fake.make, now: () => now });
    await dns.resolve4('region.test');
    now += 299_000;
    await dns.resolve4('region.test');
    expect(fake.made).toHaveLength(1);
    now += 1_000;
    await dns.resolve4('region.test');
    expect(fake.made).toHaveLength(2);
  });
});
