import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import type { CommandChange } from '../../src/plan/change.js';
import { GRID_NET, SANDBOX_TAP, gridBridgeName } from '../../src/resources/sandbox-names.js';
import { ifbOf } from '../../src/resources/sandbox-egress.js';
import { findTemplate, renderTemplateFile, templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { probeSections } from '../../src/resources/probe-sections.js';
import type { SystemdUnitResource } from '../../src/resources/systemd-unit.js';
import { quote } from '../../src/transport/quote.js';
import { probeStdout, smallGrid } from '../resources/fixtures.js';

const TABLE = 'gridops_sandbox_input';
const RULES_FILE = '/etc/gridops/sandbox-input.nft';
const UNIT = 'gridops-sandbox-input.service';
const DROPIN = '/etc/systemd/system/nftables.service.d/gridops-sandbox-input.conf';
/** libvirt's daemons that start the grid network or the VM: the monolithic libvirtd, and the modular ones that replace it where the owner switched. */
const LIBVIRT_DAEMONS = ['libvirtd.service', 'virtqemud.service', 'virtnetworkd.service'];
const daemonDropin = (daemon: string) => `/etc/systemd/system/${daemon}.d/gridops-sandbox-input.conf`;
/** A systemctl call that stops the filter unit, or restarts it (a stop first): libvirtd, which requires it, would go with it. */
const STOPS_FILTER = new RegExp(`\\bsystemctl\\s+(?:try-)?(?:restart|stop)\\b[^;&|]*\\b${UNIT.replace('.', '\\.')}`);

/** A raw disk for the playbook's sandbox entries to inspect. */
const imageDir = mkdtempSync(join(tmpdir(), 'gridops-sandbox-input-image-'));
writeFileSync(join(imageDir, 'sandbox.img'), Buffer.alloc(4096));
afterAll(() => rmSync(imageDir, { recursive: true, force: true }));
const grid = smallGrid(`defaults: { hypervisor: { enabled: true, sandbox: { image: ${join(imageDir, 'sandbox.img')} } } }`);
const context = templateContext(grid, allNodes(grid)[0]!);
const resourcesOf = (playbook: string) => instantiate(loadPlaybook(playbook), context);
/** A template of the hypervisor playbook, rendered for the node as instantiate renders it. */
const rendered = (name: string) => renderTemplateFile(findTemplate(name, loadPlaybook('hypervisor').file)!, context);

/**
 * The grid networks' bridges carry the host address 172.31.254.1 and libvirt's isolated network
 * only refuses forwarding: the hypervisor playbook adds gridops' own input filter, loaded at boot,
 * so that the sandbox VM reaches no service of the node.
 */
describe('hypervisor: the input filter of the grid network', () => {
  const { resources, handlers } = resourcesOf('hypervisor');
  const ids = resources.map((r) => r.id);
  const rules = rendered('libvirt/sandbox-input.nft.hbs');
  const unit = rendered('libvirt/gridops-sandbox-input.service.hbs');
  /** The rules of the chain everything from a grid bridge jumps to, in order. */
  const chain = /chain from_grid_network \{\n([\s\S]*?)\n\s*\}\n/.exec(rules)![1]!.trim().split('\n').map((l) => l.trim());

  it('replaces its own table in one transaction, in the input hook, for every gs-* device', () => {
    expect(rules).toContain(`table inet ${TABLE}\ndelete table inet ${TABLE}\ntable inet ${TABLE} {`);
    expect(rules).toMatch(/type filter hook input priority filter; policy accept;\n\s*iifname "gs-\*" jump from_grid_network\n/);
    // Every grid bridge gridops names (plain or hashed), and the sandbox's tap and ifb, match gs-*.
    for (const device of [gridBridgeName('grid-net'), gridBridgeName('a-network-name-too-long-for-linux'), SANDBOX_TAP, ifbOf(SANDBOX_TAP)]) expect(device).toMatch(/^gs-/);
  });

  it('lets in only the replies of connections the node opened and DHCP to the grid address or broadcast; drops the rest, DNS too (the grid network serves none)', () => {
    expect(chain).toEqual([
      'ct state established,related accept',
      `ip daddr { ${GRID_NET.address}, 255.255.255.255 } udp sport 68 udp dport 67 accept`,
      'counter drop',
    ]);
    expect(rules).not.toMatch(/dport 53\b/);
  });

  it('drops whatever would be forwarded from or to a grid bridge, so no route the guest adds and no DNAT (a published Docker port) takes it past the node', () => {
    const forward = /chain forward \{\n([^}]*)\}/.exec(rules)![1]!.trim().split('\n').map((l) => l.trim());
    expect(forward).toEqual([
      'type filter hook forward priority filter; policy accept;',
      'iifname "gs-*" counter drop',
      'oifname "gs-*" counter drop',
    ]);
  });

  it('is loaded at boot by a oneshot unit, before libvirt starts the VM, and again after the nftables service flushed the ruleset', () => {
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^RemainAfterExit=yes$/m);
    expect(unit).toContain(`ExecStart=nft -f ${RULES_FILE}\n`);
    expect(unit).toContain(`ExecStop=-nft delete table inet ${TABLE}\n`);
    expect(unit).toMatch(/^Before=libvirtd\.service /m);
    expect(unit).toMatch(/^After=nftables\.service$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target libvirtd\.service nftables\.service$/m);
  });

  it('comes back after the nftables service loads its ruleset (which begins with `flush ruleset`) or flushes it: on its reload, start, restart and stop', () => {
    // A reload of nftables.service reloads the unit, which loads the rules file again.
    expect(unit).toMatch(/^ReloadPropagatedFrom=nftables\.service$/m);
    expect(unit).toContain(`ExecReload=nft -f ${RULES_FILE}\n`);
    // Not PartOf=: a stop of nftables (`nft flush ruleset`) would stop the filter with it, and the VM would run unfiltered.
    expect(unit).not.toMatch(/^PartOf=/m);
    // A start (and so a restart) leaves an active oneshot as it is, and a stop flushes the ruleset: the drop-in loads the file after each.
    const dropin = rendered('libvirt/nftables-sandbox-input.conf.hbs');
    expect(dropin).toMatch(/^\[Service\]\nExecStartPost=-nft -f \/etc\/gridops\/sandbox-input\.nft\nExecStopPost=-nft -f \/etc\/gridops\/sandbox-input\.nft\n/m);
    const file = resources.find((r) => r.id === `file ${DROPIN}`)!;
    expect(file.diff(probeStdout(file.probe()), undefined as never)).toMatchObject({ action: 'create', notify: ['gridops-daemon-reload'] });
    expect(handlers).toContainEqual({ name: 'gridops-daemon-reload', command: 'systemctl daemon-reload' });
    // Its directory first (a file entry makes no directory), as the rules file's.
    expect(ids.indexOf('command nftables-dropin-dir')).toBeLessThan(ids.indexOf(`file ${DROPIN}`));
    expect(ids.indexOf(`file ${DROPIN}`)).toBeLessThan(ids.indexOf('libvirt-network grid-net'));
  });

  it('is in place before the grid network and the VM; a new rules file reloads it, and a table gone from the kernel is drift', () => {
    expect(ids.indexOf(`systemd-unit ${UNIT}`)).toBeGreaterThan(ids.indexOf(`file ${RULES_FILE}`));
    expect(ids.indexOf('command sandbox-input-loaded')).toBeGreaterThan(ids.indexOf(`systemd-unit ${UNIT}`));
    expect(ids.indexOf('command sandbox-input-loaded')).toBeLessThan(ids.indexOf('libvirt-network grid-net'));
    expect(ids.indexOf('command sandbox-input-loaded')).toBeLessThan(ids.indexOf('sandbox-domain gridops-sandbox'));
    const file = resources.find((r) => r.id === `file ${RULES_FILE}`)!;
    // On a machine without the file (this one): written, and the write reloads the unit.
    expect(file.diff(probeStdout(file.probe()), undefined as never)).toMatchObject({ action: 'create', notify: ['reload-sandbox-input'] });
    expect(resources.find((r) => r.id === `systemd-unit ${UNIT}`)).toBeDefined();
    expect(handlers).toContainEqual({ name: 'reload-sandbox-input', command: `systemctl reload-or-restart ${UNIT}` });
  });
});

/**
 * Fail closed: were the filter's unit to fail at boot (an nft error), libvirtd would still start
 * and autostart the VM unfiltered. A drop-in for libvirtd.service requires the filter's unit, so
 * libvirtd, and with it the VM, does not start without it; the same drop-in for the modular
 * daemons (virtqemud, virtnetworkd) holds on hosts that run those instead.
 */
describe('hypervisor: libvirtd does not start without the input filter', () => {
  const { resources, handlers } = resourcesOf('hypervisor');
  const ids = resources.map((r) => r.id);

  it("libvirtd's drop-in requires the filter's unit and orders libvirtd after it", () => {
    const dropin = rendered('libvirt/libvirtd-sandbox-input.conf.hbs');
    expect(dropin).toMatch(/^# Managed by gridops \(playbook hypervisor\)/);
    expect(dropin).toMatch(new RegExp(`^\\[Unit\\]\nRequires=${UNIT.replace('.', '\\.')}\nAfter=${UNIT.replace('.', '\\.')}\n`, 'm'));
    // A drop-in, not the unit's [Install]: nodes that enabled the unit before need no re-enable.
    expect(rendered('libvirt/gridops-sandbox-input.service.hbs')).toMatch(/^WantedBy=multi-user\.target libvirtd\.service nftables\.service$/m);
  });

  it.each(LIBVIRT_DAEMONS)('is written for %s after the unit it requires, in its directory, and systemd reloaded by the handler', (daemon) => {
    const file = resources.find((r) => r.id === `file ${daemonDropin(daemon)}`)!;
    expect(file).toBeDefined();
    expect(file.diff(probeStdout(file.probe()), undefined as never)).toMatchObject({ action: 'create', notify: ['gridops-daemon-reload'] });
    expect(handlers).toContainEqual({ name: 'gridops-daemon-reload', command: 'systemctl daemon-reload' });
    expect(ids.indexOf('command libvirt-dropin-dirs')).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf('command libvirt-dropin-dirs')).toBeLessThan(ids.indexOf(`file ${daemonDropin(daemon)}`));
    expect(ids.indexOf(`file ${daemonDropin(daemon)}`)).toBeGreaterThan(ids.indexOf(`systemd-unit ${UNIT}`));
    expect(ids.indexOf(`file ${daemonDropin(daemon)}`)).toBeLessThan(ids.indexOf('command libvirtd-running'));
  });

  it("makes every daemon's drop-in directory, and only where one is missing", () => {
    const dirs = resources.find((r) => r.id === 'command libvirt-dropin-dirs')!;
    const root = mkdtempSync(join(tmpdir(), 'gridops-libvirt-dropin-dirs-'));
    try {
      const sh = (script: string) => execFileSync('sh', ['-c', script.split('/etc/systemd/system/').join(`${root}/`)], { encoding: 'utf8' });
      sh((dirs.diff(sh(dirs.probe()), undefined as never) as CommandChange).command);
      for (const daemon of LIBVIRT_DAEMONS) expect(existsSync(join(root, `${daemon}.d`))).toBe(true);
      expect(dirs.diff(sh(dirs.probe()), undefined as never)).toBeNull();
      rmSync(join(root, 'virtnetworkd.service.d'), { recursive: true });
      expect(dirs.diff(sh(dirs.probe()), undefined as never)).toMatchObject({ kind: 'command', action: 'run' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('nothing the playbook runs stops or restarts the filter unit (libvirtd would go with it): a new rules file, a new unit file and drift reload it, or start it where it is not running', () => {
    const commands = [...handlers.map((h) => h.command), ...resources.flatMap((r) => {
      const change = r.kind === 'command' ? (r.diff('', undefined as never) as CommandChange | null) : null;
      return change ? [change.command] : [];
    })];
    expect(commands.filter((c) => STOPS_FILTER.test(c))).toEqual([]);
    // reload-or-restart of a unit that can reload: a reload where it is active, a start where it is not (never a restart).
    expect(handlers).toContainEqual({ name: 'reload-sandbox-input', command: `systemctl reload-or-restart ${UNIT}` });
    const loaded = resources.find((r) => r.id === 'command sandbox-input-loaded')!.diff('', undefined as never) as CommandChange;
    expect(loaded.command).toBe(`systemctl reload-or-restart ${UNIT}`);
    expect(rendered('libvirt/gridops-sandbox-input.service.hbs')).toContain(`ExecReload=nft -f ${RULES_FILE}\n`);
    // The unit's entry leaves a changed file's restart to that handler, which reloads it.
    const unit = resources.find((r) => r.id === `systemd-unit ${UNIT}`) as SystemdUnitResource;
    const oldUnit = execFileSync('sh', ['-c', probeSections(...[`regular file|644|root|root|3\n${Buffer.from('old').toString('base64')}\n`, 'enabled\n', 'ActiveState=active\n'].map((p) => `printf %s ${quote(p)}`))], { encoding: 'utf8' });
    expect(unit.diff(oldUnit)).toMatchObject({ steps: ['write'], notify: ['reload-sandbox-input'] });
  });
});

/**
 * The table as the kernel holds it, in a network namespace of the test's own (`unshare -n`, which
 * ends with the shell): loaded from the rendered rules, then changed behind gridops' back. Only root
 * may make the namespace, so as anyone else these are skipped.
 */
const asRoot = process.getuid?.() === 0;
(asRoot ? describe : describe.skip)('hypervisor: the loaded table is checked against its rules file, not only for being there (as root: unshare -n, nft)', () => {
  const loaded = resourcesOf('hypervisor').resources.find((r) => r.id === 'command sandbox-input-loaded')!;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-sandbox-input-kernel-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The command's plan on a host whose kernel got the rules file and then `tamper`. */
  const planAfter = (tamper: string) => {
    const file = join(dir, 'sandbox-input.nft');
    writeFileSync(file, rendered('libvirt/sandbox-input.nft.hbs'));
    const probe = loaded.probe().split(RULES_FILE).join(file);
    const stdout = execFileSync('unshare', ['-n', 'sh', '-c', `nft -f ${file} && ${tamper}\n${probe}`], { encoding: 'utf8' });
    return loaded.diff(stdout, undefined as never);
  };

  it('as loaded: no change', () => {
    expect(planAfter('true')).toBeNull();
  });

  it('its chain flushed, a rule added before the drop, or its jump gone: reloaded', () => {
    for (const tamper of [
      `nft flush chain inet ${TABLE} from_grid_network`,
      `nft insert rule inet ${TABLE} from_grid_network tcp dport 22 accept`,
      `nft flush chain inet ${TABLE} input`,
      `nft flush chain inet ${TABLE} forward`,
      `nft delete chain inet ${TABLE} forward`,
      `nft delete table inet ${TABLE}`,
    ]) expect([tamper, planAfter(tamper)]).toEqual([tamper, expect.objectContaining({ kind: 'command', action: 'run' })]);
  });

  it('a rule that opens the filter without an accept (a return before the drop, a goto past it, a return in forward) or a changed policy: reloaded', () => {
    for (const tamper of [
      // The VM would reach sshd and the agent: the input hook's policy accepts what the chain returns.
      `nft insert rule inet ${TABLE} from_grid_network return`,
      `nft add chain inet ${TABLE} open && nft insert rule inet ${TABLE} from_grid_network goto open`,
      `nft insert rule inet ${TABLE} forward 'iifname "gs-*" return'`,
      `nft 'add chain inet ${TABLE} input { policy drop; }'`,
    ]) expect([tamper, planAfter(tamper)]).toEqual([tamper, expect.objectContaining({ kind: 'command', action: 'run' })]);
  });
});

/**
 * The table as Debian 12's nft 1.0.6 prints it (`nft list table`, written out by hand: tabs, a blank
 * line between chains, counters with their numbers), given to the check by an nft of the test's own.
 */
describe("hypervisor: the loaded check reads nft's printed form of the table", () => {
  const loaded = resourcesOf('hypervisor').resources.find((r) => r.id === 'command sandbox-input-loaded')!;
  const printed = [
    `table inet ${TABLE} {`,
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy accept;',
    '\t\tiifname "gs-*" jump from_grid_network',
    '\t}',
    '',
    '\tchain from_grid_network {',
    '\t\tct state established,related accept',
    '\t\tip daddr { 172.31.254.1, 255.255.255.255 } udp sport 68 udp dport 67 accept',
    '\t\tcounter packets 12 bytes 720 drop',
    '\t}',
    '',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy accept;',
    '\t\tiifname "gs-*" counter packets 3 bytes 180 drop',
    '\t\toifname "gs-*" counter packets 0 bytes 0 drop',
    '\t}',
    '}',
    '',
  ].join('\n');
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-sandbox-input-printed-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The command's plan where the kernel's table prints as `listing` and the rules file is the rendered one. */
  const planWith = (listing: string) => {
    const file = join(dir, 'sandbox-input.nft');
    writeFileSync(file, rendered('libvirt/sandbox-input.nft.hbs'));
    writeFileSync(join(dir, 'listing'), listing);
    writeFileSync(join(dir, 'nft'), `#!/bin/sh\n[ "$*" = "list table inet ${TABLE}" ] && cat ${join(dir, 'listing')}\n`);
    chmodSync(join(dir, 'nft'), 0o755);
    const stdout = execFileSync('sh', ['-c', loaded.probe().split(RULES_FILE).join(file)], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    return loaded.diff(stdout, undefined as never);
  };

  it('as loaded, with its counters counting: no change (apply then plan converges)', () => {
    expect(planWith(printed)).toBeNull();
  });

  it('without its forward chain, or with the DNS accept of an earlier gridops: reloaded', () => {
    const withoutForward = printed.replace(/\n\tchain forward \{[^}]*\}\n/, '');
    expect(withoutForward).not.toContain('forward');
    const withDns = printed.replace('\t\tcounter packets 12', `\t\tip daddr ${GRID_NET.address} udp dport 53 accept\n\t\tcounter packets 12`);
    for (const listing of [withoutForward, withDns]) expect(planWith(listing)).toMatchObject({ kind: 'command', action: 'run' });
  });

  it('with a return or a goto before the drop, a return in forward, or another policy, priority or hook: reloaded', () => {
    const beforeDrop = (rule: string) => printed.replace('\t\tcounter packets 12', `\t\t${rule}\n\t\tcounter packets 12`);
    for (const listing of [
      beforeDrop('return'),
      beforeDrop('counter packets 4 bytes 240 return'),
      beforeDrop('goto open').replace(/\n}\n$/, '\n\n\tchain open {\n\t}\n}\n'),
      printed.replace('\t\tiifname "gs-*" counter packets 3', '\t\tiifname "gs-*" return\n\t\tiifname "gs-*" counter packets 3'),
      printed.replace('hook forward priority filter; policy accept;', 'hook forward priority filter; policy drop;'),
      printed.replace('hook input priority filter;', 'hook input priority 100;'),
      printed.replace('hook input priority', 'hook prerouting priority'),
    ]) expect([listing, planWith(listing)]).toEqual([listing, expect.objectContaining({ kind: 'command', action: 'run' })]);
  });

  it('with other whitespace or blank lines than nft 1.0.6 prints: no change', () => {
    expect(planWith(printed.replace(/\t/g, '    ').replace(/\n\n/g, '\n'))).toBeNull();
    expect(planWith(printed.replace(/;\n/g, ';  \n').replace(/^}\n$/m, '}\n\n'))).toBeNull();
  });
});

/** A host's nft as far as gridops' table goes: `list table` answers whether it exists, `delete table` removes it. */
function fakeNft(dir: string, present: boolean) {
  const state = join(dir, 'table');
  if (present) writeFileSync(state, '');
  writeFileSync(join(dir, 'nft'), `#!/bin/sh\ncase "$*" in\n  "list table inet ${TABLE}") [ -e ${state} ] ;;\n  "delete table inet ${TABLE}") [ -e ${state} ] && rm ${state} && echo "$*" >> ${join(dir, 'log')} ;;\n  *) exit 2 ;;\nesac\n`);
  chmodSync(join(dir, 'nft'), 0o755);
  const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
  return { sh, exists: () => existsSync(state), log: () => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '') };
}

describe.each(['hypervisor-off', 'reset'])('%s removes the input filter', (playbook) => {
  const { resources } = resourcesOf(playbook);
  const ids = resources.map((r) => r.id);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-sandbox-input-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('its unit (whose stop deletes the table), after the VM and its network', () => {
    expect(ids).toContain(`absent-unit ${UNIT}`);
    expect(ids.indexOf(`absent-unit ${UNIT}`)).toBeGreaterThan(ids.indexOf('absent-libvirt network grid-net'));
  });

  it('its rules file', () => {
    const absent = resources.find((r) => r.kind === 'absent-paths')!;
    const listed = `${RULES_FILE}\n/etc/gridops\n`;
    expect(absent.diff(listed, undefined as never)).toMatchObject({ paths: expect.arrayContaining([playbook === 'reset' ? '/etc/gridops' : RULES_FILE]) });
  });

  /**
   * The command that removes gridops' drop-ins for `services`, run in a real shell on copies of their
   * drop-in directories with a fake systemctl: they go with systemd reloaded once, each directory with
   * its drop-in where nothing else is in it, a second run changes nothing, the owner's own drop-in
   * stays, and one drop-in left alone (a host that has only that daemon's) is removed too.
   */
  function expectDropinRemoved(commandId: string, ...services: string[]): void {
    const command = resources.find((r) => r.id === commandId)!;
    expect(command).toBeDefined();
    const dropinsOf = (service: string) => join(dir, `${service}.d`);
    const place = (service: string, ...files: string[]) => {
      execFileSync('mkdir', ['-p', dropinsOf(service)]);
      for (const f of files) writeFileSync(join(dropinsOf(service), f), '');
    };
    for (const service of services) place(service, 'gridops-sandbox-input.conf');
    writeFileSync(join(dir, 'systemctl'), `#!/bin/sh\necho "$*" >> ${join(dir, 'systemctl.log')}\n`);
    chmodSync(join(dir, 'systemctl'), 0o755);
    const sh = (script: string) => execFileSync('sh', ['-c', services.reduce((s, service) => s.split(`/etc/systemd/system/${service}.d`).join(dropinsOf(service)), script)], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    const change = command.diff(sh(command.probe()), undefined as never) as CommandChange;
    expect(change).toMatchObject({ kind: 'command', action: 'run' });
    sh(change.command);
    for (const service of services) expect([service, existsSync(dropinsOf(service))]).toEqual([service, false]);
    expect(readFileSync(join(dir, 'systemctl.log'), 'utf8')).toBe('daemon-reload\n');
    expect(command.diff(sh(command.probe()), undefined as never)).toBeNull();
    const last = services[services.length - 1]!;
    place(last, 'gridops-sandbox-input.conf');
    sh((command.diff(sh(command.probe()), undefined as never) as CommandChange).command);
    expect(existsSync(dropinsOf(last))).toBe(false);
    expect(command.diff(sh(command.probe()), undefined as never)).toBeNull();
    place(services[0]!, 'gridops-sandbox-input.conf', 'local.conf');
    sh((command.diff(sh(command.probe()), undefined as never) as CommandChange).command);
    expect(existsSync(join(dropinsOf(services[0]!), 'local.conf'))).toBe(true);
    expect(existsSync(join(dropinsOf(services[0]!), 'gridops-sandbox-input.conf'))).toBe(false);
  }

  it("its drop-in for nftables.service, with systemd reloaded; the drop-in directory where nothing else is in it; a second run changes nothing", () => {
    expectDropinRemoved('command remove-nftables-dropin', 'nftables.service');
  });

  it("the drop-ins of libvirtd and the modular daemons that require the unit, before the unit's stop (which would stop them with it), with systemd reloaded; their directories where nothing else is in them; a second run changes nothing", () => {
    expect(ids.indexOf('command remove-libvirt-dropins')).toBeLessThan(ids.indexOf(`absent-unit ${UNIT}`));
    expect(ids.indexOf('command remove-libvirt-dropins')).toBeGreaterThan(ids.indexOf('absent-libvirt network grid-net'));
    expectDropinRemoved('command remove-libvirt-dropins', ...LIBVIRT_DAEMONS);
  });

  it('the table a failed unit left, only where it exists: a second run changes nothing', () => {
    const table = resources.find((r) => r.id === 'command remove-sandbox-input-table')!;
    expect(table).toBeDefined();
    const host = fakeNft(dir, true);
    const change = table.diff(host.sh(table.probe()), undefined as never) as CommandChange;
    expect(change).toMatchObject({ kind: 'command', action: 'run' });
    host.sh(change.command);
    expect(host.exists()).toBe(false);
    expect(host.log()).toBe(`delete table inet ${TABLE}\n`);
    expect(table.diff(host.sh(table.probe()), undefined as never)).toBeNull();
    expect(table.diff(fakeNft(join(dir), false).sh(table.probe()), undefined as never)).toBeNull();
  });
});

/** A plain apply runs these playbooks together, and the planner refuses two resources of one id on a host. */
describe("the grid's workflow with the input filter", () => {
  it('has no resource twice across its playbooks (node-base owns /etc/gridops)', () => {
    const secrets = { gridKey: Buffer.alloc(32) };
    const ids = ['node-base', 'hypervisor', 'qos', 'agent'].flatMap((p) => instantiate(loadPlaybook(p), context, secrets).resources.map((r) => r.id));
    // The one the planner takes once by design (planner.ts): hypervisor and qos both hold the VM's egress, from one setting.
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual(['sandbox-egress gridops-sandbox']);
  });

  it('makes /etc/gridops itself where the hypervisor playbook runs alone (`--playbook hypervisor` on a node without node-base)', () => {
    const ids = resourcesOf('hypervisor').resources.map((r) => r.id);
    expect(ids.indexOf('command gridops-config-dir')).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf('command gridops-config-dir')).toBeLessThan(ids.indexOf(`file ${RULES_FILE}`));
  });
});
