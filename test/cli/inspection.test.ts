import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../../src/plan/plan.js';
import type { GridState } from '../../src/state/state.js';

/** state list/show, show, inventory: through the real built binary (npm test builds first). */
const root = fileURLToPath(new URL('../../', import.meta.url));
// HOME is an empty temp dir: the tester's own ~/.ssh/config must not change what inventory prints.
const run = (...args: string[]) => spawnSync(`${root}bin/run.js`, args, { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: dir } });
const SMALL = 'examples/small.yaml';
/** labels.yaml, its n2's key (/keys/id_ed25519) moved to `keys` in the temp dir, where the test puts one: the inventory refuses a key that is not there. */
let LABELS: string;
let keys: string;

/** A HOME holding the key small.yaml names (~/.ssh/id_ed25519). */
const homeWithKey = (home: string) => {
  mkdirSync(join(home, '.ssh'), { recursive: true });
  writeFileSync(join(home, '.ssh', 'id_ed25519'), 'a key\n', { mode: 0o600 });
  return home;
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-inspect-'));
  homeWithKey(dir);
  keys = join(dir, 'keys');
  mkdirSync(keys);
  writeFileSync(join(keys, 'id_ed25519'), 'a key\n', { mode: 0o600 });
  LABELS = join(dir, 'labels.yaml');
  writeFileSync(LABELS, readFileSync(`${root}test/fixtures/inventory/labels.yaml`, 'utf8').replace('identityFile: /keys/id_ed25519', `identityFile: ${keys}/id_ed25519`));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gridops state list / show', () => {
  const hash = createHash('sha256').update(readFileSync(`${root}${SMALL}`)).digest('hex');
  const record = (over: Partial<GridState['hosts'][string]>) => ({ topologyHash: hash, playbooks: ['node-base', 'agent'], gridopsVersion: '0.1.0', agentVersion: '0.1.0', appliedAt: '2026-11-29T20:00:00.000Z', changesApplied: 7, lastOutcome: 'applied' as const, ...over });
  beforeAll(() => {
    const state: GridState = {
      format: 'gridops-state/v1',
      grid: 'euro-grid',
      serial: 4,
      hosts: {
        'ra-01': record({}),
        'ra-02': record({ topologyHash: 'f'.repeat(64), lastOutcome: 'unchanged', changesApplied: 0 }),
        'nb-01': record({ lastOutcome: 'failed', changesApplied: 0, lastRunAt: '2026-12-04T13:40:00.000Z', lastError: 'package htop: exit 100: E: Unable to locate package htop' }),
        'old-07': record({}),
      },
      overlay: { converged: true, superPeers: { 'eu-west/rennes-a': 'ra-01', 'eu-west/nantes-b': 'nb-02' }, regionPeers: { 'eu-west': 'ra-01' }, waitingFor: [], verifiedAt: '2026-11-29T20:00:05.000Z', nodes: 6, ms: 900 },
    };
    writeFileSync(join(dir, 'euro-grid.state.json'), JSON.stringify(state));
  });

  it('lists every node of the topology, then hosts only the state remembers', () => {
    const r = run('state', 'list', SMALL, '--state-dir', dir);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NODE\s+REGION\/SUB-GRID\s+LAST RUN\s+APPLIED AT\s+TOPOLOGY\s+ROLE$/);
    expect(lines.slice(1, 8).map((l) => l.split(/\s+/)[0])).toEqual(['ra-01', 'ra-02', 'ra-03', 'nb-01', 'nb-02', 'nb-03', 'old-07']);
    expect(lines[1]).toMatch(/^ra-01\s+eu-west\/rennes-a\s+applied\s+2026-11-29T20:00:00.000Z\s+current\s+super peer of eu-west\/rennes-a, region peer of eu-west$/);
    expect(lines[2]).toMatch(/^ra-02\s+eu-west\/rennes-a\s+unchanged\s+\S+\s+older/);
    expect(lines[3]).toMatch(/^ra-03\s+eu-west\/rennes-a\s+never applied\s+-\s+never/);
    expect(lines[7]).toMatch(/^old-07\s+\(not in topology\)/);
    expect(r.stderr).toContain(`${join(dir, 'euro-grid.state.json')} (serial 4)`);
    const json = JSON.parse(run('state', 'list', SMALL, '--state-dir', dir, '--json').stdout);
    expect(json).toMatchObject({ grid: 'euro-grid', serial: 4 });
    expect(json.nodes).toHaveLength(7);
  });

  it('shows one node, and names the closest node for a typo', () => {
    const r = run('state', 'show', SMALL, 'nb-01', '--state-dir', dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/last run:\s+failed at 2026-12-04T13:40:00.000Z \(no change completed; nothing recorded as applied by it\)/);
    expect(r.stdout).toMatch(/last error:\s+package htop: exit 100: E: Unable to locate package htop/);
    expect(r.stdout).toMatch(/last successful apply:\s+2026-11-29T20:00:00.000Z, with this topology\n {2}playbooks:\s+node-base, agent/);
    const typo = run('state', 'show', SMALL, 'nb01', '--state-dir', dir);
    expect(typo.status).toBe(64);
    expect(typo.stderr).toContain('no node "nb01" in grid euro-grid');
    expect(typo.stderr).toContain('did you mean "nb-01"?');
  });

  it('with no state file yet, says so and lists the nodes as never applied', () => {
    const r = run('state', 'list', SMALL, '--state-dir', join(dir, 'empty'));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('no state yet at');
    expect(r.stdout.match(/never applied/g)).toHaveLength(6);
  });
});

describe('gridops show PLAN', () => {
  it('renders a saved plan as plan printed it; a file that is not a plan is one clear error', () => {
    const plan: Plan = {
      format: 'gridops-plan/v1',
      createdAt: '2026-11-29T21:00:00.000Z',
      gridopsVersion: '0.1.0',
      topology: { file: SMALL, grid: 'euro-grid', sourceHash: 'a'.repeat(64) },
      playbooks: ['node-base'],
      adHocPlaybooks: false,
      hosts: [
        { host: 'ra-01', address: '10.0.1.11', playbooks: ['node-base'], handlers: [], notes: [], changes: [{ kind: 'sysctl', id: 'sysctl net.core.rmem_max', action: 'update', summary: 'set net.core.rmem_max', key: 'net.core.rmem_max', value: '4194304', steps: ['set', 'persist'], fields: [{ name: 'value', before: '212992', after: '4194304' }] }] },
        { host: 'ra-02', address: '10.0.1.12', playbooks: ['node-base'], handlers: [], notes: [], changes: [] },
      ],
    };
    const file = join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify(plan));
    const r = run('show', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Plan for grid euro-grid from ${SMALL} (sha256 aaaaaaaaaaaa), made 2026-11-29T21:00:00.000Z by gridops 0.1.0; playbooks: node-base`);
    expect(r.stdout).toContain('ra-01 (10.0.1.11)\n  ~ sysctl net.core.rmem_max\n      value: 212992 -> 4194304');
    expect(r.stdout).toContain('Plan: 0 to create, 1 to change, 0 to remove, 0 to run, on 1 of 2 hosts.');
    expect(r.stdout).not.toContain('\x1b['); // not a terminal: no colour
    expect(JSON.parse(run('show', file, '--json').stdout)).toEqual(plan);
    writeFileSync(file, JSON.stringify({ ...plan, limit: ['ra-01', 'label:rack=1'] }));
    expect(run('show', file).stdout).toContain('by gridops 0.1.0; playbooks: node-base; --limit ra-01,label:rack=1');
    // Made with --allow-older-gridops: said, since apply --plan asks for the flag again.
    writeFileSync(file, JSON.stringify({ ...plan, allowOlderGridops: true }));
    expect(run('show', file).stdout).toContain('by gridops 0.1.0; playbooks: node-base; --allow-older-gridops (apply --plan needs it again)');
    // Only `true` is written by a plan: another value is a plan edited by hand.
    writeFileSync(file, JSON.stringify({ ...plan, allowOlderGridops: 'yes' }));
    expect(run('show', file).stderr).toContain(`${file} is not a complete gridops plan: allowOlderGridops`);
    const bad = run('show', SMALL);
    expect(bad.status).toBe(1);
    // A topology given as the plan: said as a gridops error on one line, where it goes wrong, not in V8's words.
    expect(bad.stderr).toMatch(new RegExp(`error: ${SMALL.replace(/\./g, '\\.')} is not JSON \\(line 1, column 1: unexpected "[^"]+"\\)\n`));
    // Not --out the topology itself: a hint followed as written would overwrite it.
    expect(bad.stderr).toContain('hint: make one with `gridops plan TOPOLOGY --out plan.json`');
    writeFileSync(file, '{}');
    expect(run('show', file).stderr).toContain(`error: ${file} is not a gridops plan: it has no format field\nhint: make one with \`gridops plan TOPOLOGY --out ${file}\``);
    // A plan edited by hand: the documented error, naming the field, not a TypeError.
    writeFileSync(file, JSON.stringify({ ...plan, hosts: [{}] }));
    const damaged = run('show', file, '--json');
    expect(damaged.status).toBe(1);
    expect(JSON.parse(damaged.stdout)).toMatchObject({ error: 'InputFileError', code: 'INPUT_FILE', message: `${file} is not a complete gridops plan: hosts[0].host is missing (a string)` });
  });
});

describe('gridops inventory', () => {
  const ansibleList = (inventory: string, ext: string) => {
    const file = join(dir, `hosts.${ext}`);
    writeFileSync(file, inventory);
    const r = spawnSync('ansible-inventory', ['-i', file, '--list'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true' } });
    expect(r.stderr).not.toMatch(/WARNING|ERROR/);
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('ansible-inventory reads the INI and the YAML form as the same inventory: groups per region and sub-grid, ssh settings and labels as host vars', () => {
    const ini = run('inventory', LABELS);
    const yaml = run('inventory', LABELS, '--format', 'yaml');
    expect(ini.status).toBe(0);
    expect(yaml.status).toBe(0);
    const fromIni = ansibleList(ini.stdout, 'ini');
    const fromYaml = ansibleList(yaml.stdout, 'yaml');
    expect(fromIni).toEqual(fromYaml);
    expect(fromIni.all.children).toEqual(['ungrouped', 'eu_west', 'us_east']);
    expect(fromIni.eu_west).toEqual({ children: ['rack_1'] });
    expect(fromIni.rack_1).toEqual({ hosts: ['n1', 'n2'] });
    expect(fromIni.rack_2).toEqual({ hosts: ['n3'] });
    expect(fromIni.us_east).toEqual({ children: ['rack_2', 'on'] }); // "on" is YAML 1.1's true: the group must stay a name
    expect(fromIni.on).toEqual({ hosts: ['n4'] });
    const vars = fromIni._meta.hostvars;
    expect(vars.n1).toEqual({
      ansible_host: '10.0.1.11', ansible_port: 2222, ansible_user: 'ops', ansible_become: true,
      ansible_ssh_common_args: '-o UserKnownHostsFile=/etc/gridops/known_hosts -o StrictHostKeyChecking=yes',
      ansible_host_key_checking: true,
      gridops_region: 'eu-west', gridops_subgrid: 'rack-1', gridops_super_peer: 'auto',
      // strings that INI would otherwise read as numbers, booleans or lists stay strings
      label_gpu: 'true', label_cores: '8', label_pyfalse: 'False', label_hex: '0x1f', label_list: '[1, 2]',
      label_spaced: 'a b', label_quote: 'it\'s "x"', label_dollar: '$HOME', label_example_org_rack: 'r1',
      // YAML 1.1 (Ansible's) reads these unquoted as true, true and 90
      label_ssd: 'yes', label_power: 'on', label_zone: '1:30',
    });
    expect(vars.n2).toMatchObject({ ansible_host: 'node2.example.org', ansible_port: 22, ansible_user: 'root', ansible_ssh_private_key_file: `${keys}/id_ed25519` });
    // the jump hop as gridops makes it: the topology's known_hosts and the node's key (test/inventory/ssh-common-args.test.ts runs it)
    expect(vars.n2.ansible_ssh_common_args).toBe(`-o 'ProxyCommand=ssh -o '"'"'UserKnownHostsFile=/etc/gridops/known_hosts'"'"' -o '"'"'StrictHostKeyChecking=yes'"'"' -o '"'"'IdentityFile=${keys}/id_ed25519'"'"' -p 2200 -l admin -W '"'"'[%h]:%p'"'"' bastion.example.org' -o UserKnownHostsFile=/etc/gridops/known_hosts -o StrictHostKeyChecking=yes`);
    expect(vars.n2.ansible_become).toBeUndefined();
    expect(vars.n3).toMatchObject({ ansible_host: 'fd00::13', gridops_region: 'us-east', gridops_super_peer: 'prefer' });
  });

  it('fills what the topology leaves to defaults from ~/.ssh/config, as gridops connects', () => {
    const home = homeWithKey(join(dir, 'home'));
    writeFileSync(join(home, '.ssh', 'config'), 'Host ra-*\n  User ops\n  Port 2201\n  IdentityFile /keys/grid\nHost 10.0.2.11\n  HostName nb-01.example.org\n');
    const r = spawnSync(`${root}bin/run.js`, ['inventory', SMALL, '--format', 'yaml'], { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: home } });
    expect(r.status).toBe(0);
    const vars = ansibleList(r.stdout, 'yaml')._meta.hostvars;
    // small.yaml writes user, port and identityFile in its defaults: the topology wins there
    expect(vars['ra-01']).toMatchObject({ ansible_user: 'root', ansible_port: 22, ansible_ssh_private_key_file: '~/.ssh/id_ed25519' });
    // it never writes a host name, so ~/.ssh/config's HostName is where gridops (and so Ansible) connects
    expect(vars['nb-01']).toMatchObject({ ansible_host: 'nb-01.example.org' });
  });

  it("says a HostName of a node's name's block that gridops does not dial once per node, as a run says it", () => {
    const home = homeWithKey(join(dir, 'home-unused-hostname'));
    writeFileSync(join(home, '.ssh', 'config'), 'Host ra-01\n  HostName 192.168.9.9\n', { mode: 0o600 });
    const r = spawnSync(`${root}bin/run.js`, ['inventory', SMALL, '--format', 'yaml'], { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: home } });
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').filter((line) => line.includes('192.168.9.9'))).toEqual([expect.stringContaining(`${join(home, '.ssh', 'config')}:2`)]);
  });

  it("a login user from ~/.ssh/config other than root gets ansible_become, where the topology names no user, as gridops' own runs do", () => {
    const home = join(dir, 'home-become');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'config'), 'Host 10.0.9.*\n  User ops\n');
    const file = join(dir, 'no-user.yaml');
    writeFileSync(file, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.9.1 }\n          - { name: n2, address: 10.0.8.2 }\n');
    const r = spawnSync(`${root}bin/run.js`, ['inventory', file, '--format', 'yaml'], { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: home } });
    expect(r.status).toBe(0);
    const vars = ansibleList(r.stdout, 'yaml')._meta.hostvars;
    expect(vars.n1).toMatchObject({ ansible_user: 'ops', ansible_become: true });
    expect(vars.n2).toMatchObject({ ansible_user: 'root' });
    expect(vars.n2.ansible_become).toBeUndefined();
  });

  // A connection skips an IdentityFile of ~/.ssh/config that is not there, as ssh does, with one
  // warning per line (missing-config-identities.ts): the inventory writes the keys that are left.
  describe('an IdentityFile of ~/.ssh/config that is not there', () => {
    const inventoryWith = (name: string, config: (keys: string) => string[]) => {
      const home = join(dir, name);
      const keys = join(home, 'keys');
      mkdirSync(join(home, '.ssh'), { recursive: true });
      mkdirSync(keys, { recursive: true });
      writeFileSync(join(keys, 'there'), 'a key\n', { mode: 0o600 });
      writeFileSync(join(home, '.ssh', 'config'), config(keys).join('\n') + '\n', { mode: 0o600 });
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.9.1 }\n          - { name: n2, address: 10.0.9.2 }\n');
      const r = spawnSync(`${root}bin/run.js`, ['inventory', file, '--format', 'yaml'], { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: home } });
      return { ...r, keys, config: join(home, '.ssh', 'config') };
    };

    it("is left out of the node's key and of its jump host's ProxyCommand, with one warning per line, where another key is left", () => {
      const r = inventoryWith('home-missing-key', (keys) => ['Host 10.0.9.*', '  ProxyJump bastion', `  IdentityFile ${keys}/gone`, `  IdentityFile ${keys}/there`, 'Host bastion', '  HostName bastion.example.org', `  IdentityFile ${keys}/gone-jump`, `  IdentityFile ${keys}/there`]);
      expect(r.status).toBe(0);
      const vars = ansibleList(r.stdout, 'yaml')._meta.hostvars;
      expect(vars.n1.ansible_ssh_private_key_file).toBe(`${r.keys}/there`);
      expect(vars.n1.ansible_ssh_common_args).toContain(`IdentityFile=${r.keys}/there`);
      expect(vars.n1.ansible_ssh_common_args).not.toContain('gone');
      expect(r.stderr.split('\n').filter((l) => l.includes('gone'))).toEqual([
        `warning: ${r.config}:3: IdentityFile ${r.keys}/gone is not there (ENOENT); skipped for n1 and n2, as ssh skips it; create it or remove that line to silence this`,
        `warning: ${r.config}:7: IdentityFile ${r.keys}/gone-jump is not there (ENOENT); skipped for n1's jump host bastion.example.org and n2's jump host bastion.example.org, as ssh skips it; create it or remove that line to silence this`,
      ]);
    });

    it("is refused, naming its line, where it is the jump host's only key, as a connection refuses it", () => {
      const r = inventoryWith('home-only-key-missing', (keys) => ['Host 10.0.9.*', '  ProxyJump bastion', `  IdentityFile ${keys}/there`, 'Host bastion', '  HostName bastion.example.org', `  IdentityFile ${keys}/gone-jump`]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      // The inventory connects to nothing: its refusal says what it did not do, not that no host was contacted.
      expect(r.stderr).toContain(`cannot read the identity file ${r.keys}/gone-jump (ENOENT), named by IdentityFile at ${r.config}:6 for n1 and n2; no inventory was written`);
      expect(r.stderr).not.toContain('contacted');
    });
  });

  it("refuses a node ~/.ssh/config routes through a ProxyCommand, as a run refuses it: Ansible's ssh would run that hop unchecked against the topology's known_hosts", () => {
    const home = join(dir, 'home-proxy-command');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    const config = join(home, '.ssh', 'config');
    writeFileSync(config, 'Host 10.0.9.*\n  ProxyCommand ssh -W %h:%p bastion\n', { mode: 0o600 });
    const file = join(dir, 'proxied.yaml');
    writeFileSync(file, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.9.1 }\n          - { name: n2, address: 10.0.8.2 }\n');
    const inventory = (...flags: string[]) => spawnSync(`${root}bin/run.js`, ['inventory', file, ...flags], { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: home } });
    const r = inventory();
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`n1: the ProxyCommand at ${config}:2 reaches 10.0.9.1, which gridops cannot run (it runs no local command to connect); no inventory was written`);
    expect(r.stderr).toContain('route it with ProxyJump (one hop) there, or give the node ssh.jumpHost in the topology');
    const json = inventory('--json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ code: 'CONNECTION', message: expect.stringContaining('no inventory was written') });
  });

  it("refuses the topology's ssh.identityFile where it is not there, as plan refuses it, writing no inventory", () => {
    const file = join(dir, 'missing-key.yaml');
    const missing = join(dir, 'id_missing');
    writeFileSync(file, `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\ndefaults:\n  ssh: { identityFile: ${missing} }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.9.1 }\n`);
    const r = run('inventory', file);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`cannot read the identity file ${missing} (ENOENT), named by ssh.identityFile of defaults at ${file}:5:24 for n1; no inventory was written`);
    const json = run('inventory', file, '--json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ code: 'INPUT_FILE', message: expect.stringContaining(`${missing} (ENOENT)`) });
  });

  it('refuses a grid whose names would collide as Ansible groups, naming both', () => {
    const file = join(dir, 'collide.yaml');
    writeFileSync(file, readFileSync(LABELS, 'utf8').replace('name: eu-west', 'name: all')); // a valid DNS label, and Ansible's own group
    const r = run('inventory', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('region all and Ansible\'s own group would both be the Ansible group "all"');
    expect(r.stdout).toBe('');
  });
});
