import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTemplate, renderTemplateFile, templateContext } from '../../src/templates/render.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { allNodes } from '../../src/topology/model.js';
import { smallGrid } from '../resources/fixtures.js';

/**
 * What the input filter's forward chain is for, on real nftables: three network namespaces of the
 * test's own stand in for the sandbox VM, its node and a host on the node's LAN; the node's end of
 * the VM's link carries a grid bridge's name (gs-*) and the bridge address. The node forwards
 * (ip_forward=1, as a Docker or Kubernetes host does) with no libvirt rule (the nftables service's
 * `flush ruleset` took them out), and DNATs a published port to the LAN host, as Docker's prerouting
 * does: a packet from the VM to the bridge address becomes a forwarded one, which the input hook
 * never sees. Without gridops' table the VM reaches the LAN host both ways, and the LAN host the VM;
 * with it, neither, while the node's own connections still go.
 */
const tag = `gf${process.pid % 100000}`;
const ns = { vm: `${tag}-vm`, node: `${tag}-node`, lan: `${tag}-lan` };
const BRIDGE = `gs-${tag}`;
const VM = '172.31.254.10';
const NODE_ON_GRID = '172.31.254.1';
const LAN_HOST = '10.99.0.2';
const PUBLISHED = 8080;
const BANNER = 'gridops-forward-banner';
const TABLE = 'gridops_sandbox_input';

const sh = (...cmd: string[]) => execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
const inNs = (name: string, ...cmd: string[]) => sh('ip', 'netns', 'exec', name, ...cmd);

/** Whether a TCP connection from namespace `from` to host:port gets the listener's banner (a drop leaves it unanswered). */
function reaches(from: string, host: string, port: number): boolean {
  const client = `const s = require('net').connect({ host: '${host}', port: ${port}, timeout: 1500 }); s.on('data', (d) => { process.stdout.write(d); process.exit(0); }); s.on('timeout', () => process.exit(2)); s.on('error', () => process.exit(1));`;
  const r = spawnSync('ip', ['netns', 'exec', from, process.execPath, '-e', client], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && r.stdout.includes(BANNER);
}

/** A listener on 0.0.0.0:port in namespace `name` that sends the banner, once it listens. */
function listen(name: string, port: number): Promise<ChildProcess> {
  const server = `require('net').createServer((s) => s.end('${BANNER}\\n')).listen(${port}, '0.0.0.0', () => console.log('listening'));`;
  const child = spawn('ip', ['netns', 'exec', name, process.execPath, '-e', server], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve(child));
    child.on('exit', (code) => reject(new Error(`listener in ${name} exited ${code}`)));
  });
}

/** A UDP echo on 0.0.0.0:67 in namespace `name` (a DHCP server's port), once it is bound. */
function echoDhcp(name: string): Promise<ChildProcess> {
  const server = `const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send(m, r.port, r.address)); s.bind(67, '0.0.0.0', () => console.log('listening'));`;
  const child = spawn('ip', ['netns', 'exec', name, process.execPath, '-e', server], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve(child));
    child.on('exit', (code) => reject(new Error(`DHCP echo in ${name} exited ${code}`)));
  });
}

/** Whether a datagram from namespace `from`'s DHCP client port (68) to host:67 is answered. */
function dhcpAnswered(from: string, host: string): boolean {
  const client = `const s = require('dgram').createSocket('udp4'); s.on('message', () => process.exit(0)); s.bind(68, () => { s.setBroadcast(true); s.send('${BANNER}', 67, '${host}'); }); setTimeout(() => process.exit(2), 1500);`;
  return spawnSync('ip', ['netns', 'exec', from, process.execPath, '-e', client], { encoding: 'utf8', timeout: 10_000 }).status === 0;
}

const grid = smallGrid('defaults: { hypervisor: { enabled: true } }');
const rules = renderTemplateFile(findTemplate('libvirt/sandbox-input.nft.hbs', loadPlaybook('hypervisor').file)!, templateContext(grid, allNodes(grid)[0]!));

// Only root may add network namespaces: as anyone else these are skipped.
const asRoot = process.getuid?.() === 0;
(asRoot ? describe : describe.skip)('the input filter drops what the node would forward from or to the VM, a DNAT of a published port too (as root: ip netns, nft)', () => {
  const listeners: ChildProcess[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-sandbox-forward-'));
    for (const name of Object.values(ns)) sh('ip', 'netns', 'add', name);
    sh('ip', '-n', ns.vm, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', BRIDGE, 'netns', ns.node);
    sh('ip', '-n', ns.lan, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'lan0', 'netns', ns.node);
    sh('ip', '-n', ns.vm, 'addr', 'add', `${VM}/24`, 'dev', 'eth0');
    sh('ip', '-n', ns.node, 'addr', 'add', `${NODE_ON_GRID}/24`, 'dev', BRIDGE);
    sh('ip', '-n', ns.node, 'addr', 'add', '10.99.0.1/24', 'dev', 'lan0');
    sh('ip', '-n', ns.lan, 'addr', 'add', `${LAN_HOST}/24`, 'dev', 'eth0');
    for (const [name, dev] of [[ns.vm, 'eth0'], [ns.vm, 'lo'], [ns.node, BRIDGE], [ns.node, 'lan0'], [ns.node, 'lo'], [ns.lan, 'eth0'], [ns.lan, 'lo']] as const) sh('ip', '-n', name, 'link', 'set', dev, 'up');
    // The route the guest adds itself (the grid network gives it none), and the LAN's way back.
    sh('ip', '-n', ns.vm, 'route', 'add', 'default', 'via', NODE_ON_GRID);
    sh('ip', '-n', ns.lan, 'route', 'add', 'default', 'via', '10.99.0.1');
    inNs(ns.node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    // Docker's publish of a port, reduced to its DNAT.
    writeFileSync(join(dir, 'published.nft'), `table ip published {\n  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n    tcp dport ${PUBLISHED} dnat to ${LAN_HOST}:80\n  }\n}\n`);
    inNs(ns.node, 'nft', '-f', join(dir, 'published.nft'));
    listeners.push(await listen(ns.lan, 80), await listen(ns.vm, 81), await echoDhcp(ns.node));
  });

  afterAll(() => {
    for (const l of listeners) l.kill();
    for (const name of Object.values(ns)) spawnSync('ip', ['netns', 'del', name]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the premise, without the table: the VM reaches the LAN host through a route and through the published port, the LAN host the VM', () => {
    expect(reaches(ns.vm, LAN_HOST, 80)).toBe(true);
    expect(reaches(ns.vm, NODE_ON_GRID, PUBLISHED)).toBe(true);
    expect(reaches(ns.lan, VM, 81)).toBe(true);
    expect(dhcpAnswered(ns.vm, '10.99.0.1')).toBe(true);
  });

  it('with the table: none of them, and its forward chain counts the drops; the node itself still reaches both', () => {
    writeFileSync(join(dir, 'sandbox-input.nft'), rules);
    inNs(ns.node, 'nft', '-f', join(dir, 'sandbox-input.nft'));
    expect(reaches(ns.vm, NODE_ON_GRID, PUBLISHED)).toBe(false);
    expect(reaches(ns.vm, LAN_HOST, 80)).toBe(false);
    expect(reaches(ns.lan, VM, 81)).toBe(false);
    const forward = inNs(ns.node, 'nft', 'list', 'chain', 'inet', TABLE, 'forward');
    expect(Number(/iifname "gs-\*" counter packets (\d+)/.exec(forward)![1])).toBeGreaterThanOrEqual(2);
    expect(Number(/oifname "gs-\*" counter packets (\d+)/.exec(forward)![1])).toBeGreaterThanOrEqual(1);
    expect(reaches(ns.node, LAN_HOST, 80)).toBe(true);
    expect(reaches(ns.node, VM, 81)).toBe(true);
  });

  it("with the table, DHCP comes in only to the grid network's own address: not to the node's other addresses", () => {
    expect(dhcpAnswered(ns.vm, NODE_ON_GRID)).toBe(true);
    expect(dhcpAnswered(ns.vm, '10.99.0.1')).toBe(false);
  });
});
