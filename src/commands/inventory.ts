import { Args, Flags } from '@oclif/core';
import { GridopsCommand } from '../base-command.js';
import { UsageError } from '../errors/index.js';
import { runMessages } from '../formatters/run-messages.js';
import { ansibleInventory, inventoryIni, inventoryYaml, type AnsibleInventory } from '../inventory/ansible-inventory.js';
import { loadTopology } from '../topology/load.js';
import { connectionTargets } from '../inventory/connection-targets.js';
import { warnMissingKnownHosts } from '../inventory/missing-known-hosts.js';
import { allNodes } from '../topology/model.js';
import { loadSshConfig, sshConfigFor } from '../transport/ssh-config.js';

export default class Inventory extends GridopsCommand<AnsibleInventory> {
  static override summary = 'Print the grid as an Ansible inventory (INI or YAML), so existing playbooks run against it';
  static override description = 'Groups: one per region, holding one per sub-grid, names kept to letters, digits and _. Host variables: ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file, ansible_ssh_common_args (known_hosts file, checked strictly; jump host) and ansible_become from the ssh settings (with ~/.ssh/config, then /etc/ssh/ssh_config, filling what the topology leaves to defaults, as gridops connects); gridops_region, gridops_subgrid, gridops_super_peer; every label as label_KEY. Connects to nothing.';
  static override examples = ['<%= config.bin %> inventory topology.yaml > hosts.ini && ansible -i hosts.ini all -m ping', '<%= config.bin %> inventory topology.yaml --format yaml > hosts.yaml'];
  static override args = { file: Args.string({ required: true, description: 'topology file' }) };
  static override flags = { format: Flags.string({ description: 'inventory format (not with --json, which prints it as JSON)', options: ['ini', 'yaml'], default: 'ini' }) };

  async run(): Promise<AnsibleInventory> {
    const { args, flags, metadata } = await this.parse(Inventory);
    // --json prints the inventory as JSON whatever the format: a --format beside it would be ignored.
    if (this.jsonEnabled() && !metadata.flags.format?.setFromDefault) {
      throw new UsageError('--format does nothing with --json, which prints the inventory as JSON', 'leave out --format, or --json to print the inventory as INI or YAML');
    }
    // The same connection settings gridops uses: the topology's, with ~/.ssh/config and then /etc/ssh/ssh_config filling the rest.
    const { warn } = runMessages({ json: this.jsonEnabled(), verbose: this.verbose });
    const sshConfig = loadSshConfig(undefined, warn);
    const grid = await loadTopology(args.file);
    // With the keys a connection would offer: an ssh_config IdentityFile that is not there is left out, as gridops and ssh leave it out.
    const targets = connectionTargets(allNodes(grid), (node) => sshConfigFor(sshConfig, node, warn), warn);
    warnMissingKnownHosts(allNodes(grid), args.file, warn);
    const inventory = ansibleInventory(grid, (node) => targets.get(node)!);
    if (!this.jsonEnabled()) process.stdout.write(flags.format === 'yaml' ? inventoryYaml(inventory) : inventoryIni(inventory));
    return inventory;
  }
}
