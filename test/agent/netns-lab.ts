import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a NetnsLab needs of the machine: root, for network namespaces and a bridge, and iproute2's ip. */
export const NETNS_LAB_NEEDS = { tools: { ip: 'iproute2' }, rootOnly: true };

/** One gridagent process in its own network namespace. */
export interface LabAgent {
  name: string;
  namespace: string;
  address: string;
  configPath: string;
  process: ChildProcess | null;
}

/**
 * A throwaway bridge with one network namespace per agent, for real-packet tests. Everything
 * it creates carries the `gat` prefix plus a per-run id, and close() removes exactly that and
 * kills only the processes it started.
 */
export class NetnsLab {
  readonly id = String(process.pid % 10000);
  readonly bridge = `gatbr${this.id}`;
  readonly subnet = `10.213.${process.pid % 250}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'gridagent-e2e-'));
  readonly agents = new Map<string, LabAgent>();
  private readonly namespaces: string[] = [];
  private readonly hostLinks: string[] = [];
  private bridgeCreated = false;

  createBridge(): void {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    this.bridgeCreated = true;
    // Without an IGMP querier, snooping can starve multicast; the lab bridge floods instead.
    ip('link', 'set', this.bridge, 'type', 'bridge', 'mcast_snooping', '0');
    ip('addr', 'add', `${this.subnet}.1/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
  }

  writeKey(file: string, content: string): string {
    const path = join(this.dir, file);
    writeFileSync(path, content, { mode: 0o600 });
    chmodSync(path, 0o600);
    return path;
  }

  addNode(index: number, config: (address: string) => Record<string, unknown>): LabAgent {
    const name = `n${index}`;
    const namespace = `gat${this.id}n${index}`;
    const hostLink = `gat${this.id}v${index}`;
    const address = `${this.subnet}.${10 + index}`;
    ip('netns', 'add', namespace);
    this.namespaces.push(namespace);
    ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
    this.hostLinks.push(hostLink);
    ip('link', 'set', hostLink, 'master', this.bridge, 'up');
    ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', namespace, 'link', 'set', 'eth0', 'up');
    ip('-n', namespace, 'link', 'set', 'lo', 'up');
    // No default route in the namespace: multicast needs its own route.
    ip('-n', namespace, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0');
    const configPath = join(this.dir, `${name}.json`);
    writeFileSync(configPath, JSON.stringify(config(address), null, 2));
    const agent: LabAgent = { name, namespace, address, configPath, process: null };
    this.agents.set(name, agent);
    return agent;
  }

  start(name: string, bundle: string): void {
    const agent = this.agents.get(name)!;
    const log = openSync(join(this.dir, `${name}.log`), 'a');
    agent.process = spawn('ip', ['netns', 'exec', agent.namespace, process.execPath, bundle, 'run', '--config', agent.configPath], {
      stdio: ['ignore', log, log],
    });
  }

  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    const agent = this.agents.get(name)!;
    if (agent.process?.pid !== undefined && agent.process.exitCode === null) agent.process.kill(signal);
    agent.process = null;
  }

  /** An agent's HTTP JSON (`/status`), or null when it does not answer within `timeoutMs`. */
  async status<T>(name: string, port: number, timeoutMs = 500): Promise<T | null> {
    const agent = this.agents.get(name)!;
    try {
      const response = await fetch(`http://${agent.address}:${port}/status`, { signal: AbortSignal.timeout(timeoutMs) });
      return (await response.json()) as T;
    } catch {
      return null;
    }
  }

  close(): void {
    for (const name of this.agents.keys()) this.kill(name);
    for (const link of this.hostLinks) tryIp('link', 'del', link);
    for (const namespace of this.namespaces) tryIp('netns', 'del', namespace);
    if (this.bridgeCreated) tryIp('link', 'del', this.bridge);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // Already gone.
  }
}
