import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import type { CommandChange } from '../../src/plan/change.js';
import { SANDBOX_EGRESS_HOOK } from '../../src/resources/sandbox-egress.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { smallGrid } from '../resources/fixtures.js';

const HOOKS_DIR = '/etc/libvirt/hooks/qemu.d';

/**
 * libvirt ships /etc/libvirt/hooks, not its qemu.d, which sandbox-egress makes for its hook: reset and
 * hypervisor-off remove it with the hook, where nothing else is in it. Planned while the hook is still
 * there (the same run's absent-paths removes it), so a single run leaves nothing. The commands run
 * against a temp directory in its place.
 */
describe.each(['reset', 'hypervisor-off'])('%s removes the hooks directory gridops made', (ref) => {
  const grid = smallGrid('defaults: { hypervisor: { enabled: true, sandbox: { image: sandbox.img } } }');
  const resources = instantiate(loadPlaybook(ref), templateContext(grid, allNodes(grid)[0]!)).resources;
  let dir: string;
  let hooks: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-hooks-dir-'));
    hooks = join(dir, 'qemu.d');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const sh = (script: string) => execFileSync('sh', ['-c', script.replaceAll(HOOKS_DIR, hooks)], { encoding: 'utf8' });
  const resource = () => {
    const r = resources.find((x) => x.id === 'command remove-hooks-dir');
    expect(r).toBeDefined();
    return r!;
  };

  it('planned while only the egress hook is in it, and removed once the hook is gone; then nothing to do', () => {
    const r = resource();
    mkdirSync(hooks);
    writeFileSync(join(hooks, 'gridops-sandbox-egress'), '');
    const change = r.diff(sh(r.probe()), undefined as never) as CommandChange;
    expect(change).toMatchObject({ action: 'run' });
    rmSync(join(hooks, 'gridops-sandbox-egress')); // the absent-paths before it
    sh(change.command);
    expect(existsSync(hooks)).toBe(false);
    expect(r.diff(sh(r.probe()), undefined as never)).toBeNull();
  });

  it('left alone, planned or not, while another hook is in it; gone already is a success', () => {
    const r = resource();
    mkdirSync(hooks);
    writeFileSync(join(hooks, 'gridops-sandbox-egress'), '');
    writeFileSync(join(hooks, 'someone-elses'), '');
    expect(r.diff(sh(r.probe()), undefined as never)).toBeNull();
    // Planned while empty but for the hook; another hook arrived before the apply: kept, no failure.
    rmSync(join(hooks, 'someone-elses'));
    const change = r.diff(sh(r.probe()), undefined as never) as CommandChange;
    writeFileSync(join(hooks, 'someone-elses'), '');
    expect(() => sh(change.command)).not.toThrow();
    expect(existsSync(join(hooks, 'someone-elses'))).toBe(true);
    rmSync(hooks, { recursive: true });
    expect(() => sh(change.command)).not.toThrow();
  });

  it('empty, its hook gone already (the egress limit was removed in an earlier run), it goes too', () => {
    const r = resource();
    mkdirSync(hooks);
    const change = r.diff(sh(r.probe()), undefined as never) as CommandChange;
    expect(change).toMatchObject({ action: 'run' });
    sh(change.command);
    expect(existsSync(hooks)).toBe(false);
    expect(r.diff(sh(r.probe()), undefined as never)).toBeNull();
  });

  it('after the absent-paths that removes the hook', () => {
    const ids = resources.map((x) => x.id);
    const absent = ids.findIndex((id) => id.startsWith('absent-paths ') && id.includes(SANDBOX_EGRESS_HOOK));
    expect(absent).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf('command remove-hooks-dir')).toBeGreaterThan(absent);
  });
});
