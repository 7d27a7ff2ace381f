import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { PlanningError } from '../../src/errors/index.js';
import { parseFacts } from '../../src/facts/gather.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { uplinkDevice } from '../../src/facts/uplink.js';
import type { EgressLimitChange } from '../../src/plan/change.js';
import { EGRESS_DROPIN_FILE, EGRESS_NFT_FILE, EGRESS_TC_FILE, EGRESS_UNIT_FILE, deviceUnitName, egressNftablesDropin, egressUnit, nftRules, rateBits, tcBatch } from '../../src/resources/egress-config.js';
import { parseEgressClass, parseLeafQdiscs, parseRootQdiscs } from '../../src/resources/egress-live.js';
import { parseTcRate, tcShownRate } from '../../src/resources/tc-rate.js';
import { EgressLimitResource } from '../../src/resources/egress-limit.js';
import { probeSections, splitProbeSections } from '../../src/resources/probe-sections.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node, probeStdout } from './fixtures.js';

/** A lab container's facts: hybrid cgroups, htb built in (it shows in /sys/module), no default route. */
const labFacts = (over: Partial<HostFacts> = {}): HostFacts => ({
  ...facts({ loadableModules: false, builtinModules: ['sch_htb'], builtinModulesComplete: false }),
  cgroup: 'hybrid',
  network: { defaultRouteDevice: null, addresses: [{ device: 'lo', address: '127.0.0.1' }, { device: 'eth0', address: '10.0.0.1' }], connectedRoutes: [] },
  ...over,
});
const ctx = (f: HostFacts = labFacts()) => ({ node: node('n1'), facts: f });

/** A file as fileProbe prints it. */
const fileOut = (content: string) => `regular file|644|root|root|${content.length}\n${Buffer.from(content).toString('base64')}\n`;
const CGROUP_RULES = nftRules({ by: 'cgroup', path: 'unified/grid.slice' });
/** The unit on a node without device units (a container, as the lab's): not bound to the uplink's. */
const UNIT = egressUnit('eth0', { by: 'cgroup', path: 'unified/grid.slice' }, { boundToDevice: false });

/** nft -j list table, as nft 1.0.6 prints gridops' table (captured on a lab node). */
const nftJson = (right: unknown, match = { socket: { key: 'cgroupv2' } }) =>
  JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
      { table: { family: 'inet', name: 'gridops_egress', handle: 1 } },
      { chain: { family: 'inet', table: 'gridops_egress', name: 'output', handle: 1, type: 'filter', hook: 'output', prio: 0, policy: 'accept' } },
      { rule: { family: 'inet', table: 'gridops_egress', chain: 'output', handle: 2, expr: [{ match: { op: '==', left: match, right } }, { mangle: { key: { meta: { key: 'priority' } }, value: '1e9d:10' } }] } },
    ],
  });
const noqueue = '[{"kind":"noqueue","handle":"0:","dev":"lo","root":true,"refcnt":2,"options":{}},{"kind":"noqueue","handle":"0:","dev":"eth0","root":true,"refcnt":2,"options":{}}]';
/** gridops' qdisc on `dev` as iproute2 6.1 prints it: htb with its default class, and fq_codel in both classes. */
const htbOn = (dev: string) =>
  `[{"kind":"noqueue","handle":"0:","dev":"lo","root":true,"refcnt":2,"options":{}},{"kind":"htb","handle":"1e9d:","dev":"${dev}","root":true,"refcnt":3,"options":{"r2q":10,"default":"0x20","direct_packets_stat":0,"direct_qlen":1000}},` +
  `{"kind":"fq_codel","handle":"10:","dev":"${dev}","parent":"1e9d:10","options":{"limit":10240,"flows":1024}},{"kind":"fq_codel","handle":"20:","dev":"${dev}","parent":"1e9d:20","options":{"limit":10240,"flows":1024}}]`;
/** The layout of an earlier gridops: htb without a default class (the owner's traffic in its direct queue), no leaf qdiscs. */
const htbOldOn = (dev: string) => `[{"kind":"noqueue","handle":"0:","dev":"lo","root":true,"refcnt":2,"options":{}},{"kind":"htb","handle":"1e9d:","dev":"${dev}","root":true,"refcnt":3,"options":{"r2q":10,"default":"0","direct_packets_stat":40,"direct_qlen":1000}}]`;
/** `tc class show` of gridops' two classes, the grid's shown as `shown`. */
const classesOn = (dev: string, shown: string) => `dev ${dev}\nclass htb 1e9d:10 root leaf 10: prio 0 rate ${shown} ceil ${shown} burst 64Kb cburst 64Kb \nclass htb 1e9d:20 root leaf 20: prio 0 rate 1Tbit ceil 1Tbit burst 625000000b cburst 625000000b \n`;

interface Live {
  tools: string;
  qdiscs: string;
  classes: string;
  table: string;
  checks: string;
  tc: string;
  nft: string;
  unit: string;
  enabled: string;
  dropin: string;
  active: string;
  /** `systemctl list-units --type=device` of the network devices: none in a container. */
  devices: string;
  /** What modprobe finds nowhere (asked only with a limit to set). */
  modules?: string;
  /** Every table's default routes (`ip -o route show default table all`, IPv4 then IPv6), and `ip -o addr show`. */
  routes?: string;
  addresses?: string;
}
const fresh: Live = { tools: 'tc\nnft\n', qdiscs: noqueue, classes: '', table: '', checks: 'cgroup2 unified/\nnft ok\nsocket ok\nfq_codel ok\n', tc: 'absent\n', nft: 'absent\n', unit: 'absent\n', enabled: 'disabled\n', dropin: 'absent\n', active: 'inactive\n', devices: '' };
/** Converged at `mbit`; `shown` is the rate as `tc class show` prints it. */
const applied = (mbit: number, shown = `${mbit}Mbit`): Live => ({
  ...fresh,
  qdiscs: htbOn('eth0'),
  classes: classesOn('eth0', shown),
  table: nftJson('unified/grid.slice'),
  tc: fileOut(tcBatch('eth0', rateBits(mbit), 'fq_codel')),
  nft: fileOut(CGROUP_RULES),
  unit: fileOut(UNIT),
  enabled: 'enabled\n',
  dropin: fileOut(egressNftablesDropin()),
  active: 'active\n',
});
/** What the probe prints for this live state, joined by a real shell as the planner's would be. */
const out = (l: Live) => execSync(probeSections(...[l.tools, l.qdiscs, l.classes, l.table, l.checks, l.tc, l.nft, l.unit, l.enabled, l.dropin, l.active, l.devices, l.modules ?? '', l.routes ?? '', l.addresses ?? ''].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();

async function record(resource: EgressLimitResource, change: EgressLimitChange, f = labFacts()): Promise<string[]> {
  const writer = new StepRecorder('n1');
  await resource.apply(change, writer, ctx(f));
  return writer.steps.map((s) => s.command);
}

describe('egress-limit resource', () => {
  it('plans the whole limit on a fresh node: files, unit, enabled, loaded by the unit; apply writes them and starts it', async () => {
    const r = new EgressLimitResource(100);
    const change = r.diff(out(fresh), ctx())!;
    expect(change).toMatchObject({ kind: 'egress-limit', action: 'create', device: 'eth0', rateBits: 100_000_000, classifier: 'cgroup', steps: ['write-files', 'write-unit', 'enable', 'load'] });
    const commands = await record(r, change);
    // The rules go into the file as they are (printf of one quoted word).
    expect(commands.join('\n')).toContain(quote(CGROUP_RULES));
    expect(commands).toContain('systemctl daemon-reload');
    expect(commands).toContain('systemctl reenable gridops-egress.service');
    expect(commands.at(-1)).toBe('systemctl restart gridops-egress.service');
    expect(CGROUP_RULES).toContain('socket cgroupv2 level 1 "unified/grid.slice" meta priority set 1e9d:10');
    expect(UNIT).toMatch(/Requires=grid\.slice\nAfter=grid\.slice network\.target/);
    expect(UNIT).toContain('WantedBy=multi-user.target grid.slice');
  });

  it('comes back after the nftables service loads its ruleset (which begins with `flush ruleset`) or flushes it: on its reload, restart, start and stop', async () => {
    // Reload: the unit reloads the rules alone (the qdisc, which nft does not touch, stays as it is).
    expect(UNIT).toMatch(/^After=grid\.slice network\.target nftables\.service$/m);
    // Not PartOf=: a stop of nftables would stop the limit with it (its ExecStop removes the qdisc).
    expect(UNIT).not.toMatch(/^PartOf=/m);
    expect(UNIT).toMatch(/^ReloadPropagatedFrom=nftables\.service$/m);
    expect(UNIT.split('\n').filter((l) => l.startsWith('ExecReload='))).toEqual([`ExecReload=nft -f ${EGRESS_NFT_FILE}`]);
    // Start: a drop-in loads the rules again where the limit's unit is active (at boot it is not, and loads them itself later).
    // Start and stop (the stop flushes the ruleset): the drop-in loads the rules again after each, where the limit's unit is active.
    const again = "-/bin/sh -c 'systemctl is-active --quiet gridops-egress.service && exec nft -f /etc/gridops/egress.nft'";
    expect(egressNftablesDropin().split('\n').filter((l) => /^Exec/.test(l))).toEqual([`ExecStartPost=${again}`, `ExecStopPost=${again}`]);
    // A node that has the limit from an earlier gridops gets the drop-in and the new unit, systemd reloaded, nothing restarted.
    const r = new EgressLimitResource(100);
    const change = r.diff(out({ ...applied(100), dropin: 'absent\n', unit: fileOut(UNIT.replace(/^(PartOf|ReloadPropagatedFrom|ExecReload)=.*\n/gm, '')) }), ctx())!;
    expect(change).toMatchObject({ action: 'update', steps: ['write-unit'] });
    expect(change.fields.map((f) => f.name)).toEqual([EGRESS_UNIT_FILE, EGRESS_DROPIN_FILE]);
    const commands = await record(r, change);
    expect(commands[0]).toBe('mkdir -p -m 0755 /etc/systemd/system/nftables.service.d');
    expect(commands.join('\n')).toContain(quote(egressNftablesDropin()));
    expect(commands.filter((c) => c.startsWith('systemctl'))).toEqual(['systemctl daemon-reload', 'systemctl reenable gridops-egress.service']);
  });

  it('plans nothing once the kernel, files and unit match (apply then plan: 0 changes)', () => {
    expect(new EgressLimitResource(100).diff(out(applied(100)), ctx())).toBeNull();
    // A pure cgroup v2 host has grid.slice at the top of /sys/fs/cgroup.
    const v2 = { ...applied(100), table: nftJson('grid.slice'), nft: fileOut(nftRules({ by: 'cgroup', path: 'grid.slice' })), checks: 'cgroup2 \nnft ok\nsocket ok\nfq_codel ok\n' };
    expect(new EgressLimitResource(100).diff(out(v2), ctx(labFacts({ cgroup: 'v2' })))).toBeNull();
  });

  // What iproute2's print_rate shows for each rate (integer division by 1000 once the value reaches
  // 1000*1000 of its unit): 1234.5 Mbit/s is set as 1234500000bit and shown as 1234Mbit.
  const SHOWN: Array<[number, string]> = [[1234.5, '1234Mbit'], [1000.5, '1Gbit'], [3.14159, '3141Kbit'], [10000.1, '10Gbit'], [100, '100Mbit'], [2.5, '2500Kbit']];

  it.each(SHOWN)('apply then plan is 0 changes at %p Mbit/s, which tc shows as %s', (mbit, shown) => {
    expect(new EgressLimitResource(mbit).diff(out(applied(mbit, shown)), ctx())).toBeNull();
  });

  it('a rate that differs in what tc shows is drift, and tc\'s exact JSON rate converges too', () => {
    const change = new EgressLimitResource(1234.5).diff(out(applied(1234.5, '1233Mbit')), ctx())!;
    expect(change).toMatchObject({ action: 'update', steps: ['rate'] });
    expect(change.fields).toEqual([{ name: 'egress eth0', before: '1233 Mbit/s', after: '1234.5 Mbit/s' }]);
    const json = `dev eth0\n[{"class":"htb","handle":"1e9d:10","rate":${rateBits(1234.5) / 8},"ceil":${rateBits(1234.5) / 8}},{"class":"htb","handle":"1e9d:20","rate":125000000000,"ceil":125000000000}]\n`;
    expect(new EgressLimitResource(1234.5).diff(out({ ...applied(1234.5), classes: json }), ctx())).toBeNull();
  });

  it('a new rate is one change that rewrites the tc file and changes the class in place (no reload, no restart)', async () => {
    const r = new EgressLimitResource(20);
    const change = r.diff(out(applied(100)), ctx())!;
    expect(change).toMatchObject({ action: 'update', steps: ['write-files', 'rate'] });
    expect(change.fields.find((f) => f.name === 'egress eth0')).toEqual({ name: 'egress eth0', before: '100 Mbit/s', after: '20 Mbit/s' });
    const commands = await record(r, change);
    expect(commands.at(-1)).toBe('tc class replace dev eth0 parent 1e9d: classid 1e9d:10 htb rate 20000000bit ceil 20000000bit burst 65536b cburst 65536b quantum 60000');
    expect(commands.join('\n')).not.toMatch(/systemctl (restart|daemon-reload)|nft -f/);
  });

  it('reloads the rules alone when the nft table drifted, and everything when the qdisc is gone', () => {
    expect(new EgressLimitResource(100).diff(out({ ...applied(100), table: '' }), ctx())!.steps).toEqual(['rules']);
    expect(new EgressLimitResource(100).diff(out({ ...applied(100), qdiscs: noqueue, classes: '' }), ctx())!.steps).toEqual(['load']);
  });

  it('moves the limit when the uplink changes: the old device loses its qdisc', async () => {
    const live = { ...applied(100), qdiscs: htbOn('eth1'), classes: classesOn('eth1', '100Mbit') };
    const r = new EgressLimitResource(100);
    const change = r.diff(out(live), ctx())!;
    expect(change).toMatchObject({ clearDevices: ['eth1'], steps: ['clear', 'load'] });
    expect((await record(r, change)).join('\n')).toContain("tc qdisc show dev eth1 root 2>/dev/null | grep -q '^qdisc htb 1e9d: '; then tc qdisc del dev eth1 root handle 1e9d:");
  });

  it('without egressMbit removes every gridops object, and plans nothing where there is none', async () => {
    const r = new EgressLimitResource(undefined);
    const change = r.diff(out(applied(100)), ctx())!;
    expect(change).toMatchObject({ action: 'delete', clearDevices: ['eth0'], steps: ['remove'] });
    const commands = (await record(r, change)).join('\n');
    expect(commands).toContain('systemctl disable --now gridops-egress.service');
    expect(commands).toContain('nft delete table inet gridops_egress');
    expect(commands).toContain('tc qdisc del dev eth0 root handle 1e9d:');
    expect(commands).toContain(`rm -f -- ${EGRESS_TC_FILE} ${EGRESS_NFT_FILE}`);
    expect(commands).toContain(`rm -f -- ${EGRESS_UNIT_FILE}`);
    // Its drop-in for nftables.service before systemd's reload (the directory too where nothing else is in it).
    expect(commands).toContain(`rm -f -- ${EGRESS_DROPIN_FILE}; rmdir /etc/systemd/system/nftables.service.d 2>/dev/null || true`);
    expect(commands.indexOf(EGRESS_DROPIN_FILE)).toBeLessThan(commands.indexOf('systemctl daemon-reload'));
    expect(change.fields.map((f) => f.name)).toContain(EGRESS_DROPIN_FILE);
    expect(r.diff(out({ ...fresh, dropin: fileOut(egressNftablesDropin()) }), ctx())).toMatchObject({ action: 'delete' });
    expect(r.diff(out(fresh), ctx())).toBeNull();
    expect(r.diff(out({ ...fresh, tools: '' }), ctx(labFacts({ packageManager: null })))).toBeNull();
  });

  it("a node without egressMbit is asked only what removal reads: gridops' classes and table, not the kernel's checks nor the unit's state", () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridops-egress-probe-'));
    try {
      const log = join(dir, 'calls');
      for (const tool of ['tc', 'nft', 'systemctl', 'id', 'uname', 'grep']) writeFileSync(join(dir, tool), `#!/bin/sh\necho "${tool} $*" >> ${quote(log)}\n`, { mode: 0o755 });
      const run = (mbit: number | undefined) => {
        writeFileSync(log, '');
        execFileSync('/bin/sh', ['-c', new EgressLimitResource(mbit).probe()], { env: { PATH: `${dir}:/usr/bin:/bin` } });
        return readFileSync(log, 'utf8').trim().split('\n');
      };
      expect(run(undefined)).toEqual(['tc qdisc show', 'nft -j list table inet gridops_egress']);
      // With a limit to set, all of it (the same fakes: the checks' nft -c, the unit's systemctl).
      const withLimit = run(100).join('\n');
      for (const call of ['tc -j qdisc show', 'nft -c -f -', 'systemctl is-enabled gridops-egress.service', 'systemctl is-active gridops-egress.service', 'systemctl list-units']) expect(withLimit).toContain(call);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('installs tc or nft when the node lacks them, through its package manager', async () => {
    const r = new EgressLimitResource(100);
    const change = r.diff(out({ ...fresh, tools: 'tc\n', checks: 'cgroup2 unified/\n' }), ctx())!;
    expect(change).toMatchObject({ packages: ['nftables'], steps: ['install-tools', 'write-files', 'write-unit', 'enable', 'load'] });
    expect((await record(r, change)).join('\n')).toMatch(/apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install -y -q --no-install-recommends nftables /);
  });

  it('falls back to the grid user where the kernel cannot match sockets by cgroup, and says so in the plan', async () => {
    const noSocket = { ...fresh, checks: 'cgroup2 unified/\nnft ok\nsocket /dev/stdin:4:5-30: Error: Could not process rule: No such file or directory\nfq_codel ok\n' };
    const r = new EgressLimitResource(100);
    const change = r.diff(out(noSocket), ctx())!;
    expect(change).toMatchObject({ classifier: 'user', steps: ['create-user', 'write-files', 'write-unit', 'enable', 'load'] });
    expect(change.summary).toContain('because its kernel cannot match sockets by cgroup (nftables socket cgroupv2, NFT_SOCKET');
    expect(change.fields[0]).toMatchObject({ name: 'grid traffic', after: expect.stringContaining('user gridwork (fallback') });
    const commands = (await record(r, change)).join('\n');
    expect(commands).toContain('useradd --system');
    expect(commands).toContain(quote(nftRules({ by: 'user', user: 'gridwork' })));
    expect(nftRules({ by: 'user', user: 'gridwork' })).toContain('meta skuid "gridwork" meta priority set 1e9d:10');
    // Converged in user mode: a note, so every plan says how grid traffic is told apart.
    const userMode = {
      ...applied(100),
      checks: `${noSocket.checks}uid 998\n`,
      table: nftJson(998, { meta: { key: 'skuid' } } as never),
      nft: fileOut(nftRules({ by: 'user', user: 'gridwork' })),
      unit: fileOut(egressUnit('eth0', { by: 'user', user: 'gridwork' }, { boundToDevice: false })),
    };
    const note = r.diff(out(userMode), ctx())!;
    expect(note).toMatchObject({ action: 'none', steps: [] });
    expect(note.summary).toMatch(/grid traffic is that of user gridwork, not of grid\.slice/);
    // cgroup v1 only: no cgroup2 for nft to look in.
    expect(r.diff(out({ ...fresh, checks: 'cgroup2 -\nnft ok\n' }), ctx(labFacts({ cgroup: 'v1' })))!.classifier).toBe('user');
  });

  it('on a node whose cgroup tree is a namespace\'s (a container) and whose kernel lacks nft_socket\'s fix for it, falls back to the grid user, and says why', () => {
    const r = new EgressLimitResource(100);
    const nested = { ...fresh, checks: 'cgroup2 \ncgroup2-root nested\nnft ok\nsocket ok\nfq_codel ok\n' };
    const on = (release: string) => ctx(labFacts({ cgroup: 'v2', kernel: { ...labFacts().kernel, release } }));
    const change = r.diff(out(nested), on('5.15.0-122-generic'))!;
    expect(change).toMatchObject({ classifier: 'user', steps: ['create-user', 'write-files', 'write-unit', 'enable', 'load'] });
    expect(change.summary).toMatch(/grid traffic is that of user gridwork, not of grid\.slice, because the node's cgroup tree is a cgroup namespace's \(a container\) and its kernel 5\.15\.0-122-generic predates/);
    expect(change.summary).toContain('7f3287db6543');
    expect(change.fields[0]).toMatchObject({ name: 'grid traffic', after: expect.stringContaining('user gridwork (fallback: the node') });
    // A kernel with the fix (mainline 6.12, stable 6.10.12, 6.6.53, 6.1.112) matches by cgroup in a container too.
    for (const release of ['6.12.0', '6.18.44-fc-v1300', '6.10.12', '6.6.53-1-lts', '6.1.112']) expect(r.diff(out(nested), on(release))!.classifier).toBe('cgroup');
    // Before it, or a version that does not say (Debian's 6.1.0-25, RHEL's 5.14.0-427 with backports of its own): by user.
    for (const release of ['6.6.52', '6.1.0-25-amd64', '6.11.3', '6.8.0-45-generic', '5.14.0-427.el9.x86_64', '4.19.0']) expect(r.diff(out(nested), on(release))!.classifier).toBe('user');
    // The kernel's own root cgroup (no cgroup.type there): by cgroup, whatever the kernel.
    expect(r.diff(out({ ...fresh, checks: 'cgroup2 \nnft ok\nsocket ok\nfq_codel ok\n' }), on('5.15.0-122-generic'))!.classifier).toBe('cgroup');
  });

  (process.getuid?.() === 0 ? it : it.skip)('its probe tells a cgroup namespace\'s root from the kernel\'s: the first has cgroup.type (as root: unshare -C -m, cgroup2 mounted on /sys/fs/cgroup)', () => {
    const r = new EgressLimitResource(100);
    const v2 = execSync("grep -m1 ' cgroup2 ' /proc/self/mountinfo | cut -d' ' -f5", { encoding: 'utf8' }).trim();
    if (v2 === '') return;
    const child = `${v2}/gridops-egress-test-${process.pid}`;
    execSync(`mkdir ${child}`);
    try {
      // The shell moves itself into a child cgroup, then takes a cgroup namespace there and mounts its own view, as a container's init does.
      const inner = `mount -t cgroup2 none /sys/fs/cgroup && ${r.probe()}`;
      const stdout = execSync(`unshare -m --propagation private sh -c 'echo $$ > ${child}/cgroup.procs && exec unshare -C sh -c "$1"' sh ${quote(inner)}`, { encoding: 'utf8' });
      const checks = splitProbeSections(stdout)[4]!;
      expect(checks).toMatch(/^cgroup2 $/m);
      expect(checks).toMatch(/^cgroup2-root nested$/m);
    } finally {
      execSync(`rmdir ${child}`);
    }
  });

  it('names, in every plan, each device grid traffic may leave by that the limit is not on: the device of the node\'s address, every next hop of every default route (IPv4 and IPv6, every table)', () => {
    const r = new EgressLimitResource(100);
    const wan = (over: Live): Live => ({ ...over, routes: 'default via 192.0.2.1 dev eth0 proto static \ndefault table 51820 \\\tnexthop via 198.51.100.1 dev eth0 weight 1 \\\tnexthop via 203.0.113.1 dev eth2 weight 1 \nunreachable default \ndefault via fe80::1 dev wg0 metric 1024 pref medium\n', addresses: '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n3: eth1    inet 10.0.0.1/24 brd 10.0.0.255 scope global eth1\\       valid_lft forever preferred_lft forever\n' });
    const f = labFacts({ network: { defaultRouteDevice: 'eth0', addresses: [], connectedRoutes: [] } });
    const expected = "grid traffic that leaves by eth2 (a default route's next hop), wg0 (a default route's next hop) or eth1 (it carries the node's address 10.0.0.1) is not limited: the limit is on eth0 alone";
    const change = r.diff(out(wan(fresh)), ctx(f))!;
    expect(change).toMatchObject({ action: 'create', device: 'eth0' });
    expect(change.summary).toContain(`on eth0 to 100 Mbit/s; ${expected}`);
    // Converged, it is a note, so no plan is silent about it.
    const note = r.diff(out(wan(applied(100))), ctx(f))!;
    expect(note).toMatchObject({ action: 'none', steps: [] });
    expect(note.summary).toBe(`egress limit 100 Mbit/s on eth0; ${expected}`);
    // One way out, the uplink: nothing to say.
    expect(r.diff(out({ ...applied(100), routes: 'default via 192.0.2.1 dev eth0 \n', addresses: '2: eth0    inet 10.0.0.1/24 scope global eth0\\ \n' }), ctx(f))).toBeNull();
  });

  (process.getuid?.() === 0 ? it : it.skip)('its probe reads every default route\'s next hops and the node\'s address in a network namespace (as root: unshare -n)', () => {
    const r = new EgressLimitResource(100);
    const setup = ['link set lo up', ...[0, 1, 2].flatMap((i) => [`link add up${i} type veth peer name peer${i}`, `link set up${i} up`, `link set peer${i} up`, `addr add 10.79.${i}.9/24 dev up${i}`]), 'route add default via 10.79.0.1', 'route add default table 7 nexthop via 10.79.0.1 dev up0 nexthop via 10.79.2.1 dev up2', 'route add unreachable default metric 9'].join('\n');
    const stdout = execFileSync('unshare', ['-n', 'sh', '-c', `ip -batch - <<'EOF'\n${setup}\nEOF\n${r.probe()}`], { encoding: 'utf8' });
    const [routes = '', addresses = ''] = splitProbeSections(stdout).slice(13);
    const note = r.diff(out({ ...fresh, routes, addresses }), { node: { ...node('n1'), address: '10.79.1.9' }, facts: labFacts({ network: { defaultRouteDevice: 'up0', addresses: [], connectedRoutes: [] } }) })!;
    expect(note.summary).toContain("grid traffic that leaves by up2 (a default route's next hop) or up1 (it carries the node's address 10.79.1.9) is not limited: the limit is on up0 alone");
  });

  it('is a plan error naming the node and the missing piece when the node cannot hold a limit', () => {
    const r = new EgressLimitResource(100);
    const error = (live: Live, f: HostFacts) => {
      try {
        r.diff(out(live), ctx(f));
      } catch (e) {
        expect(e).toBeInstanceOf(PlanningError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(error(fresh, labFacts({ kernel: { ...labFacts().kernel, builtinModules: [] } }))).toMatch(/^n1: qos.egressMbit needs the kernel's htb qdisc \(sch_htb\)/);
    expect(error({ ...fresh, tools: 'tc\n' }, labFacts({ packageManager: null }))).toMatch(/^n1: qos.egressMbit needs nftables \(for nft\), which n1 lacks/);
    expect(error({ ...fresh, checks: 'cgroup2 unified/\nnft Error: Could not process rule: Operation not supported\n' }, labFacts())).toMatch(/needs nftables in the kernel \(nf_tables\)/);
    expect(error(fresh, labFacts({ network: { defaultRouteDevice: null, addresses: [], connectedRoutes: [] } }))).toMatch(/needs the node's uplink, but it has no default route and no device carries its address 10\.0\.0\.1/);
    const tbf = noqueue.replace('"kind":"noqueue","handle":"0:","dev":"eth0"', '"kind":"tbf","handle":"8001:","dev":"eth0"');
    expect(error({ ...fresh, qdiscs: tbf }, labFacts())).toMatch(/the uplink eth0 of n1 already has a tbf root qdisc \(8001:\) that gridops did not make/);
    // The kernel's own root qdisc (no handle) is replaced, whatever its kind.
    const mq = noqueue.replace('"kind":"noqueue","handle":"0:","dev":"eth0"', '"kind":"mq","handle":"0:","dev":"eth0"');
    expect(r.diff(out({ ...fresh, qdiscs: mq }), ctx())!.steps).toContain('load');
  });

  it('a unit that is not active (a start that failed after tc) is started again, though its qdisc and table are there', async () => {
    const r = new EgressLimitResource(100);
    const change = r.diff(out({ ...applied(100), active: 'failed\n' }), ctx())!;
    expect(change).toMatchObject({ action: 'update', steps: ['load'] });
    expect(change.fields).toEqual([{ name: 'gridops-egress.service', before: 'failed', after: 'active' }]);
    expect(await record(r, change)).toEqual(['systemctl restart gridops-egress.service']);
    expect(r.diff(out({ ...applied(100), active: 'inactive\n' }), ctx())!.steps).toEqual(['load']);
    // The unit's start removes a qdisc a failed start left (htb cannot be `replace`d by itself); `-`: none is no failure.
    expect(UNIT).toMatch(/^ExecStartPre=-tc qdisc del dev eth0 root handle 1e9d:\nExecStart=tc -batch \/etc\/gridops\/egress.tc$/m);
  });

  it('binds the unit to the uplink\'s device unit where systemd has one, so it starts when the device appears and stops when it goes', () => {
    const wg = egressUnit('wg0', { by: 'cgroup', path: 'grid.slice' }, { boundToDevice: true });
    expect(wg).toContain('\nExecStartPre=-tc qdisc del dev wg0 root handle 1e9d:\n');
    expect(wg).toContain('\nBindsTo=sys-subsystem-net-devices-wg0.device\n');
    expect(wg).toContain('\nAfter=grid.slice network.target nftables.service sys-subsystem-net-devices-wg0.device\n');
    // Not wanted by multi-user.target: a boot whose uplink never comes would wait for the device job (90 s).
    expect(wg).toContain('\nWantedBy=grid.slice sys-subsystem-net-devices-wg0.device\n');
    // In a container (no udev, so no device units) a dependency on one would fail every start.
    expect(UNIT).not.toMatch(/BindsTo|\.device/);
    // Named as systemd-escape --path names it (checked against systemd 252's).
    expect(deviceUnitName('br-lan')).toBe('sys-subsystem-net-devices-br\\x2dlan.device');
    expect(deviceUnitName('eth0.100')).toBe('sys-subsystem-net-devices-eth0.100.device');
    expect(deviceUnitName('x@y_z')).toBe('sys-subsystem-net-devices-x\\x40y_z.device');
    // The probe's list of device units decides: the uplink's there and active, the unit is bound to it.
    const devices = 'sys-subsystem-net-devices-eth0.device loaded active plugged Virtio network device\nsys-subsystem-net-devices-eth1.device loaded inactive dead eth1\n';
    const bound = egressUnit('eth0', { by: 'cgroup', path: 'unified/grid.slice' }, { boundToDevice: true });
    const r = new EgressLimitResource(100);
    const change = r.diff(out({ ...applied(100), devices }), ctx())!;
    expect(change).toMatchObject({ steps: ['write-unit'], boundToDevice: true });
    expect(change.fields[0]).toMatchObject({ name: EGRESS_UNIT_FILE, after: `sha256:${createHash('sha256').update(bound).digest('hex').slice(0, 12)}` });
    expect(r.diff(out({ ...applied(100), devices, unit: fileOut(bound) }), ctx())).toBeNull();
    // Only an active device unit counts (eth1's is referenced, not plugged).
    const onEth1 = { ...applied(100), devices, qdiscs: htbOn('eth1'), classes: classesOn('eth1', '100Mbit') };
    const eth1Facts = labFacts({ network: { defaultRouteDevice: 'eth1', addresses: [], connectedRoutes: [] } });
    expect(r.diff(out(onEth1), ctx(eth1Facts))).toMatchObject({ boundToDevice: false });
  });

  it('sends everything else to an unshaped default class with a fair queue, not htb\'s direct FIFO', () => {
    const batch = tcBatch('eth0', rateBits(100), 'fq_codel');
    expect(batch.split('\n').slice(1)).toEqual([
      'qdisc replace dev eth0 root handle 1e9d: htb default 20',
      'class replace dev eth0 parent 1e9d: classid 1e9d:10 htb rate 100000000bit ceil 100000000bit burst 65536b cburst 65536b quantum 60000',
      'class replace dev eth0 parent 1e9d: classid 1e9d:20 htb rate 1000000000000bit ceil 1000000000000bit burst 625000000b cburst 625000000b quantum 60000',
      'qdisc replace dev eth0 parent 1e9d:10 handle 10: fq_codel',
      'qdisc replace dev eth0 parent 1e9d:20 handle 20: fq_codel',
      '',
    ]);
    // A kernel without fq_codel (its default qdisc is no fair queue either) keeps htb's pfifo in each class.
    expect(tcBatch('eth0', rateBits(100), null)).not.toContain('fq_codel');
    expect(tcBatch('eth0', rateBits(100), null)).toContain('classid 1e9d:20');
  });

  it('a node with the old layout (no default class, no fair queues) is loaded again; one without fq_codel converges without it', async () => {
    const r = new EgressLimitResource(100);
    const old = { ...applied(100), qdiscs: htbOldOn('eth0'), classes: 'dev eth0\nclass htb 1e9d:10 root prio 0 rate 100Mbit ceil 100Mbit burst 64Kb cburst 64Kb \n', tc: fileOut(tcBatch('eth0', rateBits(100), null).replace(/.*1e9d:20.*\n/, '').replace(' default 20', '')) };
    const change = r.diff(out(old), ctx())!;
    expect(change).toMatchObject({ action: 'update', steps: ['write-files', 'load'], leafQdisc: 'fq_codel' });
    expect(change.fields.find((f) => f.name === 'egress eth0 queues')).toEqual({ name: 'egress eth0 queues', before: 'no default class', after: 'default 1e9d:20 at 1000000 Mbit/s, fq_codel in 1e9d:10 and 1e9d:20' });
    const commands = await record(r, change);
    expect(commands.join('\n')).toContain(quote(tcBatch('eth0', rateBits(100), 'fq_codel')));
    expect(commands.at(-1)).toBe('systemctl restart gridops-egress.service');
    // A leaf someone replaced is drift too.
    expect(r.diff(out({ ...applied(100), qdiscs: htbOn('eth0').replace('"kind":"fq_codel","handle":"20:"', '"kind":"pfifo","handle":"20:"') }), ctx())!.steps).toEqual(['load']);
    // Without fq_codel in the kernel: no leaves wanted, none read.
    const noFq = { ...applied(100), checks: 'cgroup2 unified/\nnft ok\nsocket ok\nfq_codel -\n', qdiscs: htbOn('eth0').replace(/,\{"kind":"fq_codel".*\]$/, ']'), tc: fileOut(tcBatch('eth0', rateBits(100), null)) };
    expect(r.diff(out(noFq), ctx())).toBeNull();
  });

  it('its probe runs in a real shell, with or without tc and nft, and reads nothing but state', async () => {
    const sections = splitProbeSections(probeStdout(new EgressLimitResource(100).probe()));
    expect(sections).toHaveLength(15); // then: the modules modprobe finds nowhere (none here, or not asked where this root has no modules tree), the default routes, the addresses
    expect(sections[4]).toMatch(/^cgroup2 /);
    expect(sections[4]).toMatch(/^fq_codel (ok|-)$/m);
  });
});

describe('egress limit pieces', () => {
  it('reads tc rates and gridops\' class from text (iproute2 6.1) and JSON output', () => {
    expect(parseTcRate('100Mbit')).toBe(100_000_000);
    expect(parseTcRate('1500Kbit')).toBe(1_500_000);
    expect(parseTcRate('400Gbit')).toBe(400_000_000_000);
    expect(parseTcRate('fast')).toBeNull();
    expect(parseEgressClass('class htb 1e9d:10 root prio 0 rate 20Mbit ceil 25Mbit burst 64Kb cburst 64Kb\n')).toEqual({ rate: 20_000_000, ceil: 25_000_000 });
    expect(parseEgressClass('class htb 1:10 root prio 0 rate 20Mbit ceil 25Mbit\n')).toBeNull();
    expect(parseEgressClass('[{"class":"htb","handle":"1e9d:10","rate":2500000,"ceil":2500000}]')).toEqual({ rate: 20_000_000, ceil: 20_000_000 });
  });

  it('reads htb\'s default class and the leaf qdiscs from tc -j qdisc show (iproute2 6.1: `"default":"0x20"`)', () => {
    expect(parseRootQdiscs(htbOn('eth0')).find((q) => q.device === 'eth0')).toEqual({ device: 'eth0', kind: 'htb', handle: '1e9d:', defaultMinor: 0x20 });
    expect(parseRootQdiscs(htbOldOn('eth0')).find((q) => q.device === 'eth0')!.defaultMinor).toBeNull();
    expect(parseRootQdiscs(htbOn('eth0').replace('"0x20"', '"20"'))[1]!.defaultMinor).toBe(0x20);
    expect(parseLeafQdiscs(htbOn('eth0'), 'eth0')).toEqual(new Map([['1e9d:10', 'fq_codel'], ['1e9d:20', 'fq_codel']]));
    expect(parseLeafQdiscs(htbOn('eth0'), 'eth1').size).toBe(0);
    expect(parseEgressClass(classesOn('eth0', '100Mbit'), '1e9d:20')).toEqual({ rate: 1e12, ceil: 1e12 });
  });

  it('reads a rate back as tc shows it (iproute2 print_rate): digits lost to its integer division, and nothing else', () => {
    const shown = (mbit: number) => tcShownRate(rateBits(mbit));
    expect(shown(1234.5)).toBe(1_234_000_000);
    expect(shown(1000.5)).toBe(1_000_000_000);
    expect(shown(3.14159)).toBe(3_141_000);
    expect(shown(10000.1)).toBe(10_000_000_000);
    expect(shown(100)).toBe(100_000_000);
    expect(shown(2.5)).toBe(2_500_000);
    expect(tcShownRate(104)).toBe(104);
    expect(tcShownRate(999_999_992)).toBe(999_999_000);
    // Showing what tc shows changes nothing, so a rate read from text compares with one read from JSON.
    for (const mbit of [1234.5, 1000.5, 3.14159, 10000.1, 400_000]) expect(tcShownRate(shown(mbit))).toBe(shown(mbit));
  });

  it('rates are whole bytes per second, as tc keeps them', () => {
    expect(rateBits(100)).toBe(100_000_000);
    expect(rateBits(0.0001)).toBe(104);
  });

  it('the uplink is the default route\'s device, else the device that carries the node\'s address', () => {
    expect(uplinkDevice(labFacts(), '10.0.0.1')).toBe('eth0');
    expect(uplinkDevice(labFacts({ network: { defaultRouteDevice: 'wan0', addresses: [{ device: 'eth0', address: '10.0.0.1' }], connectedRoutes: [] } }), '10.0.0.1')).toBe('wan0');
    expect(uplinkDevice(labFacts(), 'node1.example')).toBeNull();
  });

  it('facts read the default route and every address', () => {
    const text = ['@@gridops-facts:default-route@@', 'default via 192.168.1.1 dev enp1s0 proto dhcp src 192.168.1.20 metric 100', '@@gridops-facts:addresses@@', '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever', '2: enp1s0    inet6 fe80::1/64 scope link \\       valid_lft forever', '@@gridops-facts:end@@'].join('\n');
    expect(parseFacts(text).network).toEqual({ defaultRouteDevice: 'enp1s0', addresses: [{ device: 'lo', address: '127.0.0.1' }, { device: 'enp1s0', address: 'fe80::1' }], connectedRoutes: [] });
  });

  it('without a default route, the uplink is the device of the most specific connected route holding the address, or the one carrying an IPv6 address', () => {
    // As a lab node's script prints them: /proc/net/route words (little-endian x86) and /proc/net/if_inet6.
    const text = [
      '@@gridops-facts:uname@@', 'x86_64', '6.1.0',
      '@@gridops-facts:connected-routes@@', 'eth0 0000E70A 00F0FFFF', 'eth1 0000000A 000000FF', 'eth0 000000E0 000000F0',
      '@@gridops-facts:addresses6@@', 'lo 00000000000000000000000000000001', 'eth0 fe80000000000000b4f600fffe757554', 'eth2 20010db8000000000000000000000001',
      '@@gridops-facts:end@@',
    ].join('\n');
    const facts = parseFacts(text);
    expect(facts.network.connectedRoutes).toEqual([
      { device: 'eth0', network: '10.231.0.0', prefixLength: 20 },
      { device: 'eth1', network: '10.0.0.0', prefixLength: 8 },
      { device: 'eth0', network: '224.0.0.0', prefixLength: 4 },
    ]);
    expect(facts.network.addresses).toEqual([
      { device: 'lo', address: '::1' },
      { device: 'eth0', address: 'fe80::b4f6:ff:fe75:7554' },
      { device: 'eth2', address: '2001:db8::1' },
    ]);
    expect(uplinkDevice(facts, '10.231.0.73')).toBe('eth0');
    expect(uplinkDevice(facts, '10.9.8.7')).toBe('eth1');
    expect(uplinkDevice(facts, '192.168.0.1')).toBeNull();
    expect(uplinkDevice(facts, '2001:db8:0:0::1')).toBe('eth2');
    expect(uplinkDevice(facts, 'fe80::b4f6:ff:fe75:7554%eth0')).toBe('eth0');
    // A big-endian kernel prints the same words the other way round.
    const s390 = parseFacts(text.replace('x86_64', 's390x').replace('0000E70A 00F0FFFF', '0AE70000 FFFFF000').replace('0000000A 000000FF', '0A000000 FF000000').replace('000000E0 000000F0', 'E0000000 F0000000'));
    expect(s390.network.connectedRoutes).toEqual(facts.network.connectedRoutes);
    // The netmasks tell the byte order where `uname -m` cannot (`mips` is either).
    expect(parseFacts(text.replace('x86_64', 'mips')).network.connectedRoutes).toEqual(facts.network.connectedRoutes);
  });

  (process.getuid?.() === 0 ? it : it.skip)('the facts script in a network namespace with no default route names the uplink, with no program run', async () => {
    const { execFileSync } = await import('node:child_process');
    const { FACTS_SCRIPT } = await import('../../src/facts/gather.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const ns = `gridops-uplink-${process.pid}`;
    const empty = mkdtempSync(`${tmpdir()}/gridops-empty-path-`);
    try {
      execFileSync('ip', ['netns', 'add', ns]);
      execFileSync('ip', ['-n', ns, '-batch', '-'], { input: 'link add veth-u0 type veth peer name veth-u1\nlink set veth-u0 up\nlink set veth-u1 up\naddr add 10.77.0.9/24 dev veth-u0\naddr add 2001:db8:77::9/64 dev veth-u0 nodad\nlink set lo up\n' });
      const facts = parseFacts(execFileSync('ip', ['netns', 'exec', ns, 'env', `PATH=${empty}`, '/bin/sh', '-c', FACTS_SCRIPT], { encoding: 'utf8' }));
      expect(facts.network.defaultRouteDevice).toBeNull();
      expect(uplinkDevice(facts, '10.77.0.9')).toBe('veth-u0');
      expect(uplinkDevice(facts, '2001:db8:77::9')).toBe('veth-u0');
    } finally {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
