/**
 * The lab for e2e suites: bring one lab up per suite, tear it down after, skip LOUDLY when the
 * machine cannot host it (not root). Every other e2e suite should use this rather than its own setup.
 *
 *   import { describeLab } from './support/lab.js';
 *   describeLab('apply on a real fleet', { kind: 'container', nodes: 3 }, (lab) => {
 *     test('nodes answer', async () => {
 *       const r = await lab.ssh('node-01', 'systemctl is-system-running');
 *       expect(r.stdout.trim()).toBe('running');
 *     });
 *     // lab.topology, lab.knownHosts, lab.identity, lab.nodes, lab.netnsOf('node-01') ...
 *   });
 *
 * Each suite gets its own lab directory (a fresh temp dir unless `dir` is given) and so its own
 * /20 and bridge: suites in different jest processes can run at the same time.
 */
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labGrow, labStatus, labUp, sshArgs, type LabDownResult, type LabGrowResult, type LabNodeSummary, type LabStatusResult, type LabUpResult } from '../../../src/lab/lab.js';
import { DEFAULT_NODES } from '../../../src/lab/plan.js';
import { readState } from '../../../src/lab/state.js';
import type { LabKind, LabState } from '../../../src/lab/types.js';

export interface LabOptions {
  kind?: LabKind;
  nodes?: number;
  subgrids?: number;
  regions?: number;
  /** Lab directory; default a fresh temp dir removed after the suite. */
  dir?: string;
  /** beforeAll timeout. Default: 4 min (a cold rootfs build), 10 min for VMs (image build + boot). */
  timeoutMs?: number;
  /** Leave the lab up after the suite (debugging). Also with GRIDOPS_LAB_KEEP=1. */
  keep?: boolean;
}

export interface SshResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A running lab, as seen by tests. Fields throw until the suite's beforeAll has brought it up. */
export interface LabHandle {
  /** False when the machine cannot host a lab (not root): tests using it are skipped. */
  readonly available: boolean;
  readonly dir: string;
  readonly topology: string;
  readonly knownHosts: string;
  readonly identity: string;
  readonly nodes: LabNodeSummary[];
  readonly up: LabUpResult;
  /** lab.json (names of namespaces, links, cgroups, PIDs). */
  state(): LabState;
  /** The node's network namespace (for `nsenter --net=/run/netns/NAME` tricks). */
  netnsOf(node: string): string;
  /** Runs a command on a node over OpenSSH with strict host-key checking against the lab's known_hosts. Never throws on exit status. */
  ssh(node: string, command: string, options?: { input?: string; timeoutMs?: number }): Promise<SshResult>;
  /** The ssh argv (without the `ssh` itself), for tools that want to spawn it. */
  sshArgs(node: string, command: string): string[];
  status(): Promise<LabStatusResult>;
  /** Tears the lab down now (afterAll then has nothing to do). */
  down(): Promise<LabDownResult>;
  /** Grows the running lab to these totals (`gridops lab grow`); `nodes` then lists the new nodes too. */
  grow(totals: { nodes: number; subgrids: number; regions: number }): Promise<LabGrowResult>;
}

/** Why the lab cannot run here, or null when it can. Only "not root" (and not Linux) skip; anything else is a failure. */
export function labUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `gridops lab needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'gridops lab needs root (network namespaces, bridges, cgroups)';
  return null;
}

function loudSkip(title: string, reason: string): void {
  const bar = '!'.repeat(78);
  // eslint-disable-next-line no-console
  console.warn(`\n${bar}\n!! SKIPPED e2e suite "${title}": ${reason}.\n!! Run the e2e tests as root on Linux to exercise the real lab.\n${bar}\n`);
}

/** Registers beforeAll/afterAll that bring a lab up and down around the current describe block. */
export function withLab(options: LabOptions = {}): LabHandle {
  const kind = options.kind ?? 'container';
  const reason = labUnavailableReason();
  const ownDir = !options.dir;
  const dir = options.dir ?? (reason ? '/nonexistent' : mkdtempSync(join(tmpdir(), `gridops-lab-e2e-${kind}-`)));
  const keep = options.keep || process.env.GRIDOPS_LAB_KEEP === '1';
  let up: LabUpResult | undefined;
  let downDone = false;
  const need = (): LabUpResult => {
    if (!up) throw new Error('the lab is not up (is this used outside a test, or did beforeAll fail?)');
    return up;
  };
  const nodeAddress = (name: string) => {
    const n = need().nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} in the lab (nodes: ${need().nodes.map((x) => x.name).join(', ')})`);
    return n.address;
  };
  const handle: LabHandle = {
    available: reason === null,
    dir,
    get topology() {
      return need().topology;
    },
    get knownHosts() {
      return need().knownHosts;
    },
    get identity() {
      return need().identity;
    },
    get nodes() {
      return need().nodes;
    },
    get up() {
      return need();
    },
    state() {
      const s = readState(dir);
      if (!s) throw new Error(`no lab.json in ${dir}`);
      return s;
    },
    netnsOf(node) {
      const n = handle.state().nodes.find((x) => x.name === node);
      if (!n) throw new Error(`no node ${node}`);
      return n.netns;
    },
    sshArgs(node, command) {
      return sshArgs({ files: { ...handle.state().files } }, nodeAddress(node), command);
    },
    async ssh(node, command, opts = {}) {
      const r = await execa('ssh', handle.sshArgs(node, command), { reject: false, input: opts.input, stdin: opts.input === undefined ? 'ignore' : 'pipe', timeout: opts.timeoutMs ?? 60_000 });
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
    },
    status: () => labStatus(dir),
    async down() {
      downDone = true;
      return labDown(dir);
    },
    async grow(totals) {
      const grown = await labGrow({ dir, ...totals });
      up = grown;
      return grown;
    },
  };
  if (reason) return handle;

  const timeout = options.timeoutMs ?? (kind === 'vm' ? 600_000 : 240_000);
  beforeAll(async () => {
    up = await labUp({ kind, nodes: options.nodes ?? DEFAULT_NODES[kind], subgrids: options.subgrids ?? 1, regions: options.regions ?? 1, dir });
  }, timeout);
  afterAll(async () => {
    if (keep) {
      // eslint-disable-next-line no-console
      console.warn(`GRIDOPS_LAB_KEEP: the lab stays up in ${dir}; remove it with: gridops lab down --dir ${dir}`);
      return;
    }
    if (!downDone) await labDown(dir);
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);
  return handle;
}

/**
 * `describe` with a lab brought up once for the block. Skipped, with a loud banner, only when the
 * machine truly cannot host a lab (not root, not Linux); a missing package fails the suite instead.
 */
export function describeLab(title: string, options: LabOptions, body: (lab: LabHandle) => void): void {
  const reason = labUnavailableReason();
  if (reason) {
    loudSkip(title, reason);
    describe.skip(title, () => body(withLab(options)));
    return;
  }
  describe(title, () => body(withLab(options)));
}
