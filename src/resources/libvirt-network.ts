import type { StepRecorder } from './step-recorder.js';
import type { FieldChange, LibvirtNetworkChange } from '../plan/change.js';
import { sha256 } from './file-state.js';
import { attr, child, children, differingKeys, parseXml, projectionDiff, renderLibvirtXml, text, type Projection, type XmlNode } from './libvirt-xml.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import { checkGridNetRoutes, ROUTE_TABLE_PROBE } from './grid-net-routes.js';
import type { PlanContext, Resource } from './resource.js';
import { GRID_NET, LIBVIRT_XML_DIR, gridBridgeName } from './sandbox-names.js';
import { NETWORK_NOT_FOUND, objectOrAbsent, parseInfo, virsh } from './virsh.js';
import { probeLibvirt, refuseUnreadLibvirt } from './libvirt-read.js';
import { networkDefinition } from './libvirt-definitions.js';
import { resourceId } from './resource-id.js';
import { TAP_BRIDGE_PROBE, TAP_TOOLS, reattachDetachedTap, tapBridge } from './sandbox-tap.js';
import { installTools, packagesForMissingTools, parseTools, toolsProbe } from './tool-packages.js';

/**
 * The isolated grid network the sandboxes' NICs join: no `<forward>` (so no NAT and no route
 * out of the node), a fixed bridge name, DHCP and no DNS (a resolver would be a way out),
 * autostarted. libvirt's own `default` network, which NATs, is never started. Its (re)start puts
 * the running sandbox's tap on the new bridge, which libvirt does not (sandbox-tap.ts).
 */
export class LibvirtNetworkResource implements Resource<LibvirtNetworkChange> {
  readonly kind = 'libvirt-network' as const;
  readonly id: string;
  readonly xml: string;
  private readonly file: string;

  constructor(readonly name: string) {
    this.id = resourceId.libvirtNetwork(name);
    this.xml = renderLibvirtXml('network.xml.hbs', { name, bridge: gridBridgeName(name), ...GRID_NET });
    this.file = `${LIBVIRT_XML_DIR}/network-${name}.xml`;
  }

  probe(): string {
    // The routes first, read also before libvirt is installed: the network is checked against them before its start is planned.
    // The network is absent only where libvirt says so; another failure of the read is `unknown (WHY)`, which diff refuses to plan on.
    // The sandbox's tap and ip before libvirt's reads, whose section is one (`no-libvirt`) before libvirt is installed.
    return probeSections(ROUTE_TABLE_PROBE, TAP_BRIDGE_PROBE, toolsProbe(TAP_TOOLS), probeLibvirt(probeSections(objectOrAbsent(virsh('net-dumpxml', '--inactive', this.name), 'xml', NETWORK_NOT_FOUND, networkDefinition(this.name)), `${virsh('net-info', this.name)} 2>/dev/null || true`)));
  }

  diff(stdout: string, ctx: PlanContext): LibvirtNetworkChange | null {
    const [routesPart = '', tapPart = '', toolsPart = '', xmlPart = '', infoPart = ''] = splitProbeSections(stdout);
    refuseUnreadLibvirt(xmlPart, ctx.node.name);
    const want = projectNetwork(parseXml(this.xml, 'network')!);
    const current = parseXml(xmlPart, 'network');
    const have = current ? projectNetwork(current) : null;
    const info = parseInfo(infoPart);
    const steps: LibvirtNetworkChange['steps'] = [];
    const fields: FieldChange[] = [];
    const differing = have ? differingKeys(want, have) : Object.keys(want);
    if (!have) steps.push('define', 'start', 'autostart');
    else {
      if (differing.length) {
        steps.push('define');
        for (const k of differing) fields.push({ name: k, before: have[k] ?? null, after: want[k] ?? null });
      }
      if (info.get('active') !== 'yes') steps.push('start');
      else if (differing.length) steps.push('restart');
      if (info.get('autostart') !== 'yes') (steps.push('autostart'), fields.push({ name: 'autostart', before: info.get('autostart') ?? null, after: 'yes' }));
      if (info.get('active') !== 'yes') fields.push({ name: 'active', before: info.get('active') ?? null, after: 'yes' });
    }
    if (steps.length === 0) return null;
    if (steps.includes('start') || steps.includes('restart')) {
      // A renamed network's old one still holds the range now, but the rename removes it before this starts.
      const replaced = ctx.replacedNetwork === undefined ? {} : { replacedBridge: gridBridgeName(ctx.replacedNetwork) };
      checkGridNetRoutes(routesPart.split('\n'), ctx.facts.arch, { node: ctx.node.name, nodeAddress: ctx.node.address, network: this.name, bridge: gridBridgeName(this.name), ...replaced });
    }
    // A running sandbox's tap goes back on the new bridge with ip (sandbox-tap.ts), installed first where the node lacks it.
    const tapToReattach = (steps.includes('start') || steps.includes('restart')) && tapBridge(tapPart) !== undefined;
    const packages = tapToReattach ? packagesForMissingTools(TAP_TOOLS, parseTools(toolsPart), ctx.facts, `${ctx.node.name}: the grid network ${this.name}`, ctx.node.name) : [];
    for (const p of packages) fields.push({ name: p, before: null, after: 'installed' });
    return {
      kind: 'libvirt-network',
      id: this.id,
      action: have ? 'update' : 'create',
      network: this.name,
      steps,
      fields,
      xmlSha256: sha256(this.xml),
      ...(packages.length ? { packages } : {}),
      summary: have ? `${steps.join(', ')} network ${this.name}` : `define and start isolated network ${this.name} (bridge ${gridBridgeName(this.name)}, no forward)`,
      diff: have ? projectionDiff(`network ${this.name}`, have, want) : undefined,
      // Restarting the network cuts the running sandbox off its network until apply puts its tap on the
      // new bridge: asked for with --replace-sandbox, except to turn off the resolver that the networks
      // of gridops before 2026-12-06 served (a way out of the sandbox; closing it keeps the VM running).
      ...(steps.includes('restart') && !onlyClosesResolver(differing, want) ? { needsRestart: `network ${this.name} must be restarted to change ${differing.join(', ')}, which cuts the sandbox's NIC off for that moment` } : {}),
    };
  }

  async apply(change: LibvirtNetworkChange, writer: StepRecorder, ctx: PlanContext): Promise<void> {
    // Before the network goes down: a failed install leaves the VM on its network.
    if (change.packages?.length) await installTools(change.packages, ctx.facts, writer);
    if (change.steps.includes('define')) {
      await writer.run(`mkdir -p -- ${LIBVIRT_XML_DIR}`, `mkdir ${LIBVIRT_XML_DIR}`);
      await writer.write(this.file, Buffer.from(this.xml), '0644');
      await writer.run(virsh('net-define', this.file), `virsh net-define ${this.name}`);
    }
    if (change.steps.includes('restart')) await writer.run(`${virsh('net-destroy', this.name)} && ${virsh('net-start', this.name)}`, `virsh net-destroy/net-start ${this.name}`);
    if (change.steps.includes('start')) await writer.run(virsh('net-start', this.name), `virsh net-start ${this.name}`);
    // A running sandbox's tap is on no bridge after the old one was deleted (a restart, or a stop
    // behind gridops' back), and libvirt does not put it on the new one (sandbox-tap.ts).
    if (change.steps.includes('restart') || change.steps.includes('start')) {
      const bridge = gridBridgeName(this.name);
      await writer.run(reattachDetachedTap(bridge), `put the sandbox's tap back on bridge ${bridge}`);
    }
    if (change.steps.includes('autostart')) await writer.run(virsh('net-autostart', this.name), `virsh net-autostart ${this.name}`);
  }
}

/** Whether the only change is the network's resolver turned off (the restart then needs no --replace-sandbox). */
function onlyClosesResolver(differing: readonly string[], want: Projection): boolean {
  return differing.length > 0 && differing.every((key) => key === '/network/dns/@enable') && want['/network/dns/@enable'] === 'no';
}

/**
 * The XPaths of a network that gridops owns; libvirt's additions (uuid, mac, …) are not drift.
 * Owned too, as counts or names, is every element that would open a path out of the network or
 * into the node, so a net-edit that adds one is drift: a resolver (`<dns>`, its forwarders, a
 * `<domain>`), a second `<ip>` (IPv6 router advertisements, DHCPv6), a `<route>`, a TFTP root of
 * the node, and options handed to dnsmasq behind libvirt's back.
 */
export function projectNetwork(net: XmlNode): Projection {
  const ip = child(net, 'ip');
  const range = child(ip, 'dhcp', 'range');
  const dns = child(net, 'dns');
  return {
    '/network/name': text(child(net, 'name')),
    '/network/forward': children(net, 'forward').length ? `mode=${attr(child(net, 'forward'), 'mode') ?? 'nat'}` : '(none)',
    '/network/bridge/@name': attr(child(net, 'bridge'), 'name'),
    '/network/dns/@enable': attr(dns, 'enable'),
    '/network/dns/*': childNames(dns),
    '/network/domain/@name': attr(child(net, 'domain'), 'name'),
    'count(/network/ip)': String(children(net, 'ip').length),
    '/network/ip/@address': attr(ip, 'address'),
    '/network/ip/@netmask': attr(ip, 'netmask') ?? prefixToNetmask(attr(ip, 'prefix')),
    '/network/ip/*[not dhcp]': childNames(ip, ['dhcp']),
    '/network/ip/dhcp/range/@start': attr(range, 'start'),
    '/network/ip/dhcp/range/@end': attr(range, 'end'),
    'count(/network/route)': String(children(net, 'route').length),
    'count(/network/dnsmasq:*)': String(Object.keys(net).filter((k) => k.startsWith('dnsmasq:')).length),
  };
}

/** An element's child elements by name, sorted and comma-separated, but `except`; `(none)` when there are none. */
function childNames(node: XmlNode | undefined, except: readonly string[] = []): string {
  const names = Object.keys(node ?? {}).filter((k) => !k.startsWith('@') && k !== '#text' && !except.includes(k));
  return names.sort().join(',') || '(none)';
}

function prefixToNetmask(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  const bits = Number(prefix);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.');
}
