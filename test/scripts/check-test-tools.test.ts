import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/check-test-tools.js, run by `npm test` first: a tool the unit tests need and the machine
 * lacks is one line naming it with the apt-get line that installs it, before any test runs; as root
 * with apt-get, it is installed.
 */
const script = new URL('../../scripts/check-test-tools.js', import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;
const EVERYONE = ['sh', 'ssh-keygen', 'dash', 'bash', 'ansible-inventory', 'pgrep', 'pkill'];
const ROOT_ONLY = ['nft', 'ip', 'sysctl', 'unshare'];

let bin: string;
beforeEach(() => (bin = mkdtempSync(join(tmpdir(), 'gridops-test-tools-'))));
afterEach(() => rmSync(bin, { recursive: true, force: true }));

/** A PATH of only these tools (links to this machine's own), so a test can leave one out. */
function pathWith(tools: string[]): string {
  for (const tool of tools) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error(`this machine has no ${tool}, which the test links into its PATH`);
    symlinkSync(found, join(bin, tool));
  }
  return bin;
}

const check = (PATH: string, wrap: string[] = []) => {
  const argv = [...wrap, process.execPath, script];
  return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH } });
};

describe('the tools check before the unit tests', () => {
  it('passes with every tool there', () => {
    const r = check(pathWith([...EVERYONE, ...ROOT_ONLY]));
    // As root the check also wants this machine's /usr/sbin/sshd, which no PATH supplies.
    if (asRoot && !existsSync('/usr/sbin/sshd')) expect(r.stderr).toMatch(/apt-get install -y openssh-server/);
    else expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('names pgrep and pkill, with the apt-get line for procps, where the PATH has neither', () => {
    const r = check(pathWith([...EVERYONE, ...ROOT_ONLY].filter((t) => t !== 'pgrep' && t !== 'pkill')));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^the tests need pgrep, pkill(, \/usr\/sbin\/sshd)?: apt-get install -y procps( openssh-server)?\n$/);
  });

  // As root only: the sshd is hidden in a mount namespace of the check's own, under a bind mount of
  // /dev/null (there, but no program).
  (asRoot ? it : it.skip)('as root, names /usr/sbin/sshd, with the apt-get line for openssh-server, where it is missing', () => {
    const PATH = pathWith([...EVERYONE, ...ROOT_ONLY]);
    const where = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    const hideSshd = [where('unshare'), '-m', '/bin/sh', '-c', `${where('mount')} --bind /dev/null /usr/sbin/sshd && exec "$@"`, 'hide-sshd'];
    const r = check(PATH, existsSync('/usr/sbin/sshd') ? hideSshd : []);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: 'the tests need /usr/sbin/sshd: apt-get install -y openssh-server\n' });
  });
  // As root only (the check installs only as root): an apt-get of the test's own, which records its
  // calls and "installs" procps by linking this machine's pgrep and pkill into the PATH.
  (asRoot && existsSync('/usr/sbin/sshd') ? it : it.skip)('as root with apt-get, installs the missing packages (update, then install) and passes', () => {
    const PATH = pathWith([...EVERYONE, ...ROOT_ONLY].filter((t) => t !== 'pgrep' && t !== 'pkill'));
    const where = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    const calls = join(bin, 'apt-calls');
    writeFileSync(
      join(bin, 'apt-get'),
      `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> ${calls}\nif [ "$1" = install ]; then ${where('ln')} -s ${where('pgrep')} ${bin}/pgrep; ${where('ln')} -s ${where('pkill')} ${bin}/pkill; fi\n`,
    );
    chmodSync(join(bin, 'apt-get'), 0o755);
    const r = check(PATH);
    expect({ status: r.status, calls: readFileSync(calls, 'utf8') }).toEqual({
      status: 0,
      calls: 'noninteractive update -q\nnoninteractive install -y -q --no-install-recommends procps\n',
    });
    expect(r.stderr).toBe('the tests need pgrep, pkill: installing procps\n');
  });

  (asRoot ? it : it.skip)('as root, a package apt-get could not install is still named, with the apt-get line', () => {
    const PATH = pathWith([...EVERYONE, ...ROOT_ONLY].filter((t) => t !== 'pgrep' && t !== 'pkill'));
    writeFileSync(join(bin, 'apt-get'), '#!/bin/sh\necho "E: no network" >&2\nexit 100\n');
    chmodSync(join(bin, 'apt-get'), 0o755);
    const r = check(PATH);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/installing procps\nE: no network\napt-get failed: if it stopped half-way, run `dpkg --configure -a` first\nthe tests need pgrep, pkill(, \/usr\/sbin\/sshd)?: apt-get install -y procps( openssh-server)?\n$/);
  });
});
