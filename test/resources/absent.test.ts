import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbsentPathsResource } from '../../src/resources/absent-paths.js';
import { AbsentUnitResource } from '../../src/resources/absent-unit.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { probeSections } from '../../src/resources/probe-sections.js';

const sh = (script: string) => execFileSync('sh', ['-c', script], { encoding: 'utf8' });

describe('absent-paths: what gridops made is removed, and nothing else', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-absent-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the paths that exist, removes exactly those, and then plans nothing', async () => {
    mkdirSync(join(dir, 'etc', 'gridagent'), { recursive: true });
    writeFileSync(join(dir, 'etc', 'gridagent', 'config.yaml'), 'x');
    writeFileSync(join(dir, '90-gridops-net.ipv4.ip_forward.conf'), 'x');
    writeFileSync(join(dir, '90-gridops-vm.swappiness.conf'), 'x');
    writeFileSync(join(dir, '90-other.conf'), 'keep');
    const r = new AbsentPathsResource([join(dir, 'etc', 'gridagent'), join(dir, 'opt-gridops'), join(dir, '90-gridops-*.conf')]);
    const change = r.diff(sh(r.probe()))!;
    expect(change).toMatchObject({ kind: 'absent-paths', action: 'delete' });
    expect(change.paths.sort()).toEqual([join(dir, '90-gridops-net.ipv4.ip_forward.conf'), join(dir, '90-gridops-vm.swappiness.conf'), join(dir, 'etc', 'gridagent')].sort());
    const recorder = new StepRecorder('t');
    recorder.begin(change.id);
    await r.apply(change, recorder);
    sh(recorder.steps.map((s) => s.command).join('\n'));
    expect(existsSync(join(dir, 'etc', 'gridagent'))).toBe(false);
    expect(existsSync(join(dir, '90-other.conf'))).toBe(true);
    expect(r.diff(sh(r.probe()))).toBeNull();
  });

  it('a hostile file name that matches the pattern cannot make it remove anything else', async () => {
    // A name with newlines, built so that a naive line split would yield `keep` (removed relative to the cwd).
    mkdirSync(join(dir, 'keep'));
    writeFileSync(join(dir, '90-gridops-a\nkeep\n.conf'), 'x');
    writeFileSync(join(dir, "90-gridops-$(touch pwned)'.conf"), 'x');
    const r = new AbsentPathsResource([join(dir, '90-gridops-*.conf')]);
    const change = r.diff(sh(r.probe()))!;
    expect(change.paths).toEqual([join(dir, "90-gridops-$(touch pwned)'.conf")]);
    const recorder = new StepRecorder('t');
    recorder.begin(change.id);
    await r.apply(change, recorder);
    sh(`cd ${JSON.stringify(dir)} && ${recorder.steps.map((s) => s.command).join('\n')}`);
    expect(existsSync(join(dir, 'keep'))).toBe(true);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('refuses relative paths, / and ..', () => {
    for (const p of ['etc/x', '/', '/etc/../x']) expect(() => new AbsentPathsResource([p])).toThrow(RangeError);
  });
});

describe('absent-unit', () => {
  const r = new AbsentUnitResource('gridagent.service');
  const probe = (active: string, enabled: string, file: string) => sh(probeSections(`echo ${active}`, `echo ${enabled}`, `echo ${file}`));

  it('stops, disables and removes a running unit, then reloads systemd', async () => {
    const change = r.diff(probe('active', 'enabled', 'present'))!;
    expect(change.steps).toEqual(['stop', 'disable', 'remove']);
    const recorder = new StepRecorder('t');
    recorder.begin(change.id);
    await r.apply(change, recorder);
    expect(recorder.steps.map((s) => s.label)).toEqual(['stop gridagent.service', 'disable gridagent.service', 'remove /etc/systemd/system/gridagent.service', 'systemctl daemon-reload']);
  });

  it('runs its prestop (gridagent leave) before the stop, in a subshell, and a prestop that fails fails its step', async () => {
    const leaving = new AbsentUnitResource('gridagent.service', 'cd / && exit 3 # a comment');
    const change = leaving.diff(probe('active', 'enabled', 'present'))!;
    const recorder = new StepRecorder('t');
    recorder.begin(change.id);
    await leaving.apply(change, recorder);
    expect(recorder.steps.map((s) => s.label).slice(0, 2)).toEqual(['before stopping gridagent.service', 'stop gridagent.service']);
    // A failed step ends the batch, so the stop does not run: the playbook's command says itself
    // which failures may not hold the removal (reset.yaml: all but a leave that could not be recorded).
    const cwd = realpathSync(tmpdir());
    const step = spawnSync('sh', ['-c', `${recorder.steps[0]!.command}\necho "$? $(pwd -P)"`], { cwd, encoding: 'utf8' });
    expect(step.stdout).toBe(`3 ${cwd}\n`);
  });

  it('plans nothing once the unit is gone', () => {
    expect(r.diff(probe('inactive', 'not-found', 'absent'))).toBeNull();
  });

  it('refuses a name that is not a unit', () => {
    expect(() => new AbsentUnitResource('x; rm -rf /')).toThrow(RangeError);
  });
});
