import type { AgentConfig, EffectiveSettings, HypervisorConfig, KernelConfig, Node, Position, QosConfig, SshConfig } from '../topology/model.js';
import type { BootstrapElectorate } from './bootstrap-electorate.js';
import type { TemplateContext } from './render.js';

/**
 * What a template may reach below a name, for checking references without rendering
 * (check-references.ts). `unknown`: nothing can be said, so anything is accepted.
 */
export type Shape =
  | { kind: 'value' }
  | { kind: 'object'; fields: Record<string, Shape> }
  /** Open-ended (labels, sysctls): any key, each holding `values`. */
  | { kind: 'map'; values: Shape }
  | { kind: 'list'; items: Shape }
  | { kind: 'unknown' };

export const VALUE: Shape = { kind: 'value' };
export const UNKNOWN: Shape = { kind: 'unknown' };
const map = (values: Shape): Shape => ({ kind: 'map', values });
const list = (items: Shape): Shape => ({ kind: 'list', items });
/**
 * Every key of T, no more and no fewer: a field added to the topology model or to TemplateContext
 * and not here fails the type check, so this shape cannot drift from what templates get.
 */
const fields = <T>(f: { [K in keyof T]-?: Shape }): Shape => ({ kind: 'object', fields: f as Record<string, Shape> });

const settings = fields<EffectiveSettings>({
  ssh: fields<SshConfig>({ user: VALUE, port: VALUE, identityFile: VALUE, knownHosts: VALUE, jumpHost: VALUE, become: VALUE, connectTimeoutMs: VALUE }),
  kernel: fields<KernelConfig>({ modules: list(VALUE), params: map(map(VALUE)), sysctl: map(VALUE) }),
  hypervisor: fields<HypervisorConfig>({
    enabled: VALUE,
    sandbox: fields<HypervisorConfig['sandbox']>({ vcpus: VALUE, memoryMiB: VALUE, cpuShares: VALUE, network: VALUE, image: VALUE }),
    hostReserveMiB: VALUE,
  }),
  qos: fields<QosConfig>({ gridCpuPercent: VALUE, gridMemoryMiB: VALUE, egressMbit: VALUE }),
  agent: fields<AgentConfig>({ version: VALUE, port: VALUE, httpPort: VALUE, httpAddress: VALUE, keyFile: VALUE }),
});

const node = fields<Node>({
  name: VALUE,
  address: VALUE,
  labels: map(VALUE),
  superPeer: VALUE,
  region: VALUE,
  subgrid: VALUE,
  settings,
  origins: map(VALUE),
  position: fields<Position>({ file: VALUE, line: VALUE, column: VALUE }),
});

type Of<K extends keyof TemplateContext> = TemplateContext[K];

/** The shape of TemplateContext (render.ts): what a playbook string or a template sees at its top level. */
export const CONTEXT_SHAPE: Shape = fields<TemplateContext>({
  grid: fields<Of<'grid'>>({ name: VALUE, labels: map(VALUE), regions: list(fields<Of<'grid'>['regions'][number]>({ name: VALUE, regionPeerName: VALUE })) }),
  region: fields<Of<'region'>>({ name: VALUE, regionPeerName: VALUE, subgridCount: VALUE }),
  subgrid: fields<Of<'subgrid'>>({ name: VALUE, multicast: VALUE, seeds: list(VALUE), size: VALUE }),
  node,
  agentBundle: fields<Of<'agentBundle'>>({ version: VALUE }),
  qos: fields<Of<'qos'>>({ gridCpuPercent: VALUE, cpuQuotaPercent: VALUE, memoryMax: VALUE, memorySwapMax: VALUE }),
  agent: fields<Of<'agent'>>({
    superPeer: VALUE,
    bootstrapScore: VALUE,
    bootstrap: fields<BootstrapElectorate>({ subgrid: list(VALUE), region: list(VALUE), peerRegions: list(fields<BootstrapElectorate['peerRegions'][number]>({ region: VALUE, regionPeerName: VALUE })) }),
  }),
});
