import { jest } from '@jest/globals';
import { lookupWithinTimeout, NameLookup } from '../../src/agent/runtime/name-lookup.js';

/** A getaddrinfo stand-in, injected as the seed and region resolvers take theirs: counts its calls, and answers each when the test says. */
function heldResolver() {
  const calls: string[] = [];
  const held: Array<{ answer: (addresses: string[]) => void; fail: (error: Error) => void }> = [];
  return {
    calls,
    resolve: (name: string) =>
      new Promise<string[]>((answer, fail) => {
        calls.push(name);
        held.push({ answer, fail });
      }),
    answer: (addresses: string[], index = held.length - 1) => held[index]!.answer(addresses),
    fail: (error: Error, index = held.length - 1) => held[index]!.fail(error),
  };
}

const settled = () => new Promise((r) => setImmediate(r));

describe('a name\'s getaddrinfo lookup, as the seeds and the region peer name wait for it', () => {
  it('gives the name\'s IPv4 addresses, and an empty list as an answer (the name has none), not as unanswered', async () => {
    const answers: Record<string, string[]> = { 'n2.grid.test': ['10.0.0.2', '10.0.0.12'], 'v6only.grid.test': [] };
    const resolve = async (name: string) => answers[name]!;
    expect(await new NameLookup('n2.grid.test', { resolve }).lookUp()).toEqual({ addresses: ['10.0.0.2', '10.0.0.12'] });
    expect(await new NameLookup('v6only.grid.test', { resolve }).lookUp()).toEqual({ addresses: [] });
  });

  it('a resolver that throws did not answer, and says why (the seeds\' warning names the error)', async () => {
    const lookup = new NameLookup('n2.grid.test', {
      resolve: async () => {
        throw Object.assign(new Error('getaddrinfo EAI_AGAIN n2.grid.test'), { code: 'EAI_AGAIN' });
      },
    });
    expect(await lookup.lookUp()).toEqual({ unanswered: 'getaddrinfo EAI_AGAIN n2.grid.test' });
  });

  it('callers while a lookup runs share it: one getaddrinfo call, one answer for all', async () => {
    const resolver = heldResolver();
    const lookup = new NameLookup('n2.grid.test', { resolve: resolver.resolve });
    const first = lookup.lookUp();
    const second = lookup.lookUp();
    resolver.answer(['10.0.0.2']);
    expect(await Promise.all([first, second])).toEqual([{ addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.2'] }]);
    expect(resolver.calls).toEqual(['n2.grid.test']);
    // Settled, it is not kept: the next caller starts a new lookup (what is kept, and how long, is the caller's).
    const third = lookup.lookUp();
    resolver.answer(['10.0.0.3']);
    expect(await third).toEqual({ addresses: ['10.0.0.3'] });
    expect(resolver.calls).toHaveLength(2);
  });

  it('a lookup not answered in time is unanswered, and is not started again while it still runs (it holds one of libuv\'s four threads)', async () => {
    const resolver = heldResolver();
    const late: string[][] = [];
    const lookup = new NameLookup('slow.grid.test', { resolve: resolver.resolve, timeoutMs: 20, onAnswer: (addresses) => late.push(addresses) });
    expect(await lookup.lookUp()).toEqual({ unanswered: 'no answer in 0.02 s' });
    expect(await lookup.lookUp()).toEqual({ unanswered: 'no answer in 0.02 s' });
    expect(resolver.calls).toHaveLength(1);
    // Its answer, late as it is, still reaches onAnswer (the seeds keep it for the rounds after it).
    resolver.answer(['10.0.0.7']);
    await settled();
    expect(late).toEqual([['10.0.0.7']]);
    const next = lookup.lookUp();
    resolver.answer(['10.0.0.8']);
    expect(await next).toEqual({ addresses: ['10.0.0.8'] });
    expect(resolver.calls).toHaveLength(2);
    expect(late).toEqual([['10.0.0.7'], ['10.0.0.8']]);
  });

  it('a lookup that fails after its timeout ends too: the next caller starts a new one, and onAnswer hears nothing of the failure', async () => {
    const resolver = heldResolver();
    const late: string[][] = [];
    const lookup = new NameLookup('slow.grid.test', { resolve: resolver.resolve, timeoutMs: 20, onAnswer: (addresses) => late.push(addresses) });
    expect(await lookup.lookUp()).toEqual({ unanswered: 'no answer in 0.02 s' });
    resolver.fail(new Error('getaddrinfo EAI_AGAIN slow.grid.test'));
    await settled();
    const next = lookup.lookUp();
    resolver.answer(['10.0.0.9']);
    expect(await next).toEqual({ addresses: ['10.0.0.9'] });
    expect(resolver.calls).toHaveLength(2);
    expect(late).toEqual([['10.0.0.9']]);
  });

  it('waits 5 s by default, where getaddrinfo with a dead nameserver takes 10 to 30 s', async () => {
    jest.useFakeTimers();
    try {
      const outcome = new NameLookup('hangs.grid.test', { resolve: () => new Promise<string[]>(() => undefined) }).lookUp();
      jest.advanceTimersByTime(5_000);
      expect(await outcome).toEqual({ unanswered: 'no answer in 5 s' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('lookupWithinTimeout bounds one lookup of the caller\'s own (an SRV target\'s), shared with no one', async () => {
    const resolver = heldResolver();
    const hung = lookupWithinTimeout(resolver.resolve('hangs.grid.test'), 20);
    const answered = lookupWithinTimeout(resolver.resolve('n1.grid.test'), 20);
    resolver.answer(['10.0.0.1']);
    expect(await answered).toEqual({ addresses: ['10.0.0.1'] });
    expect(await hung).toEqual({ unanswered: 'no answer in 0.02 s' });
    expect(resolver.calls).toEqual(['hangs.grid.test', 'n1.grid.test']);
  });
});
