import { becomeFor } from '../engine/become.js';
import { Document, isScalar, visit } from 'yaml';
import { InputFileError } from '../errors/index.js';
import { allNodes, type Grid, type Node } from '../topology/model.js';
import { jumpProxyCommand } from './jump-proxy-command.js';
import { shlexWord } from './shlex-word.js';
import { sshOptionPath } from './ssh-option-value.js';

/**
 * The grid as an Ansible inventory, so existing playbooks run against it: one group per region,
 * holding one group per sub-grid, holding its nodes; the connection settings and labels as host
 * variables. Group names keep only the characters Ansible accepts in them ([A-Za-z0-9_]).
 */
export interface AnsibleInventory {
  /** Region group -> its sub-grid groups, in file order. */
  regions: Array<{ group: string; subgrids: Array<{ group: string; hosts: string[] }> }>;
  /** Host -> its variables (all strings, numbers or booleans). */
  hostVars: Record<string, Record<string, string | number | boolean>>;
}

/** An Ansible group (and variable) name: letters, digits and _, not starting with a digit. */
export function ansibleName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(safe) ? `_${safe}` : safe;
}

/** Where gridops connects to a node: the topology's ssh settings with ~/.ssh/config filled in (transport/ssh-config). */
export interface InventoryTarget {
  host: string;
  port: number;
  user: string;
  identityFiles?: string[];
  jumpHost?: string;
  /** The jump host's own keys (a ProxyJump host's IdentityFile in ~/.ssh/config); else it is reached with identityFiles. */
  jumpIdentityFiles?: string[];
}

function hostVars(node: Node, target: InventoryTarget): Record<string, string | number | boolean> {
  const { ssh } = node.settings;
  // Ansible splits these with shlex: each option's value is one word of it, whatever it holds; and
  // ssh splits the path in it again, unless quoted for ssh too.
  const sshArgs = [
    ...(target.jumpHost ? [`-o ${shlexWord(`ProxyCommand=${jumpProxyCommand({ jumpHost: target.jumpHost, knownHosts: ssh.knownHosts, ...((target.jumpIdentityFiles ?? target.identityFiles) ? { identityFiles: target.jumpIdentityFiles ?? target.identityFiles } : {}) })}`)}`] : []),
    `-o ${shlexWord(`UserKnownHostsFile=${sshOptionPath(ssh.knownHosts)}`)}`,
    // As the jump hop does, and gridops itself: ssh takes the command line's value before
    // ~/.ssh/config's, where `accept-new` would record an unverified key into that known_hosts.
    '-o StrictHostKeyChecking=yes',
  ];
  const vars: Record<string, string | number | boolean> = {
    ansible_host: target.host,
    ansible_port: target.port,
    ansible_user: target.user,
    ...(target.identityFiles?.length ? { ansible_ssh_private_key_file: target.identityFiles[0]! } : {}),
    ansible_ssh_common_args: sshArgs.join(' '),
    // A host variable beats ansible.cfg's `host_key_checking = False` (a common setting), which
    // would put its own StrictHostKeyChecking=no before the options above, and ssh takes the first.
    ansible_host_key_checking: true,
    // As gridops decides it: the topology's become, else whether the login user (target.user, ~/.ssh/config's where the topology names none) is not root.
    ...(becomeFor(node, { loginUser: target.user }) ? { ansible_become: true } : {}),
    gridops_region: node.region,
    gridops_subgrid: node.subgrid,
    gridops_super_peer: node.superPeer,
  };
  // Label keys take `.`, `/` and `-`, variable names do not: two keys could be one variable, and
  // one would silently overwrite the other, as two group names would (ansibleInventory's claim).
  const keyOf = new Map<string, string>();
  for (const [key, value] of Object.entries(node.labels)) {
    const name = `label_${ansibleName(key)}`;
    const previous = keyOf.get(name);
    if (previous !== undefined) throw new InputFileError(`labels ${previous} and ${key} of node ${node.name} would both be the Ansible variable ${name}`, 'rename one of them (Ansible variable names keep only letters, digits and _)');
    keyOf.set(name, key);
    vars[name] = value;
  }
  return vars;
}

/**
 * Builds the inventory; two regions or sub-grids whose group names would collide are an error, as
 * are two labels of a node whose variable names would.
 * `targetOf` gives where gridops itself would connect (default: the topology's settings alone).
 */
export function ansibleInventory(grid: Grid, targetOf: (node: Node) => InventoryTarget = topologyTarget): AnsibleInventory {
  const owners = new Map<string, string>();
  const claim = (group: string, what: string) => {
    const previous = owners.get(group);
    if (previous) throw new InputFileError(`${what} and ${previous} would both be the Ansible group "${group}"`, 'rename one of them (Ansible group names keep only letters, digits and _)');
    owners.set(group, what);
    return group;
  };
  claim('all', 'Ansible\'s own group');
  claim('ungrouped', 'Ansible\'s own group');
  const regions = grid.regions.map((r) => ({
    group: claim(ansibleName(r.name), `region ${r.name}`),
    subgrids: r.subgrids.map((s) => ({ group: claim(ansibleName(s.name), `sub-grid ${r.name}/${s.name}`), hosts: s.nodes.map((n) => n.name) })),
  }));
  return { regions, hostVars: Object.fromEntries(allNodes(grid).map((n) => [n.name, hostVars(n, targetOf(n))])) };
}

function topologyTarget(node: Node): InventoryTarget {
  const { ssh } = node.settings;
  return { host: node.address, port: ssh.port, user: ssh.user, ...(ssh.identityFile ? { identityFiles: [ssh.identityFile] } : {}), ...(ssh.jumpHost ? { jumpHost: ssh.jumpHost } : {}) };
}

/**
 * YAML inventory (the `yaml` inventory plugin's format). Written as YAML 1.1, the version Ansible's
 * PyYAML reads: in 1.2 `yes`, `on`, `1:30` are plain strings and would go out unquoted, and Ansible
 * would read a label `yes` as true, `1:30` as 90, and a group named `on` as the boolean True.
 */
export function inventoryYaml(inv: AnsibleInventory): string {
  const children = Object.fromEntries(
    inv.regions.map((r) => [r.group, { children: Object.fromEntries(r.subgrids.map((s) => [s.group, { hosts: Object.fromEntries(s.hosts.map((h) => [h, inv.hostVars[h]])) }])) }]),
  );
  const doc = new Document({ all: { children } }, { version: '1.1' });
  // PyYAML also resolves a plain `=` (the value tag) and `<<` (merge) and then cannot load the file:
  // quoted they are strings; `<<` also needs `!!str`, or the yaml package's 1.1 merge tag writes it bare.
  visit(doc, {
    Scalar: (_key, node) => {
      if (!isScalar(node) || (node.value !== '=' && node.value !== '<<')) return;
      node.type = 'QUOTE_DOUBLE';
      if (node.value === '<<') node.tag = 'tag:yaml.org,2002:str';
    },
  });
  return doc.toString();
}

/**
 * Ansible reads INI host-line values as Python literals after shell-style splitting: "8" would
 * become a number, "True" a boolean. A string that could be read as anything but itself is
 * written as a quoted Python string inside shell quotes, so it stays the string the YAML form has.
 */
function iniValue(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  const pythonNumber = /^[-+]?(0[xXoObB][0-9a-fA-F_]+|(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][-+]?\d+)?[jJ]?)$/.test(v);
  const plain = /^[A-Za-z0-9_./~@:-]+$/.test(v) && !pythonNumber && !['True', 'False', 'None'].includes(v);
  if (plain) return v;
  const python = `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `"${python.replace(/(["\\])/g, '\\$1')}"`;
}

/** INI inventory: a section per sub-grid with its hosts, and REGION:children sections. */
export function inventoryIni(inv: AnsibleInventory): string {
  const out: string[] = [];
  for (const r of inv.regions) {
    for (const s of r.subgrids) {
      out.push(`[${s.group}]`, ...s.hosts.map((h) => [h, ...Object.entries(inv.hostVars[h]!).map(([k, v]) => `${k}=${iniValue(v)}`)].join(' ')), '');
    }
    out.push(`[${r.group}:children]`, ...r.subgrids.map((s) => s.group), '');
  }
  return out.join('\n');
}
