import { jest } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors/index.js';
import { readmeExitCodes } from '../cli/readme-exit-codes.js';
import { gridops, gridopsAsync, ROOT } from './support/cli.js';
import { describeLab } from './support/lab.js';

/**
 * Reliability on a real systemd container: a step that fails after its file was written leaves
 * the node as it was (real sysctl, real systemd-analyze), and the exit codes of README's table
 * that need a host (2: changes pending, 1: not confirmed, 130: interrupted), from the real binary;
 * and a package install that converges on a node whose dpkg was killed mid-run, or left triggers
 * pending (real dpkg and apt).
 */
jest.setTimeout(300_000);

describeLab('a failed step leaves the host as it was; exit codes', { kind: 'container', nodes: 1 }, (lab) => {
  const run = async (command: string) => (await lab.ssh('node-01', command)).stdout.trim();
  const key = 'net.ipv4.tcp_keepalive_time';
  const file = `/etc/sysctl.d/99-zz-gridops-${key}.conf`;
  /** The lab topology with this sysctl value, beside it (so it shares the lab's state dir). */
  const withSysctl = (value: string) => {
    const path = join(lab.dir, `topology-sysctl-${value.replace(/\W/g, '_')}.yaml`);
    writeFileSync(path, readFileSync(lab.topology, 'utf8').replace('\ndefaults:\n', `\ndefaults:\n  kernel: { sysctl: { ${key}: ${JSON.stringify(value)} } }\n`));
    return path;
  };
  /** Temp files of a write (`.NAME.gridops.XXXXXX`, or a staged write's `.gridops-XXXXXX~NAME`) left behind. */
  const leftovers = () => run("ls -A /etc /etc/sysctl.d /etc/systemd/system | grep -E '\\.gridops[.-]' || true");

  it('a sysctl value the kernel refuses (it passes validate: one word) leaves no file, and then leaves the good one', async () => {
    const bad = withSysctl('abc');
    expect(gridops(['validate', bad]).status).toBe(0);
    const live = await run(`sysctl -n ${key}`);
    const failed = gridops(['apply', bad, '--yes']);
    expect(failed.status).toBe(ExitCode.FAILURE);
    expect(failed.stdout + failed.stderr).toContain('the file was left as it was');
    expect(await run(`test -e ${file} && echo present || echo absent`)).toBe('absent');
    expect(await leftovers()).toBe('');
    expect(await run(`sysctl -n ${key}`)).toBe(live);

    expect(gridops(['apply', withSysctl('600'), '--yes']).status).toBe(ExitCode.OK);
    expect(await run(`cat ${file}`)).toBe(`# managed by gridops\n${key} = 600`);
    expect(gridops(['apply', bad, '--yes']).status).toBe(ExitCode.FAILURE);
    expect(await run(`cat ${file}`)).toBe(`# managed by gridops\n${key} = 600`);
    expect(await run(`sysctl -n ${key}`)).toBe('600');
    expect(await leftovers()).toBe('');
  });

  it('a key that left kernel.sysctl: the next apply removes its file (the running value stays), then plan has zero changes', async () => {
    const dropped = 'net.ipv4.tcp_fin_timeout';
    const droppedFile = `/etc/sysctl.d/99-zz-gridops-${dropped}.conf`;
    const both = join(lab.dir, 'topology-sysctl-two-keys.yaml');
    writeFileSync(both, readFileSync(lab.topology, 'utf8').replace('\ndefaults:\n', `\ndefaults:\n  kernel: { sysctl: { ${key}: "600", ${dropped}: "45" } }\n`));
    expect(gridops(['apply', both, '--yes']).status).toBe(ExitCode.OK);
    expect(await run(`cat ${droppedFile}`)).toBe(`# managed by gridops\n${dropped} = 45`);

    const one = withSysctl('600');
    const plan = gridops(['plan', one, '--detailed-exitcode']);
    expect(plan.status).toBe(ExitCode.CHANGES_PRESENT);
    // The sweep removes the file under both names gridops has written it under (the older 90-gridops-, which 99-sysctl.conf overrode).
    expect(plan.stdout).toContain(`- absent-paths ${droppedFile},/etc/sysctl.d/90-gridops-${dropped}.conf\n`);
    expect(plan.stdout).toContain(`why: ${dropped} left kernel.sysctl; the running kernel keeps its value until the next boot`);
    expect(plan.stdout).toContain('Plan: 0 to create, 0 to change, 1 to remove');
    expect(gridops(['apply', one, '--yes']).status).toBe(ExitCode.OK);
    expect(await run(`test -e ${droppedFile} || test -L ${droppedFile} && echo present || echo absent`)).toBe('absent');
    expect(await run(`cat ${file}`)).toBe(`# managed by gridops\n${key} = 600`);
    expect(await run(`sysctl -n ${dropped}`)).toBe('45');

    const after = gridops(['plan', one, '--detailed-exitcode']);
    expect({ status: after.status, stdout: after.stdout }).toEqual({ status: ExitCode.OK, stdout: expect.stringContaining('No changes.') });
  });

  it("a playbook's own sysctl entry it dropped, then the playbook the topology dropped: each next apply removes the file (the running value stays), then plan has zero changes", async () => {
    const [kept, dropped] = ['net.ipv4.tcp_syn_retries', 'net.ipv4.tcp_synack_retries'];
    const fileOf = (k: string) => `/etc/sysctl.d/99-zz-gridops-${k}.conf`;
    const own = join(lab.dir, 'own-sysctls.yaml');
    const entry = (k: string, v: string) => `  - sysctl: { key: ${k}, value: "${v}" }\n`;
    writeFileSync(own, `name: own-sysctls\nresources:\n${entry(kept, '5')}${entry(dropped, '4')}`);
    const base = readFileSync(withSysctl('600'), 'utf8');
    const listed = join(lab.dir, 'topology-own-playbook.yaml');
    writeFileSync(listed, `${base}\nplaybooks: [${JSON.stringify(own)}]\n`);
    expect(gridops(['apply', listed, '--yes']).status).toBe(ExitCode.OK);
    expect(await run(`cat ${fileOf(dropped)}`)).toBe(`# managed by gridops\n${dropped} = 4`);

    writeFileSync(own, `name: own-sysctls\nresources:\n${entry(kept, '5')}`);
    const plan = gridops(['plan', listed, '--detailed-exitcode']);
    expect(plan.status).toBe(ExitCode.CHANGES_PRESENT);
    expect(plan.stdout).toContain(`- absent-paths ${fileOf(dropped)},/etc/sysctl.d/90-gridops-${dropped}.conf\n`);
    expect(plan.stdout).toContain(`why: ${dropped} left playbook ${own}; the running kernel keeps its value until the next boot`);
    expect(plan.stdout).toContain('Plan: 0 to create, 0 to change, 1 to remove');
    // A --playbook run of other work leaves the topology's playbook and its files alone.
    expect(gridops(['plan', listed, '--detailed-exitcode', '--playbook', 'qos']).status).toBe(ExitCode.OK);
    expect(gridops(['apply', listed, '--yes']).status).toBe(ExitCode.OK);
    expect(await run(`test -e ${fileOf(dropped)} && echo present || echo absent`)).toBe('absent');
    expect(await run(`sysctl -n ${dropped}`)).toBe('4');
    expect(await run(`cat ${fileOf(kept)}`)).toBe(`# managed by gridops\n${kept} = 5`);
    expect(gridops(['plan', listed, '--detailed-exitcode']).status).toBe(ExitCode.OK);

    // The topology drops the playbook: the next workflow run removes the file of its last entry.
    const unlisted = withSysctl('600');
    const gone = gridops(['plan', unlisted, '--detailed-exitcode']);
    expect(gone.status).toBe(ExitCode.CHANGES_PRESENT);
    expect(gone.stdout).toContain(`why: ${kept} left the host's workflow with playbook ${own}; the running kernel keeps its value until the next boot`);
    expect(gridops(['apply', unlisted, '--yes']).status).toBe(ExitCode.OK);
    expect(await run(`test -e ${fileOf(kept)} && echo present || echo absent`)).toBe('absent');
    expect(await run(`cat ${file}`)).toBe(`# managed by gridops\n${key} = 600`);
    const after = gridops(['plan', unlisted, '--detailed-exitcode']);
    expect({ status: after.status, stdout: after.stdout }).toEqual({ status: ExitCode.OK, stdout: expect.stringContaining('No changes.') });

    // Ad-hoc work: a playbook run with --playbook alone keeps its file through workflow runs.
    const adHoc = join(lab.dir, 'ad-hoc-sysctl.yaml');
    writeFileSync(adHoc, `name: ad-hoc-sysctl\nresources:\n${entry(kept, '5')}`);
    expect(gridops(['apply', unlisted, '--yes', '--playbook', adHoc]).status).toBe(ExitCode.OK);
    const workflow = gridops(['plan', unlisted, '--detailed-exitcode']);
    expect({ status: workflow.status, stdout: workflow.stdout }).toEqual({ status: ExitCode.OK, stdout: expect.stringContaining('No changes.') });
    expect(await run(`cat ${fileOf(kept)}`)).toBe(`# managed by gridops\n${kept} = 5`);
  });

  it('a unit systemd cannot load (systemd-analyze verify refuses it) leaves no unit file', async () => {
    const dir = join(lab.dir, 'bad-unit');
    mkdirSync(join(dir, 'templates'), { recursive: true });
    writeFileSync(join(dir, 'templates', 'broken.service.hbs'), '[Unit]\nDescription=broken\n[Service]\nExecStart=/no/such/binary\n');
    writeFileSync(join(dir, 'broken.yaml'), 'name: broken\nresources:\n  - systemd-unit: { unit: gridops-e2e-broken.service, template: broken.service.hbs }\n');
    const r = gridops(['apply', withSysctl('600'), '--yes', '--playbook', join(dir, 'broken.yaml')]);
    expect(r.status).toBe(ExitCode.FAILURE);
    expect(r.stdout + r.stderr).toContain('is not executable');
    expect(await run('test -e /etc/systemd/system/gridops-e2e-broken.service && echo present || echo absent')).toBe('absent');
    expect(await leftovers()).toBe('');
  });

  it("README's exit codes that need a host: 2 (changes), 1 (not confirmed), 130 (interrupted), 0", async () => {
    expect(readmeExitCodes()).toEqual(expect.arrayContaining([0, 1, 2, 130]));
    const slow = `${ROOT}test/e2e/fixtures/slow.yaml`;
    const plan = gridops(['plan', lab.topology, '--detailed-exitcode', '--playbook', slow]);
    expect(plan.status).toBe(ExitCode.CHANGES_PRESENT);

    const refused = gridops(['apply', lab.topology, '--playbook', slow]);
    expect(refused.status).toBe(ExitCode.FAILURE);
    expect(refused.stderr).toContain('stdin is not a terminal');
    expect(refused.stderr).toContain('pass --yes');
    expect(await run('test -e /etc/gridops-slow && echo present || echo absent')).toBe('absent');

    const apply = gridopsAsync(['apply', lab.topology, '--yes', '--playbook', slow]);
    let stdout = '';
    apply.stdout!.on('data', (d) => (stdout += String(d)));
    apply.stderr!.resume();
    // Interrupt while the host's batch runs: the plan is printed, then the batch takes 2 s of pauses.
    const started = Date.now();
    while (!stdout.includes('pause-two') && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 700));
    apply.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => apply.once('exit', resolve));
    expect(code).toBe(ExitCode.INTERRUPTED);

    expect(gridops(['apply', lab.topology, '--yes', '--playbook', slow]).status).toBe(ExitCode.OK);
    expect(gridops(['plan', lab.topology, '--detailed-exitcode', '--playbook', slow]).status).toBe(ExitCode.OK);
  });

  it("a dpkg killed while it configured a package, beside one unpacked before the package it depends on (apt then refuses every install): apply finishes both as apt advises (dpkg --configure -a, then apt-get -f install), installs, and plan has zero changes", async () => {
    const pkg = 'gridops-e2e-interrupted';
    const dependent = 'gridops-e2e-dependent';
    const hold = '/run/gridops-e2e-hold';
    // A package whose postinst waits while the hold file exists: dpkg is killed there, as a lost
    // connection or a reboot would kill it, with the package half-configured in dpkg's journal.
    const interrupt = [
      'set -e',
      // Unpacked, its dependency (hello, from the mirror) not installed: what a Ctrl-C between two
      // packages of one install leaves, and what dpkg --configure -a cannot finish (dependency problems).
      'd=$(mktemp -d); mkdir "$d/DEBIAN"',
      `printf 'Package: ${dependent}\\nVersion: 1.0\\nArchitecture: all\\nDepends: hello\\nMaintainer: gridops e2e <e2e@gridops.invalid>\\nDescription: a package unpacked before the one it depends on\\n' > "$d/DEBIAN/control"`,
      `dpkg-deb -b "$d" /root/${dependent}.deb >/dev/null; rm -rf "$d"`,
      `dpkg --unpack /root/${dependent}.deb >/dev/null 2>&1 </dev/null`,
      `[ "$(dpkg-query -W -f='\${Status}' ${dependent})" = 'install ok unpacked' ]`,
      'd=$(mktemp -d); mkdir "$d/DEBIAN"',
      `printf 'Package: ${pkg}\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: gridops e2e <e2e@gridops.invalid>\\nDescription: a package whose configuration the e2e test interrupts\\n' > "$d/DEBIAN/control"`,
      `printf '#!/bin/sh\\necho $$ > ${hold}.pid\\nwhile [ -e ${hold} ]; do sleep 0.2; done\\ntouch /root/${pkg}-configured\\n' > "$d/DEBIAN/postinst"`,
      'chmod 755 "$d/DEBIAN/postinst"',
      `dpkg-deb -b "$d" /root/${pkg}.deb >/dev/null; rm -rf "$d"`,
      `touch ${hold}`,
      `dpkg -i /root/${pkg}.deb >/dev/null 2>&1 </dev/null & dpkg_pid=$!`,
      `i=0; until [ -s ${hold}.pid ] && [ "$(dpkg-query -W -f='\${Status}' ${pkg} 2>/dev/null)" = 'install ok half-configured' ]; do i=$((i + 1)); [ "$i" -lt 100 ] || exit 1; sleep 0.1; done`,
      // The postinst too: left running, it would finish the configuration the test expects apply to finish.
      // (The shell's own "Killed" notice for the job goes nowhere.)
      `{ kill -KILL "$dpkg_pid" "$(cat ${hold}.pid)"; wait "$dpkg_pid" || true; } 2>/dev/null`,
      `rm -f ${hold} ${hold}.pid`,
      'ls /var/lib/dpkg/updates/ | grep -c . || true',
    ].join('\n');
    const interrupted = await lab.ssh('node-01', interrupt);
    expect({ code: interrupted.exitCode, stderr: interrupted.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/\S/) });
    expect(Number(interrupted.stdout.trim())).toBeGreaterThan(0);
    expect(await run(`LC_ALL=C apt-get install -y -q hello 2>&1; echo "rc=$?"`)).toMatch(/E: dpkg was interrupted, you must manually run 'dpkg --configure -a'[\s\S]*rc=100$/);

    const playbook = `${ROOT}test/e2e/fixtures/interrupted-dpkg.yaml`;
    const plan = gridops(['plan', lab.topology, '--detailed-exitcode', '--json', '--playbook', playbook]);
    expect(plan.status).toBe(ExitCode.CHANGES_PRESENT);
    const changes = (JSON.parse(plan.stdout).hosts as Array<{ changes: Array<{ packages?: string[] }> }>)[0]!.changes;
    expect(changes.map((c) => c.packages)).toEqual([['hello', pkg, dependent]]);

    const apply = gridops(['apply', lab.topology, '--yes', '--playbook', playbook], { timeoutMs: 300_000 });
    expect({ status: apply.status, stderr: apply.stderr }).toEqual({ status: ExitCode.OK, stderr: expect.any(String) });
    expect(await run(`dpkg-query -W -f='\${Status}\\n' ${pkg} ${dependent}; test -e /root/${pkg}-configured && echo configured; ls /var/lib/dpkg/updates/ | grep -c . || true; hello`)).toBe(
      'install ok installed\ninstall ok installed\nconfigured\n0\nHello, world!',
    );
    const after = gridops(['plan', lab.topology, '--detailed-exitcode', '--playbook', playbook]);
    expect({ status: after.status, stdout: after.stdout }).toEqual({ status: ExitCode.OK, stdout: expect.stringContaining('No changes.') });
  });

  it('packages whose dpkg triggers are pending or awaited (apt-get install does nothing for them): the plan installs them, apply runs the triggers, and plan has zero changes', async () => {
    const pkg = 'gridops-e2e-triggered';
    const activator = 'gridops-e2e-activator';
    const dir = '/usr/share/gridops-e2e-trigger';
    const control = (name: string, what: string) =>
      `printf 'Package: ${name}\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: gridops e2e <e2e@gridops.invalid>\\nDescription: ${what}\\n' > "$d/DEBIAN/control"`;
    const setup = [
      'set -e',
      'd=$(mktemp -d); mkdir "$d/DEBIAN"',
      control(pkg, 'a package whose trigger the e2e test leaves pending'),
      `printf 'interest ${dir}\\n' > "$d/DEBIAN/triggers"`,
      `printf '#!/bin/sh\\n[ "$1" != triggered ] || touch /root/${pkg}-ran\\n' > "$d/DEBIAN/postinst"`,
      'chmod 755 "$d/DEBIAN/postinst"',
      `dpkg-deb -b "$d" /root/${pkg}.deb >/dev/null; rm -rf "$d"`,
      `dpkg -i /root/${pkg}.deb >/dev/null </dev/null`,
      // A file in the watched directory activates the trigger; --no-triggers leaves it pending (and
      // the activator awaiting it), as a dpkg killed before its trigger run leaves them.
      `d=$(mktemp -d); mkdir -p "$d/DEBIAN" "$d${dir}"; touch "$d${dir}/file"`,
      control(activator, 'a package whose file activates the trigger of gridops-e2e-triggered'),
      `dpkg-deb -b "$d" /root/${activator}.deb >/dev/null; rm -rf "$d"`,
      `dpkg --no-triggers -i /root/${activator}.deb >/dev/null </dev/null`,
      `dpkg-query -W -f='\${Package}: \${Status}\\n' ${pkg} ${activator}`,
      // The check this case rests on: apt counts both installed and runs no dpkg for them.
      `LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${pkg} ${activator} >/dev/null </dev/null`,
      `dpkg-query -W -f='\${Package}: \${Status}\\n' ${pkg} ${activator}`,
      `test -e /root/${pkg}-ran && echo ran || echo not-ran`,
    ].join('\n');
    const pending = await lab.ssh('node-01', setup);
    expect({ code: pending.exitCode, stdout: pending.stdout, stderr: pending.stderr }).toEqual({
      code: 0,
      stdout: [1, 2].map(() => `${activator}: install ok triggers-awaited\n${pkg}: install ok triggers-pending\n`).join('') + 'not-ran',
      stderr: expect.not.stringMatching(/\S/),
    });

    const playbook = `${ROOT}test/e2e/fixtures/triggers-pending.yaml`;
    const plan = gridops(['plan', lab.topology, '--detailed-exitcode', '--json', '--playbook', playbook]);
    expect(plan.status).toBe(ExitCode.CHANGES_PRESENT);
    expect((JSON.parse(plan.stdout).hosts as Array<{ changes: Array<{ packages?: string[] }> }>)[0]!.changes.map((c) => c.packages)).toEqual([[pkg, activator]]);
    const apply = gridops(['apply', lab.topology, '--yes', '--playbook', playbook], { timeoutMs: 300_000 });
    expect({ status: apply.status, stderr: apply.stderr }).toEqual({ status: ExitCode.OK, stderr: expect.any(String) });
    expect(await run(`dpkg-query -W -f='\${Package}: \${Status}\\n' ${pkg} ${activator}; test -e /root/${pkg}-ran && echo ran`)).toBe(`${activator}: install ok installed\n${pkg}: install ok installed\nran`);
    const after = gridops(['plan', lab.topology, '--detailed-exitcode', '--playbook', playbook]);
    expect({ status: after.status, stdout: after.stdout }).toEqual({ status: ExitCode.OK, stdout: expect.stringContaining('No changes.') });
  });
});
