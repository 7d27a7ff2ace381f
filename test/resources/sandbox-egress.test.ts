import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { PlanningError } from '../../src/errors/index.js';
import { rateBits } from '../../src/resources/egress-config.js';
import { probeSections, splitProbeSections } from '../../src/resources/probe-sections.js';
import { SANDBOX_EGRESS_HOOK, SANDBOX_EGRESS_TC_FILE, SandboxEgressResource, ifbOf, sandboxHook, sandboxTcBatch } from '../../src/resources/sandbox-egress.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node, probeStdout } from './fixtures.js';

const TAP = 'gs-sandbox';
const DOMAIN = 'gridops-sandbox';
const ctx = (kernel = {}) => ({ node: node('n1'), facts: facts({ loadableModules: false, builtinModules: ['sch_htb'], ...kernel }) });
const fileOut = (content: string, mode = '644') => `regular file|${mode}|root|root|${content.length}\n${Buffer.from(content).toString('base64')}\n`;

/** tc -j output captured between two namespaces with the batch file loaded (iproute2 6.1). */
const TAP_QDISCS = '[{"kind":"noqueue","handle":"0:","root":true,"refcnt":2,"options":{}},{"kind":"ingress","handle":"ffff:","parent":"ffff:fff1","options":{}}]';
const FILTERS = `[{"protocol":"all","pref":1,"kind":"u32","chain":0},{"protocol":"all","pref":1,"kind":"u32","chain":0,"options":{"fh":"800:","ht_divisor":1}},{"protocol":"all","pref":1,"kind":"u32","chain":0,"options":{"fh":"800::1","order":1,"key_ht":"800","bkt":"0","not_in_hw":true,"match":{"value":"0","mask":"0","offmask":"","off":0},"actions":[{"order":1,"kind":"mirred","mirred_action":"redirect","direction":"egress","to_dev":"${ifbOf(TAP)}","control_action":{"type":"stolen"},"index":1,"ref":1,"bind":1}]}}]`;
const IFB_QDISCS = '[{"kind":"htb","handle":"1e9e:","root":true,"refcnt":2,"options":{"r2q":10,"default":"0x10","direct_packets_stat":0,"direct_qlen":32}}]';

interface Live {
  tools: string;
  tap: string;
  filters: string;
  ifb: string;
  tc: string;
  hook: string;
}
const stopped: Live = { tools: 'tc\nip\n', tap: '', filters: '', ifb: '', tc: 'absent\n', hook: 'absent\n' };
/** Loaded at `mbit`; `shown` is the rate as `tc class show` prints it. */
const running = (mbit: number, shown = `${mbit}Mbit`): Live => ({
  tools: 'tc\nip\n',
  tap: `tap\n${TAP_QDISCS}\n`,
  filters: FILTERS,
  ifb: `ifb\n${IFB_QDISCS}\n\nclass htb 1e9e:10 root prio 0 rate ${shown} ceil ${shown} burst 65512b cburst 65512b \n`,
  tc: fileOut(sandboxTcBatch(TAP, rateBits(mbit))),
  hook: fileOut(sandboxHook(DOMAIN, TAP), '755'),
});
const out = (l: Live) => execSync(probeSections(...[l.tools, l.tap, l.filters, l.ifb, l.tc, l.hook].map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();
const resource = (mbit: number | undefined) => new SandboxEgressResource({ mbit, domain: DOMAIN, tap: TAP });
async function record(r: SandboxEgressResource, change: Parameters<SandboxEgressResource['apply']>[0]): Promise<string[]> {
  const writer = new StepRecorder('n1');
  await r.apply(change, writer, ctx());
  return writer.steps.map((s) => s.command);
}

describe('sandbox-egress resource', () => {
  it('the batch file redirects what the tap receives to the ifb and holds it there; the hook loads it when the domain has started', () => {
    const batch = sandboxTcBatch(TAP, rateBits(100));
    expect(batch).toContain('qdisc replace dev gs-sandbox handle ffff: ingress\n');
    expect(batch).toContain('filter replace dev gs-sandbox parent ffff: protocol all prio 1 handle 800::1 u32 match u32 0 0 action mirred egress redirect dev gs-sandbox-ifb\n');
    expect(batch).toContain('class replace dev gs-sandbox-ifb parent 1e9e: classid 1e9e:10 htb rate 100000000bit ceil 100000000bit');
    const hook = sandboxHook(DOMAIN, TAP);
    expect(hook).toContain('[ "$1" = gridops-sandbox ] && [ "$2" = started ] || exit 0');
    expect(hook).toContain('exec tc -batch /etc/gridops/sandbox-egress.tc');
    // The hook does nothing for other domains and events: run it for real.
    expect(execSync(`sh -c ${quote(hook)} hook other-vm started begin -; echo rc=$?`, { shell: '/bin/sh' }).toString()).toBe('rc=0\n');
    expect(execSync(`sh -c ${quote(hook)} hook gridops-sandbox stopped end -; echo rc=$?`, { shell: '/bin/sh' }).toString()).toBe('rc=0\n');
  });

  it('with the VM stopped: writes the file and the hook and restarts libvirtd once (it finds hooks at start); nothing to load yet', async () => {
    const r = resource(100);
    const change = r.diff(out(stopped), ctx())!;
    expect(change).toMatchObject({ kind: 'sandbox-egress', action: 'create', steps: ['write-files', 'write-hook', 'restart-libvirtd'] });
    expect(change.summary).toContain('the VM is not running, its start loads the limit');
    const commands = await record(r, change);
    const restart = commands.find((c) => c.includes('libvirtd.service'))!;
    /** The systemctl calls the restart makes where the units in `active` run (a fake systemctl; any other unit is not found). */
    const restartWith = (active: string[]) => {
      const bin = mkdtempSync(join(tmpdir(), 'gridops-systemctl-'));
      try {
        const running = active.map((u) => `"is-active --quiet ${u}"`).join('|');
        writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> "$(dirname "$0")/calls"\ncase "$*" in ${running ? `${running}) exit 0;;` : ''} is-active*) exit 4;; restart*) exit 0;; *) echo "Unit not found." >&2; exit 5;; esac\n`, { mode: 0o755 });
        expect(execSync(`PATH=${quote(bin)}:$PATH; ${restart}; echo rc=$?`, { shell: '/bin/sh' }).toString()).toBe('rc=0\n');
        return readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n').filter((c) => c.startsWith('restart'));
      } finally {
        rmSync(bin, { recursive: true, force: true });
      }
    };
    // Where libvirt is not installed yet (the qos playbook ran first), systemctl knows no libvirtd: no error, no restart.
    expect(restartWith([])).toEqual([]);
    expect(restartWith(['libvirtd.service'])).toEqual(['restart libvirtd.service']);
    // A host running the modular daemons: virtqemud runs the QEMU hooks, so it is the one to restart.
    expect(restartWith(['virtqemud.service'])).toEqual(['restart virtqemud.service']);
    // Written as every file is (StepRecorder.write): a temp file gets the mode, then replaces the hook.
    expect(commands.join('\n')).toContain('chmod 0755 /proc/self/fd/9');
    expect(commands.join('\n')).toContain(`mv -f -T -- "$t" ${SANDBOX_EGRESS_HOOK}`);
  });

  it('with the VM running: loads the limit now, by running the hook as libvirt would', async () => {
    const live = { ...running(100), filters: '', ifb: '', tap: 'tap\n[{"kind":"noqueue","handle":"0:","root":true,"refcnt":2,"options":{}}]\n' };
    const r = resource(100);
    const change = r.diff(out(live), ctx())!;
    expect(change.steps).toEqual(['load']);
    expect(await record(r, change)).toEqual([`${SANDBOX_EGRESS_HOOK} gridops-sandbox started begin -`]);
  });

  it('plans nothing when loaded; a new rate is one change, in place', async () => {
    expect(resource(100).diff(out(running(100)), ctx())).toBeNull();
    const r = resource(20);
    const change = r.diff(out(running(100)), ctx())!;
    expect(change).toMatchObject({ action: 'update', steps: ['write-files', 'rate'] });
    expect((await record(r, change)).at(-1)).toBe('tc class replace dev gs-sandbox-ifb parent 1e9e: classid 1e9e:10 htb rate 20000000bit ceil 20000000bit burst 65536b cburst 65536b quantum 60000');
  });

  // iproute2's print_rate divides by 1000 with integer division once the value reaches 1000*1000 of its unit.
  it.each([[1234.5, '1234Mbit'], [1000.5, '1Gbit'], [3.14159, '3141Kbit'], [10000.1, '10Gbit'], [100, '100Mbit'], [2.5, '2500Kbit']] as Array<[number, string]>)(
    'apply then plan is 0 changes at %p Mbit/s, which tc shows as %s; a different rate is still a change',
    (mbit, shown) => {
      expect(resource(mbit).diff(out(running(mbit, shown)), ctx())).toBeNull();
      expect(resource(mbit).diff(out(running(mbit, '7Mbit')), ctx())!.steps).toEqual(['rate']);
    },
  );

  it('without egressMbit removes the hook, the file, the tap\'s ingress and the ifb', async () => {
    const r = resource(undefined);
    const change = r.diff(out(running(100)), ctx())!;
    expect(change).toMatchObject({ action: 'delete', steps: ['remove'] });
    const commands = (await record(r, change)).join('\n');
    expect(commands).toContain(`rm -f -- ${SANDBOX_EGRESS_HOOK} ${SANDBOX_EGRESS_TC_FILE}`);
    expect(commands).toContain('tc qdisc del dev gs-sandbox ingress');
    expect(commands).toContain('ip link del dev gs-sandbox-ifb');
    expect(r.diff(out(stopped), ctx())).toBeNull();
  });

  it('installs iproute2 where the node lacks tc or ip, as egress-limit does, and the running VM gets the limit in the same apply', async () => {
    const r = resource(100);
    const change = r.diff(out({ ...stopped, tools: 'ip\n' }), ctx())!;
    expect(change).toMatchObject({ packages: ['iproute2'], steps: ['install-tools', 'write-files', 'write-hook', 'restart-libvirtd'] });
    expect(change.fields[0]).toEqual({ name: 'iproute2', before: null, after: 'installed' });
    const commands = await record(r, change);
    const install = commands.findIndex((c) => /apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install -y -q --no-install-recommends iproute2 /.test(c));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(install).toBeLessThan(commands.findIndex((c) => c.includes(SANDBOX_EGRESS_TC_FILE)));
    // Without ip the tap still shows (in /sys/class/net), so a running VM is loaded now, not at its next start.
    const running100 = { ...running(100), tools: '', tap: 'tap\n', filters: '', ifb: '' };
    expect(r.diff(out(running100), ctx())).toMatchObject({ packages: ['iproute2'], steps: ['install-tools', 'load'] });
  });

  it('its probe runs in a real shell and reads nothing but state (no tap here: the VM is not running)', () => {
    const sections = splitProbeSections(probeStdout(resource(100).probe()));
    expect(sections).toHaveLength(7); // the last: the modules modprobe finds nowhere
    expect(sections[1]).toBe('');
    expect(sections[3]).toBe('');
  });

  it('is a plan error naming the node when it lacks htb, or iproute2 that gridops cannot install', () => {
    expect(() => resource(100).diff(out(stopped), ctx({ builtinModules: [] }))).toThrow(PlanningError);
    expect(() => resource(100).diff(out(stopped), ctx({ builtinModules: [] }))).toThrow(/^n1: qos.egressMbit for the sandbox VM needs the kernel's htb qdisc/);
    const noManager = { ...ctx(), facts: { ...ctx().facts, packageManager: null } };
    expect(() => resource(100).diff(out({ ...stopped, tools: '' }), noManager)).toThrow(/^n1: qos.egressMbit for the sandbox VM needs iproute2 \(for tc, ip\), which n1 lacks and gridops cannot install/);
  });
});
