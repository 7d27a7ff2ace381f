import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown } from '../../src/lab/lab.js';
import { planLab } from '../../src/lab/plan.js';
import type { MachineFacts } from '../../src/lab/preflight.js';
import { claimSlot, keepsRecordedSlot } from '../../src/lab/state.js';
import type { LabState } from '../../src/lab/types.js';

// Slot 15: far from the slots real labs on this machine claim first (lowest free), so nothing a
// test of the old, sweeping `down` could reach exists.
const SLOT = 15;

const root: MachineFacts = { platform: 'linux', uid: 0, has: () => true, v1Controllers: [], memAvailableMiB: 0, devices: { tun: true } };

function labJson(dir: string, slot: number): LabState {
  const plan = planLab({ kind: 'container', nodes: 1, subgrids: 1, regions: 1 }, slot);
  const state: LabState = {
    version: 1,
    phase: 'ready',
    dir,
    createdAt: new Date().toISOString(),
    plan,
    runDir: join(dir, 'nodes'),
    files: { topology: join(dir, 'topology.yaml'), knownHosts: join(dir, 'known_hosts'), identity: join(dir, 'id_ed25519'), publicKey: join(dir, 'id_ed25519.pub'), state: join(dir, 'lab.json') },
    nodes: [],
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lab.json'), JSON.stringify(state));
  return state;
}

describe('a lab whose slot another directory now holds (after a reboot emptied /run)', () => {
  let tmp: string;
  let run: string;
  const saved = { run: process.env.GRIDOPS_LAB_RUN_ROOT, cache: process.env.GRIDOPS_CACHE_DIR };
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gridops-slot-'));
    run = join(tmp, 'run');
    mkdirSync(join(run, 'slots'), { recursive: true });
    process.env.GRIDOPS_LAB_RUN_ROOT = run;
    process.env.GRIDOPS_CACHE_DIR = join(tmp, 'cache');
  });
  afterEach(() => {
    for (const [k, v] of [['GRIDOPS_LAB_RUN_ROOT', saved.run], ['GRIDOPS_CACHE_DIR', saved.cache]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Lab A recorded SLOT; lab B claimed it since (its lab.json says so) and runs in it. */
  function twoLabs() {
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    labJson(a, SLOT);
    labJson(b, SLOT);
    writeFileSync(join(run, 'slots', String(SLOT)), `${b}\n`);
    mkdirSync(join(run, String(SLOT)));
    writeFileSync(join(run, String(SLOT), 'node-of-b'), '');
    return { a, b };
  }

  test('down in A leaves B alone: no sweep of the slot, B keeps its claim and runtime files', async () => {
    const { a, b } = twoLabs();
    const r = await labDown(a, { facts: root });
    expect(r.otherLab).toBe(b);
    expect(existsSync(join(run, String(SLOT), 'node-of-b'))).toBe(true);
    expect(readFileSync(join(run, 'slots', String(SLOT)), 'utf8').trim()).toBe(b);
    // A's own files go: the next `up` in A starts afresh.
    expect(existsSync(join(a, 'lab.json'))).toBe(false);
  });

  test('up in A claims another slot, and does not keep the recorded plan', async () => {
    const { a } = twoLabs();
    const slot = await claimSlot(a, SLOT);
    expect(slot).not.toBe(SLOT);
    expect(keepsRecordedSlot(JSON.parse(readFileSync(join(a, 'lab.json'), 'utf8')) as LabState, a, slot)).toBe(false);
  });

  test('a lab.json copied from another directory is not that lab', () => {
    const a = join(tmp, 'a');
    const state = labJson(a, SLOT);
    expect(keepsRecordedSlot(state, a, SLOT)).toBe(true);
    expect(keepsRecordedSlot(state, join(tmp, 'copy-of-a'), SLOT)).toBe(false);
  });
});
