import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../src/engine/applier.js';
import type { PlannedHost } from '../../src/engine/planner.js';
import type { SystemdUnitChange } from '../../src/plan/change.js';
import type { Resource } from '../../src/resources/resource.js';
import type { StepRecorder } from '../../src/resources/step-recorder.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node } from '../resources/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'gridops-applier-owes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');

/**
 * A unit change as SystemdUnitResource records it (its file written, then `systemctl enable`),
 * against a temp file, with the step that fails chosen by the test: the write's own check (nothing
 * landed) or the enable after it (the new file is in place, the service still runs the old one).
 */
function unitHost(failAt: 'write' | 'enable') {
  const root = mkdtempSync(join(dir, `${failAt}-`));
  const unitFile = join(root, 'app.service');
  const log = join(root, 'log');
  const transport = new RecordingTransport('n1').on(/^sh -s$/, (command, { options: o }) => local.exec(command, { stdin: o.stdin }));
  const change: SystemdUnitChange = {
    kind: 'systemd-unit',
    id: 'systemd-unit app.service',
    action: 'update',
    unit: 'app.service',
    contentSha256: '0'.repeat(64),
    steps: ['write', 'enable'],
    fields: [],
    summary: 'write, enable app.service',
    notify: ['restart-app'],
  };
  const unit: Resource<SystemdUnitChange> = {
    kind: 'systemd-unit',
    id: change.id,
    probe: () => '',
    diff: () => change,
    apply: async (_c: SystemdUnitChange, recorder: StepRecorder) => {
      await recorder.write(unitFile, Buffer.from('[Service]\nExecStart=/bin/new\n'), '0644', failAt === 'write' ? { check: 'echo bad unit >&2; exit 1', checkName: 'systemd-analyze verify' } : {});
      await recorder.run(failAt === 'enable' ? 'echo "Failed to enable unit: Alias clash" >&2; exit 1' : 'true', 'enable app.service');
    },
  } as unknown as Resource<SystemdUnitChange>;
  const planned: PlannedHost = {
    session: { node: { ...node('n1'), name: 'n1' }, transport, facts: facts() },
    resources: new Map<string, Resource>([[unit.id, unit]]),
    handlers: [{ name: 'restart-app', command: `echo restart >> ${quote(log)}` }],
    managedUnits: new Set(),
    kernelEntries: {},
    plan: { host: 'n1', address: '10.0.0.1', playbooks: ['t'], changes: [change], notes: [], handlers: ['restart-app'] },
  };
  return { planned, unitFile, log };
}

describe('a failed change whose file landed owes its handlers', () => {
  it('a unit change that fails at enable, after its write: restart-app stays owed (the re-run finds the file in place and notifies nothing)', async () => {
    const host = unitHost('enable');
    const [outcome] = await applyPlan([host.planned], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcome).toMatchObject({ status: 'failed', applied: 0, failure: { step: 'systemd-unit app.service, step enable app.service' } });
    expect(readFileSync(host.unitFile, 'utf8')).toContain('/bin/new');
    expect(outcome!.pendingHandlers).toEqual(['restart-app']);
    expect(() => readFileSync(host.log)).toThrow();
  });

  it('one that fails at its first step (the write refused by its check) left nothing: it owes nothing, and the re-run plans it again', async () => {
    const host = unitHost('write');
    const [outcome] = await applyPlan([host.planned], { concurrency: 1, failFast: false, emit: () => undefined });
    expect(outcome).toMatchObject({ status: 'failed', applied: 0 });
    expect(() => readFileSync(host.unitFile)).toThrow();
    expect(outcome!.pendingHandlers).toBeUndefined();
  });
});
