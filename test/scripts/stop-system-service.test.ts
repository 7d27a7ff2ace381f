import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/stop-system-service.sh, which demo.sh and .ci/run run after installing a package whose
 * service Debian starts (apt-cacher-ng, ssh): systemctl where systemd runs the machine, else the
 * SysV script, and never a failure, since a service left running is no reason to fail CI. The
 * service managers here are stand-ins on PATH that log how they were called.
 */
const script = new URL('../../scripts/stop-system-service.sh', import.meta.url).pathname;
const systemd = existsSync('/run/systemd/system');

let bin: string;
beforeEach(() => (bin = mkdtempSync(join(tmpdir(), 'gridops-stop-service-'))));
afterEach(() => rmSync(bin, { recursive: true, force: true }));

/** Stand-ins for systemctl, service and update-rc.d that log their arguments and exit with `status`. */
function managers(status: number): void {
  for (const tool of ['systemctl', 'service', 'update-rc.d']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${bin}/log"\nexit ${status}\n`);
    chmodSync(join(bin, tool), 0o755);
  }
}

const stop = (...services: string[]) => spawnSync('bash', [script, ...services], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
const log = () => (existsSync(join(bin, 'log')) ? readFileSync(join(bin, 'log'), 'utf8') : '');
const sysv = (service: string) => `service ${service} stop\nupdate-rc.d ${service} disable\n`;

describe('stopping a service the package just started', () => {
  it("stops and disables each one named, through the machine's init system", () => {
    managers(0);
    expect(stop('ssh', 'apt-cacher-ng')).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(log()).toBe(
      systemd
        ? 'systemctl cat ssh.socket\nsystemctl disable --now ssh.socket\nsystemctl disable --now ssh.service\nsystemctl cat apt-cacher-ng.socket\nsystemctl disable --now apt-cacher-ng.socket\nsystemctl disable --now apt-cacher-ng.service\n'
        : `${sysv('ssh')}${sysv('apt-cacher-ng')}`,
    );
  });

  it('never fails, even where every service manager does (systemd falls back to the SysV script)', () => {
    managers(1);
    expect(stop('ssh')).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(log()).toBe(`${systemd ? 'systemctl cat ssh.socket\nsystemctl disable --now ssh.service\n' : ''}${sysv('ssh')}`);
  });

  it("where sshd is socket-activated (Ubuntu 22.10+'s ssh.socket), also stops and disables the socket, which else keeps port 22 listening; a missing socket unit is no error", () => {
    // systemctl stand-in: ssh.socket exists (`systemctl cat` finds it), apt-cacher-ng.socket does not.
    writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "systemctl $*" >> "${bin}/log"\n[ "$1" = cat ] && [ "$2" != ssh.socket ] && exit 1\nexit 0\n`);
    chmodSync(join(bin, 'systemctl'), 0o755);
    // As on a machine systemd runs, whether or not this one is.
    const run = spawnSync('bash', [script, 'ssh', 'apt-cacher-ng'], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, SYSTEMD_RUN_DIR: bin } });
    expect(run).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(log()).toBe(
      [
        'systemctl cat ssh.socket',
        'systemctl disable --now ssh.socket',
        'systemctl disable --now ssh.service',
        'systemctl cat apt-cacher-ng.socket',
        'systemctl disable --now apt-cacher-ng.service',
        '',
      ].join('\n'),
    );
  });

  it('never fails where there is no service manager at all', () => {
    // A service no machine has, in case a real manager were found after all.
    expect(stop('gridops-test-no-such-service')).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });
});
