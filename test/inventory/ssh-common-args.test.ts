import { execFileSync } from 'node:child_process';
import { ansibleInventory, inventoryIni } from '../../src/inventory/ansible-inventory.js';
import { allNodes } from '../../src/topology/model.js';
import { smallGrid } from '../resources/fixtures.js';

/**
 * Ansible splits `ansible_ssh_common_args` with Python's shlex (POSIX mode) into ssh's arguments:
 * each value in it must come back as the one word it was, else a known_hosts path with spaces in it
 * adds options of its own to ssh (`-oProxyCommand=…`, a command run on the controller).
 */
const shlexSplit = (args: string): string[] => JSON.parse(execFileSync('python3', ['-c', 'import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))', args], { encoding: 'utf8' })) as string[];

function commonArgs(knownHosts: string, jumpHost?: string): string {
  const grid = smallGrid();
  for (const node of allNodes(grid)) node.settings.ssh.knownHosts = knownHosts;
  const inventory = ansibleInventory(grid, (node) => ({ host: node.address, port: 22, user: 'root', ...(jumpHost ? { jumpHost } : {}) }));
  return inventory.hostVars.n1!.ansible_ssh_common_args as string;
}

describe('ansible_ssh_common_args', () => {
  it('keeps a known_hosts path with spaces and quotes as one word, adding no option of its own', () => {
    const hostile = `/k -oProxyCommand=sh -c 'id>/tmp/p'`;
    expect(shlexSplit(commonArgs(hostile))).toEqual(['-o', `UserKnownHostsFile=${hostile}`]);
  });

  it('keeps a plain path as it was', () => {
    expect(commonArgs('/home/ops/.ssh/known_hosts')).toBe('-o UserKnownHostsFile=/home/ops/.ssh/known_hosts');
    expect(shlexSplit(commonArgs('/home/ops/.ssh/known_hosts'))).toEqual(['-o', 'UserKnownHostsFile=/home/ops/.ssh/known_hosts']);
  });

  it('keeps the jump host one word too', () => {
    expect(shlexSplit(commonArgs('/k h', 'ops@bastion:2222'))).toEqual(['-o', 'ProxyJump=ops@bastion:2222', '-o', 'UserKnownHostsFile=/k h']);
  });

  it('survives the INI form: its value read back is the same string', () => {
    const grid = smallGrid();
    for (const node of allNodes(grid)) node.settings.ssh.knownHosts = `/k -oProxyCommand=sh -c 'id>/tmp/p'`;
    const ini = inventoryIni(ansibleInventory(grid));
    const line = ini.split('\n').find((l) => l.startsWith('n1 '))!;
    // Ansible's INI parser: shlex-split the host line, then each value read as a Python literal.
    const value = execFileSync('python3', ['-c', 'import ast, shlex, sys\nfor w in shlex.split(sys.argv[1]):\n  k, _, v = w.partition("=")\n  if k == "ansible_ssh_common_args":\n    try: v = ast.literal_eval(v)\n    except Exception: pass\n    print(v)', line], { encoding: 'utf8' }).trimEnd();
    expect(shlexSplit(value)).toEqual(['-o', `UserKnownHostsFile=/k -oProxyCommand=sh -c 'id>/tmp/p'`]);
  });
});
