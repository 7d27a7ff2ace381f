/**
 * grid-network-rename's command stops the sandbox VM, then destroys and undefines the old grid
 * network. A `domstate` that failed was read as "not running", so the network was replaced under a
 * VM that may run; and a failed `net-destroy` was ignored, so the network was undefined while it ran.
 * Now a read that fails for another reason than libvirt's words for a domain it does not have fails
 * the step (the host's batch stops there, before the hypervisor playbook's new network), as does a
 * `net-destroy` failing otherwise than on a network already stopped or gone; a run again after any
 * partial run completes it. The command runs as the batch runs it, in a real shell with a fake
 * `virsh` first on PATH that keeps the VM's and the network's state in files.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import type { CommandChange } from '../../src/plan/change.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { smallGrid } from '../resources/fixtures.js';

const grid = smallGrid('defaults: { hypervisor: { enabled: true, sandbox: { image: sandbox.img } } }');
const node = allNodes(grid)[0]!;
const command = (): string => {
  const r = instantiate(loadPlaybook('grid-network-rename'), templateContext(grid, node)).resources.find((x) => x.id === 'command remove-renamed-grid-network')!;
  return (r.diff('', undefined as never) as CommandChange).command;
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-fake-virsh-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The fake host: the VM's state (`absent`, or what domstate prints), the network's (`absent`, `active`, `inactive`), and errors to give instead. */
interface Host {
  vm: string;
  network: 'absent' | 'active' | 'inactive';
  /** domstate fails with this error, from its `domstateFailsFrom`-th call on (1 = every call). */
  domstateError?: string;
  domstateFailsFrom?: number;
  /** The guest ignores the ACPI shutdown. */
  ignoresShutdown?: boolean;
  netDestroyError?: string;
}

/**
 * libvirt 9.0's words under LC_ALL=C: a domain it does not have is only virsh's "failed to get
 * domain"; a network, virsh's line and libvirt's; a network not running, "Requested operation is
 * not valid". The state lives in files under `d`.
 */
const fakeVirsh = (d: string) => `#!/bin/sh
d='${d}'
echo "$*" >> "$d/calls"
case " $* " in
*" domstate "*)
  n=$(($(cat "$d/domstate-calls" 2>/dev/null || echo 0) + 1)); echo $n > "$d/domstate-calls"
  if [ -e "$d/domstate-error" ] && [ $n -ge "$(cat "$d/domstate-fails-from")" ]; then cat "$d/domstate-error" >&2; exit 1; fi
  vm=$(cat "$d/vm"); [ "$vm" = absent ] && { echo "error: failed to get domain 'gridops-sandbox'" >&2; exit 1; }
  echo "$vm";;
*" shutdown "*) [ -e "$d/ignores-shutdown" ] || echo 'shut off' > "$d/vm";;
*" destroy "*) [ "$(cat "$d/vm")" = 'shut off' ] && { echo "error: Failed to destroy domain 'gridops-sandbox'" >&2; echo 'error: Requested operation is not valid: domain is not running' >&2; exit 1; }; echo 'shut off' > "$d/vm";;
*" net-destroy "*)
  [ -e "$d/net-destroy-error" ] && { cat "$d/net-destroy-error" >&2; exit 1; }
  case "$(cat "$d/network")" in
  absent) printf '%s\\n' "error: failed to get network 'grid-net'" "error: Network not found: no network with matching name 'grid-net'" >&2; exit 1;;
  inactive) printf '%s\\n' "error: Failed to destroy network grid-net" "error: Requested operation is not valid: network 'grid-net' is not active" >&2; exit 1;;
  esac
  echo inactive > "$d/network";;
*" net-undefine "*)
  [ "$(cat "$d/network")" = absent ] && { printf '%s\\n' "error: failed to get network 'grid-net'" "error: Network not found: no network with matching name 'grid-net'" >&2; exit 1; }
  echo absent > "$d/network";;
*) echo "unexpected: $*" >&2; exit 2;;
esac
`;
const host = (h: Host) => {
  writeFileSync(join(dir, 'virsh'), fakeVirsh(dir));
  chmodSync(join(dir, 'virsh'), 0o755);
  writeFileSync(join(dir, 'vm'), `${h.vm}\n`);
  writeFileSync(join(dir, 'network'), `${h.network}\n`);
  if (h.domstateError !== undefined) (writeFileSync(join(dir, 'domstate-error'), `${h.domstateError}\n`), writeFileSync(join(dir, 'domstate-fails-from'), String(h.domstateFailsFrom ?? 1)));
  if (h.ignoresShutdown) writeFileSync(join(dir, 'ignores-shutdown'), '');
  if (h.netDestroyError !== undefined) writeFileSync(join(dir, 'net-destroy-error'), `${h.netDestroyError}\n`);
};
/** The command as the host's batch runs a step (engine/batch-script.ts): in a subshell, its failure ending the batch. */
const run = () => spawnSync('/bin/sh', ['-c', `( ${command()}\n) < /dev/null || exit $?\necho batch-went-on`], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin` } });
const calls = () => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : []).map((l) => l.replace('-q -c qemu:///system ', ''));
const state = (name: 'vm' | 'network') => readFileSync(join(dir, name), 'utf8').trim();

describe('grid-network-rename: the VM stop before the network goes', () => {
  it("a domstate libvirt fails otherwise than with its words for a domain it does not have: the step fails with virsh's error, the network stays, the batch stops", () => {
    host({ vm: 'running', network: 'active', domstateError: "error: access denied: 'domain.read' denied" });
    const out = run();
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain("access denied: 'domain.read' denied");
    expect(out.stdout).not.toContain('batch-went-on');
    expect(calls().filter((c) => c.startsWith('net-'))).toEqual([]);
    expect(state('network')).toBe('active');
  });

  it('a domstate that fails while it waits for the shutdown: the step fails there, before the network', () => {
    host({ vm: 'running', network: 'active', ignoresShutdown: true, domstateError: 'error: internal error: client socket is closed', domstateFailsFrom: 2 });
    const out = run();
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('client socket is closed');
    expect(calls()).not.toContain('destroy gridops-sandbox');
    expect(state('network')).toBe('active');
  });

  it('a running VM is shut down, then the network destroyed and undefined', () => {
    host({ vm: 'running', network: 'active' });
    const out = run();
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('batch-went-on');
    expect(calls()).toEqual(['domstate gridops-sandbox', 'shutdown gridops-sandbox', 'domstate gridops-sandbox', 'net-destroy grid-net', 'net-undefine grid-net']);
    expect([state('vm'), state('network')]).toEqual(['shut off', 'absent']);
  });

  it('a paused VM (its NIC on the network too), which an ACPI shutdown cannot stop, is destroyed before the network goes', () => {
    host({ vm: 'paused', network: 'active' });
    expect(run().status).toBe(0);
    expect(calls()).toEqual(['domstate gridops-sandbox', 'destroy gridops-sandbox', 'net-destroy grid-net', 'net-undefine grid-net']);
    expect([state('vm'), state('network')]).toEqual(['shut off', 'absent']);
  });

  it('no VM (libvirt: "failed to get domain"), or one shut off: the network goes', () => {
    for (const vm of ['absent', 'shut off']) {
      host({ vm, network: 'active' });
      rmSync(join(dir, 'calls'), { force: true });
      expect(run().status).toBe(0);
      expect(calls()).toEqual(['domstate gridops-sandbox', 'net-destroy grid-net', 'net-undefine grid-net']);
      expect(state('network')).toBe('absent');
    }
  });

  it('a net-destroy failing otherwise than on a network stopped or gone fails the step: the network is not undefined while it runs', () => {
    host({ vm: 'shut off', network: 'active', netDestroyError: 'error: Failed to destroy network grid-net\nerror: internal error: Network is already in use' });
    const out = run();
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('internal error: Network is already in use');
    expect(calls()).not.toContain('net-undefine grid-net');
  });

  it('run again after a run that stopped the network but not undefined it: completes (libvirt\'s "not active" is no failure)', () => {
    host({ vm: 'shut off', network: 'inactive' });
    expect(run().status).toBe(0);
    expect(state('network')).toBe('absent');
  });
});
