import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The playbook format: a declarative list of resources for a workflow. String values may use
 * plain `{{path}}` substitution from the resolved topology (grid, region, subgrid, node) and
 * nothing else: no helpers, conditions or loops in strings.
 */
const strict = <T extends Record<string, TSchema>>(props: T, description: string) => Type.Object(props, { additionalProperties: false, description });
const text = (description: string) => Type.String({ description, maxLength: 4096 });
/**
 * Each patterned string's description says what it takes, as a noun: a value that does not match
 * is refused with "FIELD must be DESCRIPTION" (topology/schema-check.ts), and editors show it.
 */
const NAME = '^[a-z0-9-]+$';
const UNIT = Type.String({ pattern: '^[A-Za-z0-9@._-]+\\.(service|socket|timer|slice|target|path|mount)$', description: 'a systemd unit name ending in .service, .socket, .timer, .slice, .target, .path or .mount, e.g. grid.slice' });
const TEMPLATE = Type.String({ pattern: '^[A-Za-z0-9._/-]+\\.hbs$', description: 'a handlebars file under templates/, its name ending in .hbs (letters, digits and . _ / -)' });
/** A libvirt object's name; checked once substituted (entry-values.ts), so it may be `{{...}}`. */
const LIBVIRT_NAME = (what: string) => text(`the name of ${what}, e.g. {{node.settings.hypervisor.sandbox.network}}: no /, no leading -, not . or .. (checked once substituted)`);
const mode = Type.String({ pattern: '^0?[0-7]{3,4}$', description: 'an octal mode of 3 or 4 digits from 0 to 7, e.g. "0644"' });
const notify = Type.Optional(Type.Array(Type.String({ pattern: NAME, description: 'a handler name: lowercase letters, digits and -' }), { description: 'handlers to run once on this host after its changes' }));

const one = <K extends string, T extends TSchema>(key: K, body: T) => Type.Object({ [key]: body } as Record<K, T>, { additionalProperties: false });

/**
 * Each entry is a mapping with exactly one key, the resource kind. The loader picks the kind's
 * schema by that key (rather than letting a union report every branch's complaint).
 */
export const PLAYBOOK_RESOURCE_KINDS = [
  one('file', strict({ path: text('absolute path on the host (checked once substituted)'), content: Type.Optional(text('literal content')), template: Type.Optional(TEMPLATE), source: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._/-]+$', description: 'a local file copied verbatim, relative to the playbook, else to the gridops package (e.g. dist/gridagent.mjs): letters, digits and . _ / -' })), secret: Type.Optional(Type.Literal('grid-key', { description: 'the grid key (generated on first use); never shown in plans, logs or state' })), sensitive: Type.Optional(Type.Boolean({ description: 'its content is never shown (a key, a token, a password file): plans say (sensitive), with no diff, and record only an HMAC of it, as for a secret' })), mode: Type.Optional(mode), owner: Type.Optional(text('a user name')), group: Type.Optional(text('a group name')), createOnly: Type.Optional(Type.Boolean({ description: 'write it only when absent, never change it once it exists (Ansible force: no)' })), notify }, 'a file')),
  one('directory', strict({ path: text('absolute path (checked once substituted)'), mode: Type.Optional(mode), owner: Type.Optional(text('a user name')), group: Type.Optional(text('a group name')) }, 'a directory')),
  one('line', strict({ path: text('absolute path of the file (checked once substituted)'), line: text('the line to ensure'), match: Type.Optional(text('regular expression of the line to replace')), mode: Type.Optional(mode), owner: Type.Optional(text('a user name')), group: Type.Optional(text('a group name')), notify }, 'a line in a file; mode, owner and group, where set, are given to a file it creates and fixed on one it edits')),
  one('package', strict({ names: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9+.-]*$', description: 'a package name as apt knows it: lowercase letters, digits and + . -, starting with a letter or digit' }), { minItems: 1 }) }, 'OS packages')),
  one('kernel-module', strict({ name: text('module name, as kernel.modules takes it (checked once substituted)') }, 'one kernel module; options come from the node\'s kernel.params')),
  one('kernel-modules', strict({}, 'every module of the node\'s kernel.modules, loaded with its kernel.params, and the options of modules only kernel.params names (written, not loaded)')),
  one('sysctl', strict({ key: text('sysctl key, as kernel.sysctl takes it (checked once substituted)'), value: text('value, as kernel.sysctl takes it (checked once substituted)') }, 'one kernel parameter')),
  one('sysctls', strict({}, 'every entry of the node\'s kernel.sysctl')),
  one('systemd-unit', strict({ unit: UNIT, template: TEMPLATE, enabled: Type.Optional(Type.Boolean()), started: Type.Optional(Type.Boolean()), notify }, 'a systemd unit')),
  one('egress-limit', strict({}, 'the node\'s qos.egressMbit on the outgoing traffic of grid.slice (htb on the uplink, an nftables rule, a unit that loads them at boot); removed when unset')),
  one('libvirt-network', strict({}, 'the node\'s isolated grid network (hypervisor.sandbox.network): no forward, fixed bridge, DHCP, autostart')),
  one('libvirt-pool', strict({}, 'the gridops dir storage pool under /var/lib/gridops/images')),
  one('sandbox-image', strict({}, 'the base image (hypervisor.sandbox.image), a volume named by its sha256, uploaded over SFTP when missing')),
  one('sandbox-disk', strict({}, 'the node\'s qcow2 overlay disk on the base image')),
  one('sandbox-egress', strict({}, 'what the sandbox VM sends, held to the node\'s qos.egressMbit on its tap (ifb + htb), loaded by a libvirt hook at each start; removed when unset')),
  one('sandbox-domain', strict({}, 'the sandbox VM from the node\'s hypervisor.sandbox settings: live changes live, others only with --replace-sandbox')),
  one('command', strict({ name: Type.String({ pattern: NAME, description: 'a name for the command, unique on a node: lowercase letters, digits and -' }), run: text('the command; substituted values are shell-quoted'), creates: Type.Optional(text('skip when this path exists')), unless: Type.Optional(text('skip when this read-only check exits 0')), notify }, 'a guarded command')),
  one('absent-paths', strict({ paths: Type.Array(Type.String({ pattern: '^/[A-Za-z0-9._/*@+-]*[A-Za-z0-9._*@+-]$', maxLength: 4096, description: 'an absolute path of letters, digits and . _ / * @ + -, not ending in /' }), { minItems: 1, description: 'absolute paths gridops made; `*` matches within one path segment' }) }, 'paths removed with everything under them (reset, decommission)')),
  one('absent-unit', strict({ unit: UNIT, prestop: Type.Optional(text('a command run before the stop while the unit is active; substituted values are shell-quoted; if it fails, the removal stops there, the unit still running (a command whose failure must not hold the removal says so itself, e.g. with || true)')) }, 'a systemd unit stopped, disabled and removed (reset, decommission)')),
  one('absent-libvirt', strict({ domain: Type.Optional(LIBVIRT_NAME('a domain (VM)')), network: Type.Optional(LIBVIRT_NAME('a network')), pool: Type.Optional(LIBVIRT_NAME('a storage pool')) }, 'a libvirt object gridops made, destroyed where it runs and undefined (hypervisor-off, reset); exactly one of domain, network or pool. Gone where libvirt answers that it has no such object, or libvirt is not installed, or it does not answer and keeps no definition of it; libvirt not answering while it keeps one is a plan error')),
] as const;
export const PlaybookResource = Type.Union([...PLAYBOOK_RESOURCE_KINDS]);

export const Playbook = strict(
  {
    name: Type.String({ pattern: NAME, description: 'a playbook name: lowercase letters, digits and -' }),
    description: Type.Optional(Type.String()),
    onlyWhere: Type.Optional(Type.Literal('hypervisor.enabled', { description: 'run only on nodes where this setting is true; elsewhere the playbook manages nothing' })),
    resources: Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 1, description: 'checked entry by entry against the kind named by its key' }),
    handlers: Type.Optional(Type.Array(strict({ name: Type.String({ pattern: NAME, description: 'a handler name, as `notify` names it: lowercase letters, digits and -' }), run: text('command run once per host when notified') }, 'a handler'))),
  },
  'a gridops playbook',
);

export type Playbook = Static<typeof Playbook>;
export type PlaybookResource = Static<typeof PlaybookResource>;
/** The kind schemas, keyed by the entry's one key. */
export const KIND_SCHEMAS: Record<string, TSchema> = Object.fromEntries(PLAYBOOK_RESOURCE_KINDS.map((s) => [Object.keys(s.properties)[0]!, s]));

/** The published form (schema/playbook.schema.json): the playbook and each kind, as plain JSON Schema. */
export function playbookJsonSchema(): { $schema: string; title: string; playbook: object; kinds: Record<string, object> } {
  const plain = (schema: TSchema) => JSON.parse(JSON.stringify(schema)) as object;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'gridops playbook',
    playbook: plain(Playbook),
    kinds: Object.fromEntries(Object.entries(KIND_SCHEMAS).map(([kind, schema]) => [kind, plain(schema)])),
  };
}
