import { imagePreflightProblems, preflightProblems, type MachineFacts } from '../../src/lab/preflight.js';
import { parseMirrors, sourcesList } from '../../src/lab/rootfs.js';

const ok: MachineFacts = {
  platform: 'linux',
  uid: 0,
  has: () => true,
  v1Controllers: ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'],
  memAvailableMiB: 24_000,
  devices: { tun: true },
};

describe('lab preflight', () => {
  test('lab image needs root and the tools it runs (debootstrap, dpkg-deb), named in one apt-get line', () => {
    expect(imagePreflightProblems(ok)).toEqual([]);
    expect(imagePreflightProblems({ ...ok, uid: 1000 })[0]!.message).toMatch(/lab image needs root/);
    const [p] = imagePreflightProblems({ ...ok, has: (c) => c !== 'debootstrap' && c !== 'dpkg-deb' });
    expect(p!.message).toBe('missing packages for lab image: debootstrap dpkg');
    expect(p!.hint).toBe('apt-get install -y debootstrap dpkg');
  });

  test('a complete machine has no problem for any kind', () => {
    for (const kind of ['container', 'netns', 'vm'] as const) expect(preflightProblems(kind, 4, ok)).toEqual([]);
  });

  test('not Linux is the only problem reported', () => {
    const p = preflightProblems('container', 1, { ...ok, platform: 'darwin', uid: 501 });
    expect(p).toHaveLength(1);
    expect(p[0]!.message).toMatch(/needs Linux/);
  });

  test('not root', () => {
    expect(preflightProblems('netns', 1, { ...ok, uid: 1000 })[0]!.message).toMatch(/needs root/);
  });

  test('missing packages are named in one exact apt-get line', () => {
    const missing = new Set(['systemd-nspawn', 'debootstrap', 'apt-cacher-ng']);
    const p = preflightProblems('container', 3, { ...ok, has: (c) => !missing.has(c) });
    expect(p).toHaveLength(1);
    expect(p[0]!.message).toBe('missing packages for --kind container: apt-cacher-ng systemd-container debootstrap');
    // Debian's apt-cacher-ng starts its own service on port 3142 of every address, the next refusal:
    // the hint stops it in the same line.
    expect(p[0]!.hint).toBe('apt-get install -y apt-cacher-ng systemd-container debootstrap && systemctl disable --now apt-cacher-ng');
  });

  test('netns hosts need the OpenSSH server, vms need qemu', () => {
    expect(preflightProblems('netns', 3, { ...ok, has: (c) => c !== 'sshd' })[0]!.hint).toBe('apt-get install -y openssh-server');
    expect(preflightProblems('vm', 1, { ...ok, has: (c) => !c.startsWith('qemu') })[0]!.hint).toBe('apt-get install -y qemu-system-x86 qemu-utils');
  });

  test('a missing cgroup controller stops containers but not netns hosts', () => {
    const facts = { ...ok, v1Controllers: ['cpu', 'cpuacct', 'pids'] };
    expect(preflightProblems('container', 2, facts)[0]!.message).toMatch(/missing cgroup v1 controller: memory/);
    expect(preflightProblems('netns', 2, facts)).toEqual([]);
  });

  test('a cgroup-v2-only machine (Debian 12 with systemd) is told to boot hybrid, not to mount v1 controllers (EBUSY on v2)', () => {
    const [p] = preflightProblems('container', 2, { ...ok, v1Controllers: [], cgroupV2Only: true });
    expect(p!.message).toMatch(/cgroup v2 only/);
    expect(p!.hint).toMatch(/systemd\.unified_cgroup_hierarchy=0/);
    expect(p!.hint).toMatch(/--kind netns/);
    expect(p!.hint).not.toMatch(/mount -t cgroup/);
  });

  test('not enough memory for N VMs names the number that fits', () => {
    const p = preflightProblems('vm', 8, { ...ok, memAvailableMiB: 2000 });
    expect(p[0]!.message).toBe('not enough memory for 8 VMs: 5632 MiB needed, 2000 MiB available');
    expect(p[0]!.hint).toMatch(/--nodes 2 or fewer/);
  });

  test('VMs already running are not counted again: MemAvailable already leaves them out', () => {
    // 5 VMs of which 4 run (repair, or grow by one): 1 new x 640 + 512 = 1152 MiB needed.
    expect(preflightProblems('vm', 5, { ...ok, memAvailableMiB: 3040 }, { running: 4 })).toEqual([]);
    expect(preflightProblems('vm', 5, { ...ok, memAvailableMiB: 1100 }, { running: 4 })[0]!.message).toBe('not enough memory for 1 new VM: 1152 MiB needed, 1100 MiB available');
  });
});

describe('mirrors', () => {
  test('deb822 and one-line sources; https and other suites are ignored', () => {
    const m = parseMirrors([
      'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n',
      'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n',
    ]);
    expect(m).toEqual({ debian: 'http://mirror.example/debian', security: 'http://mirror.example/debian-security' });
    expect(parseMirrors(['deb [arch=amd64] http://ftp.fr.debian.org/debian/ bookworm main']).debian).toBe('http://ftp.fr.debian.org/debian');
    expect(parseMirrors([])).toEqual({ debian: 'http://deb.debian.org/debian', security: 'http://deb.debian.org/debian-security' });
    expect(sourcesList(m)).toContain('deb http://mirror.example/debian-security bookworm-security main');
  });
});
