import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '../errors/index.js';
import { cmdline, pidAlive, sleep, spawnDetached, terminate } from './sys.js';
import { pidListensOn } from './port-listener.js';
import { connect } from 'node:net';
import { request } from 'node:http';

/**
 * The lab's only way out: apt-cacher-ng bound to the bridge address, so `apt-get install`
 * inside a node works while the nodes have no route off the machine. Its cache stays in the
 * lab directory across `down`/`up`.
 */
export const PROXY_PORT = 3142;

export interface ProxyState {
  pid?: number;
  address: string;
  port: number;
  cacheDir: string;
}

export function proxyAlive(p: ProxyState | undefined): boolean {
  return !!p && pidAlive(p.pid) && cmdline(p.pid!).includes('apt-cacher-ng') && cmdline(p.pid!).includes(p.cacheDir);
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(500, () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(false));
    s.once('connect', () => (s.destroy(), resolve(true)));
  });
}

export async function startProxy(dir: string, address: string): Promise<ProxyState> {
  const cacheDir = join(dir, 'cache');
  const logDir = join(dir, 'log');
  await mkdir(cacheDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  const pid = spawnDetached(
    'apt-cacher-ng',
    ['ForeGround=1', `CacheDir=${cacheDir}`, `LogDir=${logDir}`, `Port=${PROXY_PORT}`, `BindAddress=${address}`, `PidFile=${join(dir, 'pid')}`, `SocketPath=${join(dir, 'socket')}`, 'ReportPage=acng-report.html',
      // Nodes that refresh the same index at once race in apt-cacher-ng's revalidation ("Failure to
      // move file ... out of the way") and an apt can hang. warmProxy fetches each index once, and
      // for an hour after that every node gets the cached copy: a lab needs no fresher index.
      'FreshIndexMaxAge=3600'],
    join(logDir, 'stdout.log'),
    'a',
  );
  const state: ProxyState = { pid, address, port: PROXY_PORT, cacheDir };
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(address, PROXY_PORT))) {
    if (!pidAlive(pid)) throw new LabError(`the package proxy (apt-cacher-ng) exited at start`, `see ${join(logDir, 'stdout.log')}; is port ${PROXY_PORT} on ${address} taken?`);
    if (Date.now() > deadline) {
      await abandon(pid);
      throw new LabError('the package proxy (apt-cacher-ng) did not listen within 10 s', `see ${logDir}`);
    }
    await sleep(50);
  }
  // The port answering is not enough: if our apt-cacher-ng could not bind (another one listens on
  // every address), it exits and the other answers; lab.json would record a dead proxy as up.
  if (!pidAlive(pid) || !pidListensOn(pid!, PROXY_PORT)) {
    await abandon(pid);
    throw new LabError(`the package proxy (apt-cacher-ng) did not get port ${PROXY_PORT} on ${address}: another process answers there`, `systemctl disable --now apt-cacher-ng (the lab runs its own); see \`ss -ltnp 'sport = :${PROXY_PORT}'\` and ${join(logDir, 'stdout.log')}`);
  }
  return state;
}

/**
 * Ends a proxy this `up` spawned but will not record: left running, it would hold the slot's
 * address and port, unknown to lab.json, and make every later `up` in the slot fail.
 */
async function abandon(pid: number | undefined): Promise<void> {
  if (pid) await terminate([pid], 3000);
}

export async function stopProxy(p: ProxyState | undefined): Promise<boolean> {
  if (!proxyAlive(p)) return false;
  await terminate([p!.pid!], 3000);
  return true;
}


/** One GET through the proxy, as apt makes it (absolute URL as the request target). */
function getThroughProxy(p: ProxyState, url: string, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: p.address, port: p.port, path: url, headers: { host: new URL(url).host }, timeout: timeoutMs, ...(signal ? { signal } : {}) }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

/**
 * Fetches the suites' index files through the proxy one at a time, so that the nodes' first
 * `apt-get update`, which they often run all at once, finds them cached and fresh instead of
 * racing to download them. Returns the problems; a cold proxy still works, only slower.
 * `signal` (Ctrl-C) ends it at once, the request in flight dropped: `up` waits for it before it
 * acts on the interrupt, and an index left unfetched then is no problem to report.
 */
export async function warmProxy(p: ProxyState, indexUrls: readonly string[], timeoutMs = 30_000, signal?: AbortSignal): Promise<string[]> {
  const problems: string[] = [];
  for (const url of indexUrls) {
    if (signal?.aborted) break;
    try {
      const status = await getThroughProxy(p, url, timeoutMs, signal);
      if (status !== 200) problems.push(`${url}: HTTP ${status}`);
    } catch (err) {
      if (signal?.aborted) break;
      problems.push(`${url}: ${(err as Error).message}`);
    }
  }
  return problems;
}
