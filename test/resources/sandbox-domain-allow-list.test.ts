import { readFileSync } from 'node:fs';
import { DEVICE_NAMED_NETWORKS } from '../../src/topology/reserved-network.js';
import { differingKeys, parseXml } from '../../src/resources/libvirt-xml.js';
import { ifbOf } from '../../src/resources/sandbox-egress.js';
import { projectDomain } from '../../src/resources/sandbox-domain.js';
import { SANDBOX_TAP, gridBridgeName } from '../../src/resources/sandbox-names.js';

/** Real libvirt 9.0 output (lab container, TCG): libvirt's rewrite of the definition gridops wrote. */
const INACTIVE = readFileSync(new URL('./fixtures/sandbox-inactive.xml', import.meta.url), 'utf8');
const project = (xml: string) => projectDomain(parseXml(xml, 'domain')!);
/** The keys in which a definition with `snippet` added among its devices differs from gridops' own. */
const withDevice = (snippet: string) => differingKeys(project(INACTIVE), project(INACTIVE.replace('</devices>', `${snippet}\n  </devices>`)));

/**
 * Only what gridops defines (and what libvirt adds to it: the emulator, the PCI root, PS/2 inputs,
 * a silent audio backend) may be in the sandbox's definition: anything else a remote user's VM
 * could reach the node through replaces the definition, as README says.
 */
describe('sandbox domain: an allow-list of devices', () => {
  it("libvirt's own additions are not drift", () => {
    expect(withDevice('')).toEqual([]);
  });

  it.each([
    ['an evdev input (the node\'s keyboard or mouse)', "<input type='evdev'><source dev='/dev/input/event0'/></input>"],
    ['a passthrough input', "<input type='passthrough' bus='virtio'><source evdev='/dev/input/event1'/></input>"],
    ['a virtio input', "<input type='tablet' bus='virtio'/>"],
    ['a second serial on the host\'s /dev/ttyS0', "<serial type='dev'><source path='/dev/ttyS0'/><target port='1'/></serial>"],
    ['a second serial listening on 0.0.0.0', "<serial type='tcp'><source mode='bind' host='0.0.0.0' service='4555'/><protocol type='raw'/><target port='1'/></serial>"],
    ['a unix channel (a socket on the node)', "<channel type='unix'><source mode='bind' path='/run/x.sock'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"],
    ['a virtio-serial controller', "<controller type='virtio-serial' index='0'/>"],
    ['a second console on a file', "<console type='file'><source path='/tmp/c'/><target type='virtio' port='1'/></console>"],
    ['an rng reading the host\'s /dev/random', "<rng model='virtio'><backend model='random'>/dev/random</backend></rng>"],
    ['a watchdog', "<watchdog model='i6300esb' action='reset'/>"],
    ['a second NIC', "<interface type='bridge'><source bridge='br0'/></interface>"],
    ['a cdrom', "<disk type='file' device='cdrom'><source file='/etc/shadow'/><target dev='hdc' bus='ide'/></disk>"],
    ['a second disk, the host\'s block device', "<disk type='block' device='disk'><source dev='/dev/sda'/><target dev='vdb' bus='virtio'/></disk>"],
    ['an audio backend that plays on the host', "<audio id='2' type='pulseaudio'/>"],
  ])('%s differs', (_what, snippet) => {
    expect(withDevice(snippet)).toContain('/domain/devices/*[not allowed]');
  });

  it("an emulator other than libvirt's QEMU, or the serial console logged to another file of the node, differs", () => {
    expect(differingKeys(project(INACTIVE), project(INACTIVE.replace('/usr/bin/qemu-system-x86_64', '/tmp/wrapper')))).toEqual(['/domain/devices/*[not allowed]']);
    expect(differingKeys(project(INACTIVE), project(INACTIVE.replace("<log file='/var/log/libvirt/qemu/gridops-sandbox-serial.log'", "<log file='/etc/cron.d/guest'")))).toEqual(['/domain/devices/serial/log/@file']);
  });

  it('the first serial as another type differs', () => {
    const keys = differingKeys(project(INACTIVE), project(INACTIVE.replace("<serial type='pty'>", "<serial type='tcp'><source mode='bind' host='0.0.0.0' service='4555'/>")));
    expect(keys).toContain('/domain/devices/serial/@type');
  });

  it.each([
    ['qemu:commandline with -device vfio-pci', "<qemu:commandline><qemu:arg value='-device'/><qemu:arg value='vfio-pci,host=0000:01:00.0'/></qemu:commandline>"],
    ['qemu:override', "<qemu:override><qemu:device alias='net0'><qemu:frontend><qemu:property name='romfile' type='string' value='/etc/shadow'/></qemu:frontend></qemu:device></qemu:override>"],
  ])('%s differs', (_what, snippet) => {
    const xml = INACTIVE.replace("<domain type='qemu'>", "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>").replace('</devices>', `</devices>\n  ${snippet}`);
    expect(differingKeys(project(INACTIVE), project(xml))).toContain('count(/domain/qemu:*)');
  });

  it("the interface's anti-spoofing filter and the disk's explicit backing chain are owned", () => {
    const p = project(INACTIVE);
    expect(p['/domain/devices/interface/filterref/@filter']).toBe('clean-traffic');
    expect(p['/domain/devices/disk/backingStore']).toMatch(/^file raw \/var\/lib\/gridops\/images\/base-[0-9a-f]{64}\.img > \(end\)$/);
    expect(differingKeys(p, project(INACTIVE.replace(/\s*<filterref filter='clean-traffic'\/>/, '')))).toEqual(['/domain/devices/interface/filterref/@filter']);
    expect(differingKeys(p, project(INACTIVE.replace(/<backingStore\/>/, "<backingStore type='block'><format type='raw'/><source dev='/dev/sda'/></backingStore>")))).toEqual(['/domain/devices/disk/backingStore']);
  });
});

/** reserved-network.ts writes these out (the topology layer sits below resources): they are the sandbox's real device names. */
describe("the network names refused because their bridge is a sandbox device's", () => {
  it('are exactly the tap and its ifb', () => {
    for (const [network, { bridge }] of Object.entries(DEVICE_NAMED_NETWORKS)) expect(gridBridgeName(network)).toBe(bridge);
    expect(Object.values(DEVICE_NAMED_NETWORKS).map((n) => n.bridge).sort()).toEqual([SANDBOX_TAP, ifbOf(SANDBOX_TAP)].sort());
  });
});
