import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { FORMAT_PATTERNS, type FormatName } from './formats.js';

/** The format's standard `pattern`, for editors (formats.ts), where one is defined. */
const patternOf = (format: FormatName) => (FORMAT_PATTERNS[format] ? { pattern: FORMAT_PATTERNS[format] } : {});

/** A mapping whose keys have a format; TypeBox's Record drops key formats, so spell it out. */
const record = <V extends TSchema>(keyFormat: FormatName, value: V, description: string, extra: Record<string, unknown> = {}) =>
  Type.Unsafe<Record<string, Static<V>>>({ type: 'object', propertyNames: { type: 'string', format: keyFormat, ...patternOf(keyFormat) }, additionalProperties: value, description, ...extra });

/**
 * The topology format, version 1, as a JSON Schema built with TypeBox. The same object is the
 * source of the raw TypeScript types (Static<>), of ajv validation and of `gridops schema`.
 */

const str = (format: FormatName, description: string, extra: Record<string, unknown> = {}) =>
  Type.String({ format, ...patternOf(format), description, ...extra });
const strict = <T extends Record<string, TSchema>>(props: T, description: string) =>
  Type.Object(props, { additionalProperties: false, description });
const port = (description: string) => Type.Integer({ minimum: 1, maximum: 65535, description });

export const SshSettings = strict(
  {
    user: Type.Optional(str('ssh-user', 'remote user; become (sudo) is used for changes when it is not root')),
    port: Type.Optional(port('SSH port')),
    identityFile: Type.Optional(str('file-path', 'private key used to authenticate; ssh-agent is tried too')),
    knownHosts: Type.Optional(str('file-path', 'OpenSSH known_hosts file; host keys are always verified against it')),
    jumpHost: Type.Optional(str('jump-host', 'bastion to tunnel through, as [USER@]HOST[:PORT]')),
    become: Type.Optional(Type.Boolean({ description: 'run changes through sudo (default: when user is not root)' })),
    connectTimeout: Type.Optional(str('duration', 'give up connecting after this long, e.g. 10s')),
  },
  'how gridops reaches a node over SSH',
);

/** An integer written into a host's file as digits: beyond 2^53 JavaScript would print it as 1e+21. */
const SafeInteger = () => Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
const ParamValue = Type.Union([str('module-option-value', 'one word: letters, digits and . _ - : / , +'), SafeInteger(), Type.Boolean()], { description: 'a module option value: one word, an integer, or true/false (written Y/N)' });
const ModuleParams = record('module-name', record('module-option-name', ParamValue, 'option: value'), 'module options, written to /etc/modprobe.d: { kvm: { ignore_msrs: 1 } }');

export const KernelSettings = strict(
  {
    modules: Type.Optional(Type.Array(str('module-name', 'a kernel module'), { uniqueItems: true, description: 'modules to load now and at boot' })),
    params: Type.Optional(ModuleParams),
    sysctl: Type.Optional(record('sysctl-key', Type.Union([str('sysctl-value', 'words of letters, digits and . _ - : / , + separated by single spaces'), SafeInteger()], { description: 'a sysctl value: an integer or words separated by single spaces' }), 'sysctl values to set and persist')),
  },
  'kernel modules and parameters',
);

export const SandboxSettings = strict(
  {
    vcpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 255, description: "virtual CPUs of the sandbox VM, at most 255: the domain uses QEMU's default machine type (pc, i440fx), which takes no more" })),
    memoryMiB: Type.Optional(Type.Integer({ minimum: 64, maximum: 4_194_304, description: 'memory of the sandbox VM in MiB' })),
    cpuShares: Type.Optional(Type.Integer({ minimum: 2, maximum: 262_144, description: 'relative CPU weight of the sandbox' })),
    network: Type.Optional(str('dns-label', 'isolated libvirt network of the sandbox')),
    image: Type.Optional(str('file-path', 'bootable disk image on the operator\'s machine (raw or qcow2), relative to the topology file; uploaded once per sha256')),
  },
  'the sandbox VM offered to remote users',
);

export const HypervisorSettings = strict(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'configure KVM/libvirt on this node' })),
    sandbox: Type.Optional(SandboxSettings),
    hostReserveMiB: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_194_304, description: 'memory kept for the host itself; a node without room for the sandbox plus this is a plan error' })),
  },
  'KVM hypervisor configured through libvirt',
);

export const QosSettings = strict(
  {
    gridCpuPercent: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'CPU share of the machine granted to grid work, in percent' })),
    // Bounded like the sandbox's memory: a huge value renders MemoryMax=1e+20M, which systemd ignores, leaving no limit at all.
    gridMemoryMiB: Type.Optional(Type.Integer({ minimum: 16, maximum: 4_194_304, description: 'memory granted to grid work, in MiB' })),
    // At least 0.01: htb's bucket (burstBytes, at least 64 KiB) takes tc a time in 32-bit ticks to
    // send, which wraps below about 0.0019 Mbit/s (0.001 loaded as a 31176-byte burst); 0.01 keeps a
    // fivefold margin and shows as `0.01 Mbit/s` and tc's `10Kbit`, exactly what was written.
    egressMbit: Type.Optional(Type.Number({ minimum: 0.01, maximum: 400_000, description: 'outgoing bandwidth limit of grid traffic, in Mbit/s' })),
  },
  'resource limits for grid work (cgroups and tc)',
);

export const AgentSettings = strict(
  {
    version: Type.Optional(str('semver', 'gridagent version, a pin: gridops deploys the agent it ships, so it must be that version (the default)')),
    port: Type.Optional(port('UDP/TCP port of the overlay protocol')),
    httpPort: Type.Optional(port('HTTP port for /status and /metrics, on agent.httpAddress')),
    httpAddress: Type.Optional(str('ip-address', 'address the HTTP server binds: 127.0.0.1 (default, local only), the node\'s address or 0.0.0.0 so a Prometheus server can scrape /metrics')),
    keyFile: Type.Optional(str('file-path', 'local file holding the grid key, deployed with mode 0600; generated when absent')),
  },
  'the gridagent overlay daemon',
);

export { SETTING_GROUPS, type SettingGroup } from './setting-groups.js';

const settingsProps = {
  ssh: Type.Optional(SshSettings),
  kernel: Type.Optional(KernelSettings),
  hypervisor: Type.Optional(HypervisorSettings),
  qos: Type.Optional(QosSettings),
  agent: Type.Optional(AgentSettings),
};

export const Settings = strict(settingsProps, 'settings inherited downwards: grid defaults, region, sub-grid, node');

// At most 64: gridagent copies a node's labels into its join, and its peers refuse a join with more (src/agent/core/validate.ts).
const Labels = record('label-key', Type.String({ format: 'label-value' }), 'free-form attributes of the node, at most 64: `--limit label:KEY=VALUE` selects by them, templates read them as node.labels, the Ansible inventory gives them as label_KEY', { maxProperties: 64 });
const GridLabels = record('label-key', Type.String({ format: 'label-value' }), 'free-form attributes of the grid: templates read them as grid.labels');

export const RawNode = strict(
  {
    name: str('dns-label', 'node name, unique in the grid'),
    address: str('host', 'IP address or DNS name gridops connects to'),
    labels: Type.Optional(Labels),
    superPeer: Type.Optional(Type.Union([Type.Literal('prefer'), Type.Literal('auto'), Type.Literal('never')], { description: 'prefer: favoured as super peer; never: never stands; auto (default): by availability' })),
    ...settingsProps,
  },
  'a machine of the grid',
);

export const Discovery = strict(
  {
    multicast: Type.Optional(str('multicast-endpoint', 'multicast GROUP:PORT the agents use to find the super peer')),
    seeds: Type.Optional(Type.Array(str('endpoint', 'HOST:PORT of an agent to ask when multicast is silent: an IPv4 address or a DNS name (gridagent speaks IPv4 only)'), { uniqueItems: true })),
  },
  'how a starting agent finds its sub-grid\'s super peer',
);

export const RawSubgrid = strict(
  {
    name: str('dns-label', 'sub-grid name, unique in the grid'),
    discovery: Type.Optional(Discovery),
    // At most 8,192: the members a super peer's registry takes (gridagent's MAX_TRACKED_PEERS); past it, the rest could never sign in.
    nodes: Type.Array(RawNode, { description: 'the machines of this sub-grid, at most 8192', maxItems: 8192 }),
    ...settingsProps,
  },
  'a site: machines on one LAN, represented by their super peer',
);

export const RawRegion = strict(
  {
    name: str('dns-label', 'region name, unique in the grid'),
    regionPeerName: Type.Optional(str('hostname', 'location-independent DNS name of the region peer')),
    subgrids: Type.Array(RawSubgrid, { description: 'the sub-grids of this region' }),
    ...settingsProps,
  },
  'a group of sub-grids represented by a region peer',
);

export const Rollout = strict(
  {
    maxUnavailable: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), str('count-or-percent', 'a percentage such as 10%')], { description: 'nodes upgraded at once: a count or a percentage' })),
    healthTimeout: Type.Optional(str('duration', 'how long a batch may take to become healthy, e.g. 60s')),
  },
  'how rolling upgrades proceed',
);

export const RawTopology = strict(
  {
    apiVersion: Type.Literal('gridops/v1', { description: 'format version' }),
    kind: Type.Literal('Grid'),
    metadata: strict(
      {
        name: str('dns-label', 'grid name'),
        labels: Type.Optional(GridLabels),
      },
      'identity of the grid',
    ),
    defaults: Type.Optional(Settings),
    regions: Type.Array(RawRegion, { description: 'the regions of the grid' }),
    rollout: Type.Optional(Rollout),
    playbooks: Type.Optional(
      Type.Array(Type.String({ minLength: 1, description: "one of gridops' playbooks by name, or a file: a path relative to this file (./site.yaml)" }), {
        description: "playbooks run on every node after the grid's own workflow (node-base, hypervisor, qos, agent)",
      }),
    ),
  },
  'a gridops topology: regions > sub-grids > nodes',
);

export type RawTopology = Static<typeof RawTopology>;
export type RawRegion = Static<typeof RawRegion>;
export type RawSubgrid = Static<typeof RawSubgrid>;
export type RawNode = Static<typeof RawNode>;
export type Settings = Static<typeof Settings>;
