/**
 * The removal playbooks' libvirt objects (hypervisor-off and reset: `absent-libvirt` entries for the
 * sandbox VM, the grid network and the pool; grid-network-rename's command for the renamed network)
 * are gone only where libvirt answers that it has no such object, in its own words for that kind of
 * object (or virsh, or libvirt's daemon, is not installed, or libvirt does not answer and has no
 * definition of it on disk). A libvirt that does not answer once read as "gone" let hypervisor-off
 * skip the VM, network and pool, then remove libvirtd's drop-in, stop the input filter under a VM that
 * may still run, delete the disks and clear the state's sandbox record; so did a libvirt that answers
 * but fails to read the network or pool for another reason (access denied, a driver error). Now the
 * absent-libvirt entries read libvirt at plan time and such a host's plan is an error (nothing of it
 * runs); the rename's command runs instead and fails with virsh's error. Each probe and command runs
 * in a real shell with a fake `virsh` (and `libvirtd`) first on PATH, under a test root that holds the
 * daemons and definitions each case puts there (libvirt-host-root.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PlanningError } from '../../src/errors/index.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import type { Change, CommandChange } from '../../src/plan/change.js';
import type { Resource } from '../../src/resources/resource.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { fakeLibvirtHost, underRoot } from '../resources/libvirt-host-root.js';
import { smallGrid } from '../resources/fixtures.js';

/** virsh 9.0's words when libvirtd and its sockets are stopped (Debian 12). */
const NOT_ANSWERING = "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory";
/** libvirt's words (LC_ALL=C, libvirt 9.0 on the lab's Debian 12) for an object it does not have. */
const NOT_FOUND = {
  domain: "error: failed to get domain 'gridops-sandbox'",
  network: "error: failed to get network 'grid-net'\nerror: Network not found: no network with matching name 'grid-net'",
  pool: "error: failed to get pool 'gridops'\nerror: Storage pool not found: no storage pool with matching name 'gridops'",
};
/** What virsh's info command prints for each object that is there and running. */
const INFO = { domain: 'Name: gridops-sandbox\nState: running', network: 'Name: grid-net\nActive: yes', pool: 'Name: gridops\nState: running' };

type Object = keyof typeof NOT_FOUND;
/** Each removal entry, with what it removes and libvirt's definition file of it (the network's name is the topology's, grid-net). */
const entries: Array<[playbook: string, id: string, object: Object, definition: string]> = [
  ['hypervisor-off', 'absent-libvirt domain gridops-sandbox', 'domain', '/etc/libvirt/qemu/gridops-sandbox.xml'],
  ['hypervisor-off', 'absent-libvirt network grid-net', 'network', '/etc/libvirt/qemu/networks/grid-net.xml'],
  ['hypervisor-off', 'absent-libvirt pool gridops', 'pool', '/etc/libvirt/storage/gridops.xml'],
  ['reset', 'absent-libvirt domain gridops-sandbox', 'domain', '/etc/libvirt/qemu/gridops-sandbox.xml'],
  ['reset', 'absent-libvirt network grid-net', 'network', '/etc/libvirt/qemu/networks/grid-net.xml'],
  ['reset', 'absent-libvirt pool gridops', 'pool', '/etc/libvirt/storage/gridops.xml'],
];
const RENAME = 'command remove-renamed-grid-network';
const NETWORK_DEFINITION = '/etc/libvirt/qemu/networks/grid-net.xml';

const grid = smallGrid('defaults: { hypervisor: { enabled: true, sandbox: { image: sandbox.img } } }');
const node = allNodes(grid)[0]!;
const step = (playbook: string, id: string): Resource => {
  const r = instantiate(loadPlaybook(playbook), templateContext(grid, node)).resources.find((x) => x.id === id);
  if (!r) throw new Error(`${playbook} has no ${id}`);
  return r;
};

const host = fakeLibvirtHost();

const { fake } = host;
const defined = (path: string) => {
  mkdirSync(dirname(join(host.root, path)), { recursive: true });
  writeFileSync(join(host.root, path), '<definition/>');
};
/** A script's run on the fake host: its exit status and output. */
const sh = (script: string) => spawnSync('/bin/sh', ['-c', underRoot(script, host.root)], { encoding: 'utf8', env: { PATH: `${host.bin}:/usr/bin:/bin` } });
const planned = (r: Resource) => r.diff(sh(r.probe()).stdout, { node, facts: undefined as never }) as Change | null;
/** The change's steps as the host's batch runs them: each in a subshell, the first failure ending the batch (engine/batch-script.ts). */
const applied = async (r: Resource, change: Change) => {
  const recorder = new StepRecorder(node.name);
  recorder.begin(change.id);
  await r.apply(change as never, recorder, { node, facts: undefined as never });
  return sh(recorder.steps.map((s) => `( ${s.command}\n) < /dev/null || exit $?`).join('\n'));
};

/** A virsh whose libvirt does not answer: every call fails as virsh does with libvirtd and its sockets stopped. */
const unanswering = () => fake('virsh', `printf '%s\\n' "${NOT_ANSWERING}" >&2; exit 1`);
/** A virsh whose libvirt answers (`uri`) and fails every other call with `error` (or prints `info`). */
const answering = (reply: { error: string } | { info: string }) =>
  fake('virsh', `case " $* " in *" uri "*) echo qemu:///system;; *) ${'info' in reply ? `printf '%s\\n' '${reply.info}'` : `printf '%s\\n' "${reply.error}" >&2; exit 1`};; esac`);

describe.each(entries)('%s %s', (playbook, id, object, definition) => {
  it('libvirt not answering, its definition on disk: the plan is an error naming the cause and what to do (nothing runs)', () => {
    unanswering();
    fake('libvirtd', 'exit 0');
    defined(definition);
    const r = step(playbook, id);
    expect(() => planned(r)).toThrow(PlanningError);
    expect(() => planned(r)).toThrow("cannot read libvirt: libvirt not answering: error: Failed to connect socket to '/var/run/libvirt/libvirt-sock'");
    try {
      planned(r);
    } catch (error) {
      expect((error as PlanningError).hint).toMatch(/^start it \(systemctl start libvirtd\.socket libvirtd\.service\)/);
    }
  });

  it("libvirt not answering because the sandbox input filter it requires failed: the plan error names the filter's unit", () => {
    unanswering();
    fake('libvirtd', 'exit 0');
    fake('systemctl', 'case " $* " in *" is-failed "*) exit 0;; esac; exit 1');
    defined(definition);
    expect(() => planned(step(playbook, id))).toThrow('libvirtd cannot start: the sandbox input filter unit it requires (gridops-sandbox-input.service) failed');
  });

  it('libvirt not answering, no definition of it on disk: gone', () => {
    unanswering();
    fake('libvirtd', 'exit 0');
    expect(planned(step(playbook, id))).toBeNull();
  });

  it("libvirt answering: gone where it says, in its words for this kind of object, that it has none; removed where it has", () => {
    fake('libvirtd', 'exit 0');
    answering({ error: NOT_FOUND[object] });
    expect(planned(step(playbook, id))).toBeNull();
    defined(definition);
    answering({ info: INFO[object] });
    expect(planned(step(playbook, id))).toMatchObject({ kind: 'absent-libvirt', action: 'delete', summary: expect.stringMatching(/^destroy and undefine /) });
  });

  it('libvirt answering but failing to read it for another reason (access denied, a driver error): a plan error, not taken for gone', () => {
    fake('libvirtd', 'exit 0');
    defined(definition);
    answering({ error: `error: access denied: '${object}.read' denied` });
    expect(() => planned(step(playbook, id))).toThrow(`cannot read libvirt: error: access denied: '${object}.read' denied`);
  });

  it("virsh's own \"failed to get\" line alone (all virsh 9.0 says of any failed domain lookup) while libvirt keeps the definition: a plan error, not taken for gone", () => {
    fake('libvirtd', 'exit 0');
    defined(definition);
    answering({ error: `error: failed to get ${object} '${object === 'domain' ? 'gridops-sandbox' : object === 'network' ? 'grid-net' : 'gridops'}'` });
    expect(() => planned(step(playbook, id))).toThrow(PlanningError);
  });

  it('the words another kind of object uses for "not found" do not make this one gone', () => {
    fake('libvirtd', 'exit 0');
    const other: Object = object === 'pool' ? 'network' : 'pool';
    answering({ error: NOT_FOUND[other] });
    expect(() => planned(step(playbook, id))).toThrow(PlanningError);
  });

  it("virsh installed, libvirt's daemon not (libvirtd, virtqemud neither on PATH nor in /usr/sbin): gone", () => {
    for (const dir of ['/usr/bin', '/bin']) for (const daemon of ['libvirtd', 'virtqemud']) expect(existsSync(join(dir, daemon))).toBe(false);
    unanswering();
    defined(definition);
    expect(planned(step(playbook, id))).toBeNull();
  });

  it('no virsh: gone', () => {
    fake('libvirtd', 'exit 0');
    defined(definition);
    expect(planned(step(playbook, id))).toBeNull();
  });

  it('every virsh call of the probe and of the removal passes -c qemu:///system', async () => {
    fake('libvirtd', 'exit 0');
    const calls = join(host.bin, 'calls');
    fake('virsh', `echo "$*" >> '${calls}'; case " $* " in *" uri "*) echo qemu:///system;; *info*) printf '%s\\n' '${INFO[object]}';; esac`);
    const r = step(playbook, id);
    const change = planned(r)!;
    expect((await applied(r, change)).status).toBe(0);
    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    expect(lines.some((l) => /(^| )(pool-|net-)?undefine /.test(l))).toBe(true);
    for (const line of lines) expect(line).toMatch(/^-q -c qemu:\/\/\/system /);
  });
});

describe('grid-network-rename (a command: it shuts the VM down and keeps it)', () => {
  it("libvirt not answering, its definition on disk: planned, and the run fails with virsh's error", () => {
    unanswering();
    fake('libvirtd', 'exit 0');
    defined(NETWORK_DEFINITION);
    const change = planned(step('grid-network-rename', RENAME)) as CommandChange;
    expect(change).toMatchObject({ kind: 'command', action: 'run' });
    const run = sh(change.command);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Failed to connect socket');
  });

  it('libvirt not answering, no definition of it on disk: gone', () => {
    unanswering();
    fake('libvirtd', 'exit 0');
    expect(planned(step('grid-network-rename', RENAME))).toBeNull();
  });

  it("libvirt answering: gone only where it says, in its words for a network, that it has none", () => {
    fake('libvirtd', 'exit 0');
    defined(NETWORK_DEFINITION);
    answering({ error: NOT_FOUND.network });
    expect(planned(step('grid-network-rename', RENAME))).toBeNull();
    answering({ error: "error: access denied: 'network.read' denied" });
    expect(planned(step('grid-network-rename', RENAME))).toMatchObject({ action: 'run' });
    // virsh's own line first, as it prints it whatever made its lookup of the network fail.
    answering({ error: "error: failed to get network 'grid-net'\nerror: access denied: 'network.read' denied" });
    const change = planned(step('grid-network-rename', RENAME)) as CommandChange;
    expect(change).toMatchObject({ action: 'run' });
    const run = sh(change.command);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('access denied');
    answering({ info: INFO.network });
    expect(planned(step('grid-network-rename', RENAME))).toMatchObject({ action: 'run' });
  });

  it("the VM's domstate failing with virsh's bare \"failed to get domain\" while libvirt keeps the VM's definition: the run fails before the network goes", () => {
    fake('libvirtd', 'exit 0');
    defined(NETWORK_DEFINITION);
    defined('/etc/libvirt/qemu/gridops-sandbox.xml');
    const calls = join(host.bin, 'calls');
    fake('virsh', `echo "$*" >> '${calls}'; case " $* " in *" uri "*) echo qemu:///system;; *" net-info "*) printf '%s\\n' '${INFO.network}';; *" domstate "*|*" destroy "*) echo "error: failed to get domain 'gridops-sandbox'" >&2; exit 1;; esac`);
    const change = planned(step('grid-network-rename', RENAME)) as CommandChange;
    const run = sh(change.command);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("failed to get domain 'gridops-sandbox'");
    expect(readFileSync(calls, 'utf8')).not.toMatch(/net-(destroy|undefine)/);
  });

  it("the same line with no definition of the VM on disk: no VM, the network goes", () => {
    fake('libvirtd', 'exit 0');
    defined(NETWORK_DEFINITION);
    const calls = join(host.bin, 'calls');
    fake('virsh', `echo "$*" >> '${calls}'; case " $* " in *" uri "*) echo qemu:///system;; *" net-info "*) printf '%s\\n' '${INFO.network}';; *" domstate "*) echo "error: failed to get domain 'gridops-sandbox'" >&2; exit 1;; esac`);
    const change = planned(step('grid-network-rename', RENAME)) as CommandChange;
    expect(sh(change.command).status).toBe(0);
    expect(readFileSync(calls, 'utf8')).toMatch(/net-undefine grid-net/);
  });

  it('no bare virsh: every call passes -c qemu:///system', () => {
    const r = step('grid-network-rename', RENAME);
    const change = r.diff('', undefined as never) as CommandChange;
    // The run, and the probe that holds its `unless`; `command -v virsh` only asks whether it is installed.
    for (const text of [change.command, r.probe()]) {
      const calls = text.match(/(?<!-v )virsh [^;|&)]*/g) ?? [];
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) expect(call).toMatch(/^virsh -q -c qemu:\/\/\/system /);
    }
  });
});
