import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LabError } from '../errors/index.js';
import { cmdline, pidAlive, sleep, spawnDetached, terminate } from './sys.js';
import type { LabPlan } from './types.js';

/**
 * The lab's name server: dnsmasq on the bridge address, answering only for the lab's own
 * names and never forwarding. Each region peer name resolves to every node of its region, so
 * gridagent's DNS fallback (a new super peer finding its region, region peers finding each
 * other) works in the lab as it would with a real zone: whoever answers redirects to the
 * current region peer.
 */
export interface DnsState {
  pid?: number;
  address: string;
  hostsFile: string;
}

export function dnsAlive(d: DnsState | undefined): boolean {
  return !!d && pidAlive(d.pid) && cmdline(d.pid!).includes('dnsmasq') && cmdline(d.pid!).includes(d.hostsFile);
}

/** Pure: the hosts-file lines, one per region node under its region's peer name. */
export function regionRecords(plan: LabPlan): string {
  const addressOf = new Map(plan.nodes.map((n) => [n.name, n.address]));
  const subgridNodes = new Map(plan.subgrids.map((s) => [s.name, s.nodes]));
  return plan.regions
    .flatMap((r) => r.subgrids.flatMap((s) => subgridNodes.get(s) ?? []).map((node) => `${addressOf.get(node)}\t${r.regionPeerName}`))
    .join('\n')
    .concat('\n');
}

export async function startDns(dir: string, plan: LabPlan): Promise<DnsState> {
  await mkdir(dir, { recursive: true });
  const hostsFile = join(dir, 'hosts');
  await writeFile(hostsFile, regionRecords(plan), { mode: 0o644 });
  const address = plan.bridge.address;
  const pid = spawnDetached(
    'dnsmasq',
    ['--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--no-poll', '--bind-interfaces', `--listen-address=${address}`, '--port=53', `--addn-hosts=${hostsFile}`, '--local=/internal/', '--user=root', '--log-facility=-'],
    join(dir, 'dnsmasq.log'),
  );
  const state: DnsState = { pid, address, hostsFile };
  const deadline = Date.now() + 5000;
  // dnsmasq logs "started" once it listens; its pid staying alive past that means it bound the port.
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) throw new LabError('the lab name server (dnsmasq) exited at start', `see ${join(dir, 'dnsmasq.log')}; is port 53 on ${address} taken?`);
    if (await logSays(join(dir, 'dnsmasq.log'), 'started')) return state;
    await sleep(50);
  }
  throw new LabError('the lab name server (dnsmasq) did not start within 5 s', `see ${join(dir, 'dnsmasq.log')}`);
}

async function logSays(file: string, word: string): Promise<boolean> {
  return (await readFile(file, 'utf8').catch(() => '')).includes(word);
}

/**
 * The lab grew: rewrite the region names (a new region gets its own) and make the running name
 * server re-read them (dnsmasq re-reads --addn-hosts files on SIGHUP). Existing names keep
 * resolving to the same nodes, plus any new node of their region.
 */
export async function updateDns(d: DnsState, plan: LabPlan): Promise<void> {
  await writeFile(d.hostsFile, regionRecords(plan), { mode: 0o644 });
  if (!dnsAlive(d)) throw new LabError('the lab name server (dnsmasq) is not running', 'run `gridops lab up` with the same --dir to repair the lab');
  // dnsmasq logs "read HOSTS - N names" once it has re-read the file.
  const log = join(dirname(d.hostsFile), 'dnsmasq.log');
  const before = (await readFile(log, 'utf8').catch(() => '')).split(`read ${d.hostsFile}`).length;
  process.kill(d.pid!, 'SIGHUP');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if ((await readFile(log, 'utf8').catch(() => '')).split(`read ${d.hostsFile}`).length > before) return;
    await sleep(50);
  }
  throw new LabError('the lab name server did not re-read its names within 5 s', `see ${log}`);
}

export async function stopDns(d: DnsState | undefined): Promise<boolean> {
  if (!dnsAlive(d)) return false;
  await terminate([d!.pid!], 3000);
  return true;
}
