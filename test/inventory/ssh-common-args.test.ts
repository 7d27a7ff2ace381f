import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleInventory, inventoryIni } from '../../src/inventory/ansible-inventory.js';
import { allNodes } from '../../src/topology/model.js';
import { smallGrid } from '../resources/fixtures.js';

/**
 * Ansible splits `ansible_ssh_common_args` with Python's shlex (POSIX mode) into ssh's arguments:
 * each value in it must come back as the one word it was, else a known_hosts path with spaces in it
 * adds options of its own to ssh (`-oProxyCommand=…`, a command run on the controller).
 */
const shlexSplit = (args: string): string[] => JSON.parse(execFileSync('python3', ['-c', 'import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))', args], { encoding: 'utf8' })) as string[];

/** What OpenSSH reads from these arguments for a host (`ssh -G`: parsed, not connected; no ~/.ssh/config). */
function sshReads(args: string[]): Record<string, string> {
  const printed = execFileSync('/usr/bin/ssh', ['-G', '-F', 'none', ...args, ...(args.includes('-W') ? [] : ['node.example.org'])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return Object.fromEntries(printed.split('\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]));
}

function commonArgs(knownHosts: string, jumpHost?: string, identityFiles?: string[]): string {
  const grid = smallGrid();
  for (const node of allNodes(grid)) node.settings.ssh.knownHosts = knownHosts;
  const inventory = ansibleInventory(grid, (node) => ({ host: node.address, port: 22, user: 'root', ...(jumpHost ? { jumpHost } : {}), ...(identityFiles ? { identityFiles } : {}) }));
  return inventory.hostVars.n1!.ansible_ssh_common_args as string;
}

describe('ansible_ssh_common_args', () => {
  it('keeps a known_hosts path with spaces and quotes as one word, adding no option of its own', () => {
    const hostile = `/k -oProxyCommand=sh -c 'id>/tmp/p'`;
    const args = shlexSplit(commonArgs(hostile));
    expect(args).toHaveLength(4);
    expect(args[0]).toBe('-o');
    expect(args.slice(2)).toEqual(['-o', 'StrictHostKeyChecking=yes']);
    const reads = sshReads(args);
    expect(reads.userknownhostsfile).toBe(hostile);
    expect(reads.proxycommand).toBeUndefined();
  });

  // ssh splits UserKnownHostsFile's value on whitespace again (it takes several files) and expands
  // % tokens in it: one word for Ansible's split is not yet one path for ssh.
  it('ssh reads a known_hosts path with spaces, quotes, a backslash and a % as that one path', () => {
    const odd = `/k h/it's "100%" \\ x`;
    expect(sshReads(shlexSplit(commonArgs(odd))).userknownhostsfile).toBe(odd);
    // split into files, more than the 32 ssh takes would be an error ssh -G reports: one path is none
    const spaced = `/k${' x'.repeat(40)}`;
    expect(sshReads(shlexSplit(commonArgs(spaced))).userknownhostsfile).toBe(spaced);
  });

  it('keeps a plain path as it was', () => {
    expect(commonArgs('/home/ops/.ssh/known_hosts')).toBe('-o UserKnownHostsFile=/home/ops/.ssh/known_hosts -o StrictHostKeyChecking=yes');
    expect(shlexSplit(commonArgs('/home/ops/.ssh/known_hosts'))).toEqual(['-o', 'UserKnownHostsFile=/home/ops/.ssh/known_hosts', '-o', 'StrictHostKeyChecking=yes']);
  });

  // ssh takes the first value it gets for an option, the command line's before ~/.ssh/config's: a
  // user's `StrictHostKeyChecking accept-new` (or `no`) would otherwise have `ansible -i hosts.ini`
  // record a key nobody verified into the topology's known_hosts, which gridops then trusts.
  it.each(['accept-new', 'no'])("checks the node's key strictly whatever ~/.ssh/config says (StrictHostKeyChecking %s)", (loose) => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-ssh-config-'));
    try {
      const config = join(dir, 'config');
      writeFileSync(config, `Host *\n  StrictHostKeyChecking ${loose}\n`);
      for (const jumpHost of [undefined, 'bastion']) {
        const printed = execFileSync('/usr/bin/ssh', ['-G', '-F', config, ...shlexSplit(commonArgs('/etc/gridops/known_hosts', jumpHost)), 'node.example.org'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        expect(printed).toMatch(/^stricthostkeychecking true$/m);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // ansible.cfg's `host_key_checking = False` makes Ansible put its own StrictHostKeyChecking=no
  // before ansible_ssh_common_args, and ssh takes the first: the inventory's host variable beats
  // the file. Checked on the ssh command real Ansible runs (-vvvv prints it), to a closed port.
  it("checks the node's key strictly whatever ansible.cfg's host_key_checking says", () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-ansible-cfg-'));
    try {
      writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\nhost_key_checking = False\n');
      const grid = smallGrid();
      const inventory = ansibleInventory(grid, () => ({ host: '127.0.0.1', port: 1, user: 'root' }));
      writeFileSync(join(dir, 'hosts.ini'), inventoryIni(inventory));
      const env = { ...process.env, ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_LOCAL_TEMP: dir, ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'cp'), HOME: dir };
      const r = spawnSync('ansible', ['-i', join(dir, 'hosts.ini'), 'n1', '-m', 'ping', '-vvvv'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
      const exec = /SSH: EXEC (.*)/.exec(r.stdout + r.stderr)?.[1];
      expect(exec).toBeDefined();
      expect(exec!.match(/StrictHostKeyChecking=\w+/g)).toEqual(['StrictHostKeyChecking=yes']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('with a jump host', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'gridops-jump-'));
      // An `ssh` ahead on PATH that records the arguments of the jump hop instead of connecting. Not
      // exec'd: the shell keeps the hop's stdout open until they are written, else ssh ends it first.
      writeFileSync(join(dir, 'ssh'), `#!/bin/sh\npython3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" > "$HOP_ARGS"\n`);
      chmodSync(join(dir, 'ssh'), 0o755);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** The arguments the real OpenSSH, given these common args as Ansible splits them, starts its jump hop with. */
    function jumpHop(args: string, host: string, port: number): string[] {
      const hopArgs = join(dir, 'hop.json');
      rmSync(hopArgs, { force: true });
      spawnSync('/usr/bin/ssh', ['-F', 'none', '-o', 'BatchMode=yes', ...shlexSplit(args), '-p', String(port), '-l', 'root', host, 'true'], {
        encoding: 'utf8', timeout: 20_000, env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, SHELL: '/bin/sh', HOP_ARGS: hopArgs, HOME: dir },
      });
      // A ProxyJump hop runs OpenSSH's own binary by its path, never the one on PATH: nothing recorded.
      if (!existsSync(hopArgs)) throw new Error('the jump hop was not the ProxyCommand the inventory writes (a ProxyJump?)');
      return JSON.parse(readFileSync(hopArgs, 'utf8')) as string[];
    }

    // OpenSSH runs a ProxyJump hop as an ssh of its own, without the -o options given for the host:
    // it would check the bastion against ~/.ssh/known_hosts and offer ~/.ssh's keys, not those gridops uses.
    it("reaches the bastion with the topology's known_hosts (checked strictly) and identity, its user and port, forwarding to the node", () => {
      const hop = jumpHop(commonArgs('/etc/gridops/known_hosts', 'ops@bastion.example.org:2222', ['/keys/grid']), '10.0.1.11', 2201);
      expect(hop).toContain('-W');
      expect(hop[hop.indexOf('-W') + 1]).toBe('[10.0.1.11]:2201');
      expect(sshReads(hop)).toMatchObject({
        hostname: 'bastion.example.org', user: 'ops', port: '2222',
        userknownhostsfile: '/etc/gridops/known_hosts', stricthostkeychecking: 'true', identityfile: '/keys/grid',
      });
    });

    it('logs into the bastion as root on port 22 where the jump host names neither, as gridops does', () => {
      const hop = jumpHop(commonArgs('/etc/gridops/known_hosts', 'bastion'), 'fd00::13', 22);
      expect(hop[hop.indexOf('-W') + 1]).toBe('[fd00::13]:22');
      expect(sshReads(hop)).toMatchObject({ hostname: 'bastion', user: 'root', port: '22' });
    });

    it('keeps a known_hosts path with a space, a quote or a % one path for the jump hop', () => {
      const knownHosts = `/k h/it's "100%"`;
      expect(sshReads(jumpHop(commonArgs(knownHosts, 'bastion'), '10.0.1.11', 22)).userknownhostsfile).toBe(knownHosts);
    });
  });

  it('survives the INI form: its value read back is the same string', () => {
    const grid = smallGrid();
    for (const node of allNodes(grid)) node.settings.ssh.knownHosts = `/k -oProxyCommand=sh -c 'id>/tmp/p'`;
    const ini = inventoryIni(ansibleInventory(grid));
    const line = ini.split('\n').find((l) => l.startsWith('n1 '))!;
    // Ansible's INI parser: shlex-split the host line, then each value read as a Python literal.
    const value = execFileSync('python3', ['-c', 'import ast, shlex, sys\nfor w in shlex.split(sys.argv[1]):\n  k, _, v = w.partition("=")\n  if k == "ansible_ssh_common_args":\n    try: v = ast.literal_eval(v)\n    except Exception: pass\n    print(v)', line], { encoding: 'utf8' }).trimEnd();
    const reads = sshReads(shlexSplit(value));
    expect(reads.userknownhostsfile).toBe(`/k -oProxyCommand=sh -c 'id>/tmp/p'`);
    expect(reads.proxycommand).toBeUndefined();
  });
});

describe("a jump host's own keys (a ProxyJump host's IdentityFile in ~/.ssh/config)", () => {
  it('the hop offers them rather than the node\'s', () => {
    const grid = smallGrid();
    const inventory = ansibleInventory(grid, (node) => ({ host: node.address, port: 22, user: 'root', jumpHost: 'admin@192.0.2.9:2222', identityFiles: ['/keys/node'], jumpIdentityFiles: ['/keys/bastion'] }));
    const args = inventory.hostVars.n1!.ansible_ssh_common_args as string;
    expect(args).toContain('IdentityFile=/keys/bastion');
    expect(args).not.toContain('IdentityFile=/keys/node');
    expect(args).toContain('-p 2222 -l admin');
  });
});
