import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../../src/errors/index.js';
import { planLab } from '../../src/lab/plan.js';
import { readState } from '../../src/lab/state.js';
import type { LabState } from '../../src/lab/types.js';

// lab.json is read by root, which then removes node directories, kills what is in the recorded
// cgroups and namespaces, and writes the recorded files: a planted or copied record must not name
// anything outside the lab.
describe('readState trusts lab.json only for what belongs to its lab', () => {
  let tmp: string;
  let dir: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gridops-trust-'));
    dir = join(tmp, 'lab');
    mkdirSync(dir, { mode: 0o755 });
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  function record(edit: (s: LabState) => void = () => {}): void {
    const plan = planLab({ kind: 'container', nodes: 2, subgrids: 1, regions: 1 }, 3);
    const runDir = join(dir, 'nodes');
    const s: LabState = {
      version: 1,
      phase: 'ready',
      dir,
      createdAt: '2026-12-05T00:00:00Z',
      plan,
      runDir,
      files: { topology: join(dir, 'topology.yaml'), knownHosts: join(dir, 'known_hosts'), identity: join(dir, 'id_ed25519'), publicKey: join(dir, 'id_ed25519.pub'), state: join(dir, 'lab.json') },
      nodes: plan.nodes.map((n) => ({ ...n, dir: join(runDir, n.name), cgroupDirs: [`/sys/fs/cgroup/memory/${n.cgroup}`, `/sys/fs/cgroup/cpu,cpuacct/${n.cgroup}`] })),
      proxy: { pid: 1234, address: plan.bridge.address, port: 3142, cacheDir: join(dir, 'proxy', 'cache') },
      dns: { pid: 1235, address: plan.bridge.address, hostsFile: join(dir, 'dns', 'hosts') },
    };
    edit(s);
    writeFileSync(join(dir, 'lab.json'), JSON.stringify(s));
  }

  test('the lab as up writes it is read', () => {
    record();
    expect(readState(dir)?.nodes).toHaveLength(2);
  });

  test.each<[string, (s: LabState) => void]>([
    ['a node directory outside the lab', (s) => void (s.nodes[0]!.dir = '/etc')],
    ['a node directory climbing out of it', (s) => void (s.nodes[0]!.dir = join(dir, 'nodes', '..', '..'))],
    ['a whole cgroup hierarchy', (s) => void (s.nodes[0]!.cgroupDirs = ['/sys/fs/cgroup/memory'])],
    ["another lab's cgroup", (s) => void (s.nodes[0]!.cgroupDirs = ['/sys/fs/cgroup/memory/glab-0-node-01'])],
    ['a namespace not of the lab', (s) => void (s.nodes[0]!.netns = '../../proc/1/ns/net')],
    ['lab.json written elsewhere', (s) => void (s.files.state = '/etc/passwd')],
    ['known_hosts elsewhere', (s) => void (s.files.knownHosts = '/root/.ssh/authorized_keys')],
    ['a name server hosts file elsewhere', (s) => void (s.dns!.hostsFile = '/etc/hosts')],
    ['a slot out of range', (s) => void (s.plan.slot = 99)],
    ['another lab directory named as its own', (s) => void (s.dir = '/root/.cache/gridops/lab')],
  ])('%s is refused', (_what, edit) => {
    record(edit);
    expect(() => readState(dir)).toThrow(LabError);
  });

  test('a lab directory others can write is refused (they could plant lab.json)', () => {
    record();
    chmodSync(dir, 0o777);
    expect(() => readState(dir)).toThrow(/writable by others/);
  });
});
