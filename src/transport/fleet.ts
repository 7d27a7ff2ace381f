import { ConnectionError, HostKeyError } from '../errors/index.js';
import { BecomePassword } from './become.js';
import { EarlyDials } from './early-dials.js';
import { fanOut } from './fan-out.js';
import { checkIdentityFiles, recordedIdentityErrors } from './identity-files-check.js';
import { identityOrigin } from './identity-origin.js';
import { KeeperClient } from './keeper-client.js';
import { keeperDirRefusal, keeperRefusalText } from './keeper-dir.js';
import { keeperDir } from './keeper-protocol.js';
import { knownHostsFilesFrom, knownHostsFilesKey, loadKnownHostsOf, type KnownHostsFiles } from './global-known-hosts.js';
import type { KnownHostsProblem } from './known-hosts.js';
import type { TransportLogger } from './logger.js';
import { createSshPool, type TransportPool } from './pool.js';
import { refusedKeysError } from './refused-keys.js';
import { loadSshConfig, sshConfigFor } from './ssh-config.js';
import { configIdentityLine } from './config-identity-sources.js';
import type { SshHostSpec } from './ssh-host-spec.js';
import type { Transport } from './transport.js';
import { sshSpec, targetsOnce, workableIdentities, type NodeLookup, type NodeTarget, type WorkableIdentities } from './workable-identities.js';
import type { Node } from '../topology/model.js';

/** A host with an open connection, before facts. */
export interface ConnectedHost {
  node: Node;
  transport: Transport;
}

/** A host we could not reach; the run goes on without it. */
export interface UnreachableHost {
  node: Node;
  error: Error;
}

export interface ConnectOptions {
  concurrency: number;
  acceptNewHostKeys: boolean;
  signal?: AbortSignal;
  logger?: TransportLogger;
  /** Asks for the sudo password (at most once, and only if a host's sudo asks); default: GRIDOPS_BECOME_PASSWORD. */
  becomePrompt?: () => Promise<string>;
  /**
   * `--persist`: keep the connections in a keeper process this long after the run (keeper-server.ts),
   * and reuse the ones it kept. Not with --accept-new-host-keys or a become password: those runs connect directly.
   */
  persistMs?: number;
  /** persistMs came from GRIDOPS_PERSIST, not --persist: the warning that it goes unused names the variable the user set. */
  persistFromEnvironment?: boolean;
  /**
   * A warning for the person running gridops, without its `warning: ` prefix: the run says it
   * through its warning channel (a phase passes RunContext.warn), which `--json` types `warning`.
   * It also goes to `logger`, prefixed.
   */
  warn?: (message: string) => void;
  /** Tests and the lab may inject transports; by default hosts are reached over SSH. */
  connect?: (node: Node) => Promise<Transport>;
  /**
   * Nodes the topology no longer has, reached as the state recorded them (being decommissioned):
   * an identity file of theirs that cannot be read makes that node unreachable, where one of a
   * node in the topology stops the run (identity-files-check.ts says why).
   */
  recordedOnly?: ReadonlySet<string>;
  /** The OpenSSH client configuration read, alone, as `ssh -F` reads it; default ~/.ssh/config, then systemSshConfigFile (tests name their own). */
  sshConfigFile?: string;
  /** The system-wide file read after ~/.ssh/config where no sshConfigFile is named; default /etc/ssh/ssh_config (tests name their own). */
  systemSshConfigFile?: string;
}

/** The connections of one run: one per host, opened once and reused by every phase. */
export class Fleet {
  private readonly pools: Array<TransportPool<SshHostSpec>> = [];
  private readonly injected: Transport[] = [];
  private readonly keepers: KeeperClient[] = [];
  private readonly earlyDials = new EarlyDials();
  /** Whether this run already said that --persist is not used (said once, however many fan-outs). */
  private saidPersistUnused = false;
  /** Warnings already said (a run that connects twice reads ~/.ssh/config twice, and says each once). */
  private readonly said = new Set<string>();
  /** How long each host's connection took to open (ms), by node name. */
  readonly connectMs = new Map<string, number>();

  /**
   * Connects to each node and, as soon as its connection is up, runs `read` on it (hosts that
   * connect early do not wait for the slow ones). Only for work that changes nothing: a refused
   * host key anywhere still fails the whole call, after the others settle. `closeAfterRead`: the
   * run needs no more of that host (a plan; an apply with nothing to do there), so its connection
   * closes as soon as its read ends.
   */
  async readEach<T>(nodes: readonly Node[], options: ConnectOptions, read: (host: ConnectedHost) => Promise<T>, closeAfterRead: (value: T) => boolean = () => false): Promise<{ results: T[]; unreachable: UnreachableHost[] }> {
    const { connected, unreachable } = await this.fanOutChecked(nodes, options, async (node, connect) => {
      const t0 = performance.now();
      const host = { node, transport: await connect(node) };
      this.connectMs.set(node.name, Math.round(performance.now() - t0));
      const value = await read(host);
      // Not awaited: the close overlaps other hosts' work; close() waits for it at the end.
      if (closeAfterRead(value)) void host.transport.close().catch(() => undefined);
      return { value };
    });
    return { results: connected.map((c) => c.value), unreachable };
  }

  /**
   * One rule for every connection: a refused host key anywhere fails the whole call (after the
   * other hosts settle), so nothing is ever changed on a grid we cannot trust; an unreachable
   * host is reported and the others go on.
   */
  private async fanOutChecked<T>(nodes: readonly Node[], options: ConnectOptions, task: (node: Node, connect: (n: Node) => Promise<Transport>) => Promise<T>): Promise<{ connected: T[]; unreachable: UnreachableHost[] }> {
    const inject = options.connect;
    const connectOnce = inject ? async (n: Node) => this.track(await inject(n)) : await this.sshConnector(nodes, options);
    // The hosts whose connection opened: a task that fails after it (a read's error) did reach its host.
    const reached = new Set<string>();
    const connect = async (n: Node) => {
      const transport = await connectOnce(n);
      reached.add(n.name);
      return transport;
    };
    const outcomes = await fanOut(nodes, (n) => n.name, (node) => task(node, connect), { concurrency: options.concurrency, signal: options.signal });
    const connected: T[] = [];
    const unreachable: UnreachableHost[] = [];
    const refused: HostKeyError[] = [];
    const notReached: Array<{ host: string; error: unknown }> = [];
    outcomes.forEach((o, i) => {
      const node = nodes[i]!;
      if (o.status === 'ok') connected.push(o.value);
      else if (o.status === 'failed' && o.error instanceof HostKeyError) refused.push(o.error);
      else unreachable.push({ node, error: o.status === 'failed' ? (o.error as Error) : new ConnectionError(node.name, 'not contacted (interrupted)') });
      if (o.status === 'failed' && !(o.error instanceof HostKeyError) && !reached.has(node.name)) notReached.push({ host: node.name, error: o.error });
    });
    if (refused.length) {
      await this.close();
      throw refusedKeysError(refused, notReached);
    }
    return { connected, unreachable };
  }

  private async sshConnector(nodes: readonly Node[], options: ConnectOptions): Promise<(node: Node) => Promise<Transport>> {
    const becomePassword = new BecomePassword(options.becomePrompt);
    const warn = (message: string) => this.warnOnce(options, message);
    const sshConfig = loadSshConfig(options.sshConfigFile, warn, undefined, options.systemSshConfigFile);
    // Each node's ~/.ssh/config values, looked up once: its known_hosts files and its spec read them.
    const lookups = new Map(nodes.map((node) => [node, sshConfigFor(sshConfig, node, warn)]));
    const lookupOf: NodeLookup = (node) => lookups.get(node) ?? sshConfigFor(sshConfig, node, warn);
    const filesOf = new Map(nodes.map((node) => [node, knownHostsFilesFrom(node, lookupOf(node))]));
    const targetOf = targetsOnce(lookupOf);
    // Once for the run's connects, kept or direct: a keeper that cannot be attached sends the run to
    // direct connections, which must not skip, stat and warn about the same files again.
    let checked: IdentityPreflight | undefined;
    const preflight = () => (checked ??= identityPreflight(nodes, options.recordedOnly ?? new Set(), lookupOf, targetOf, warn));
    if (options.persistMs !== undefined) {
      // The keeper records no host key and gets no become password (keeper-server.ts): such runs connect directly.
      const reasons = [...(options.acceptNewHostKeys ? ['--accept-new-host-keys (the keeper records no host key)'] : []), ...(becomePassword.configured ? ['a become password (no become password reaches the keeper)'] : [])];
      if (reasons.length === 0) {
        // A keeper directory other users could reach is refused (keeper-dir.ts): the run connects directly, and says why.
        const refused = keeperDirRefusal(keeperDir());
        // A keeper that cannot be attached to (it did not start, or something else is at its socket) is said in keptConnector.
        const kept = refused ? undefined : await this.keptConnector(options, lookupOf, targetOf, filesOf, preflight);
        if (kept) return kept;
        if (refused) this.sayPersistUnused(options, `${persistNamed(options)} is not used: ${refused}: connections are opened directly and not kept`);
      } else this.sayPersistUnused(options, `${persistNamed(options)} is not used with ${reasons.join(' and ')}: connections are opened directly and not kept`);
    }
    // One pool per set of known_hosts files (the topology's, then the global ones OpenSSH reads
    // too): its hosts share one KnownHosts (keys recorded with --accept-new-host-keys go through
    // it), the identity files parsed once and their jump connections. The connect timeout is each
    // node's own (its spec's readyTimeoutMs).
    const byKnownHosts = new Map<string, TransportPool<SshHostSpec>>();
    const distinct = new Map([...filesOf.values()].map((files) => [knownHostsFilesKey(files), files]));
    for (const [key, files] of distinct) {
      const knownHosts = await loadKnownHostsOf(files);
      this.sayKnownHostsProblems(options, knownHosts.problems);
      const pool = createSshPool({
        knownHosts,
        acceptNewHostKeys: options.acceptNewHostKeys,
        becomePassword,
        signal: options.signal,
        logger: options.logger,
        ...(options.warn ? { warn: options.warn } : {}),
        earlyDials: this.earlyDials,
      });
      byKnownHosts.set(key, pool);
      this.pools.push(pool);
    }
    // After the known_hosts files, as before --persist was tried (where it was, this is its result).
    const { specs: workable, keyless } = preflight();
    // The hosts fanOut starts first, dialled before ssh2 loads (early-dials.ts says why); after the
    // known_hosts files and the identity files, so a run that fails on its own configuration opens
    // no connection.
    const first = nodes.slice(0, Math.max(1, Math.floor(options.concurrency))).flatMap((node) => (keyless.has(node.name) ? [] : workable.get(node) ?? []));
    await this.earlyDials.dialFirst(first, options.concurrency);
    return async (node) => {
      const noKey = keyless.get(node.name);
      if (noKey) throw noKey;
      return byKnownHosts.get(knownHostsFilesKey(filesOf.get(node) ?? knownHostsFilesFrom(node, lookupOf(node))))!.get(workable.get(node) ?? sshSpec(node, lookupOf(node), targetOf));
    };
  }

  /**
   * Like sshConnector, through the keeper of each set of known_hosts files (the topology's and the
   * global ones, as a direct run checks them): the same specs, the keeper's verified connections.
   * Undefined, said once, where a keeper cannot be attached to: as for a keeper directory it
   * cannot use, the run then connects directly (README) rather than failing on --persist, an
   * optimisation.
   */
  private async keptConnector(options: ConnectOptions, lookupOf: NodeLookup, targetOf: NodeTarget, filesOf: ReadonlyMap<Node, KnownHostsFiles>, preflight: () => IdentityPreflight): Promise<((node: Node) => Promise<Transport>) | undefined> {
    // The identity files first: a run that fails on its own configuration starts no keeper.
    const { specs, keyless } = preflight();
    const byKnownHosts = new Map<string, KeeperClient>();
    const distinct = new Map([...filesOf.values()].map((files) => [knownHostsFilesKey(files), files]));
    for (const [key, files] of distinct) {
      // Read as a direct run reads them: a file that cannot be read stops the run, naming it; the
      // keeper says nothing, so the run says the lines it ignores.
      this.sayKnownHostsProblems(options, (await loadKnownHostsOf(files)).problems);
      let keeper: KeeperClient;
      try {
        keeper = await KeeperClient.attach(files, options.persistMs!);
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        // The keepers of the sets before this one go unused: the run is not split between kept and direct connections.
        for (const attached of byKnownHosts.values()) {
          attached.end();
          this.keepers.splice(this.keepers.indexOf(attached), 1);
        }
        this.sayPersistUnused(options, `${persistNamed(options)} is not used: ${keeperRefusalText(err)}: connections are opened directly and not kept`);
        return undefined;
      }
      // Tracked as soon as attached: a later set's failure that is not a refusal is thrown from here, and close() must still end this one.
      this.keepers.push(keeper);
      byKnownHosts.set(key, keeper);
    }
    return async (node) => {
      const noKey = keyless.get(node.name);
      if (noKey) throw noKey;
      const spec = specs.get(node) ?? sshSpec(node, lookupOf(node), targetOf);
      return byKnownHosts.get(knownHostsFilesKey(filesOf.get(node) ?? knownHostsFilesFrom(node, lookupOf(node))))!.connect(spec, spec.readyTimeoutMs!, options.signal, options.logger);
    };
  }

  private sayPersistUnused(options: ConnectOptions, message: string): void {
    if (this.saidPersistUnused) return;
    this.saidPersistUnused = true;
    this.warn(options, message);
  }

  /** Each known_hosts line that cannot be used, once per run: ignored as ssh ignores it, never silently. */
  private sayKnownHostsProblems(options: ConnectOptions, problems: readonly KnownHostsProblem[]): void {
    for (const p of problems) this.warnOnce(options, `${p.file}:${p.line}: ${p.message}; the line is ignored`);
  }

  private warnOnce(options: ConnectOptions, message: string): void {
    if (this.said.has(message)) return;
    this.said.add(message);
    this.warn(options, message);
  }

  /** A warning said both in the log and to the operator. */
  private warn(options: ConnectOptions, message: string): void {
    options.logger?.warn({}, `warning: ${message}`);
    options.warn?.(message);
  }

  private track(t: Transport): Transport {
    this.injected.push(t);
    return t;
  }

  async close(): Promise<void> {
    this.earlyDials.closeAll();
    await Promise.allSettled([...this.pools.map((p) => p.closeAll()), ...this.injected.splice(0).map((t) => t.close())]);
    for (const k of this.keepers.splice(0)) k.end();
  }
}

/** --persist as the user gave it: the flag, or the environment variable whose value it took. */
function persistNamed(options: ConnectOptions): string {
  return options.persistFromEnvironment ? 'GRIDOPS_PERSIST' : '--persist';
}

/**
 * The identity-file pre-flight, before any connection: an unreadable file of a node the topology
 * has stops the run (checkIdentityFiles); one of a node reached from the state only
 * (`recordedOnly`, being decommissioned) makes that node alone unreachable. Returns those nodes'
 * errors, by name, for their connects to report.
 */
function checkIdentityFilesOf(nodes: readonly Node[], { specs, sources, statOf }: WorkableIdentities, recordedOnly: ReadonlySet<string>): Map<string, ConnectionError> {
  const of = (fromState: boolean) => [...specs].filter(([node]) => recordedOnly.has(node.name) === fromState).map(([, spec]) => spec);
  const fromConfig = configIdentityLine(sources);
  checkIdentityFiles(of(false), identityOrigin(nodes, fromConfig), process.env.SSH_AUTH_SOCK, statOf);
  return recordedIdentityErrors(of(true), (host, path) => (nodes.find((n) => n.name === host)?.settings.ssh.identityFile ? "the state's record of its last apply" : fromConfig(host, path)), statOf);
}

/** The spec of each node whose target can be worked out; the others' connects report why. */
function specsOf(nodes: readonly Node[], specOf: (node: Node) => SshHostSpec): Map<Node, SshHostSpec> {
  const specs = new Map<Node, SshHostSpec>();
  for (const node of nodes) {
    try {
      specs.set(node, specOf(node));
    } catch {
      // reported by the node's own connect
    }
  }
  return specs;
}

/** The run's specs without the ssh_config keys that are not there, and the errors of the nodes reached from the state whose keys cannot be read (by name). */
interface IdentityPreflight {
  specs: Map<Node, SshHostSpec>;
  keyless: Map<string, ConnectionError>;
}

/**
 * Every node's spec (a node whose target cannot be worked out has none: its own connect reports
 * that), so that an identity file the topology names that is not there stops the run before any
 * dial (checkIdentityFilesOf); one an ssh_config file names is skipped, as ssh skips it
 * (missing-config-identities.ts), and the connects use the specs without it.
 */
function identityPreflight(nodes: readonly Node[], recordedOnly: ReadonlySet<string>, lookupOf: NodeLookup, targetOf: NodeTarget, warn: (message: string) => void): IdentityPreflight {
  const workable = workableIdentities(specsOf(nodes, (node) => sshSpec(node, lookupOf(node), targetOf)), targetOf, warn);
  return { specs: workable.specs, keyless: checkIdentityFilesOf(nodes, workable, recordedOnly) };
}

