import { StalePlanError } from '../../src/errors/index.js';
import { assertPlanOfTopology } from '../../src/phases/check-saved-plan.js';
import type { Plan } from '../../src/plan/plan.js';
import { savedPlan } from '../cli/saved-plan-fixture.js';

/**
 * `apply --plan` with a plan of another grid, or of an edited topology: the hint's `gridops plan`
 * runs on the run's own state (--state-dir), and for another grid does not carry that grid's
 * --limit or --allow-older-gridops; the plan file's words are shown escaped.
 */
const refusal = (saved: Plan, grid: { name: string; sourceHash: string }, stateDir?: string, askBecomePass?: boolean): StalePlanError => {
  try {
    assertPlanOfTopology(saved, grid, 'base.yaml', 'plan.json', { stateDir, askBecomePass });
  } catch (err) {
    expect(err).toBeInstanceOf(StalePlanError);
    return err as StalePlanError;
  }
  throw new Error('the plan was not refused');
};

const ofOtherGrid: Plan = { ...savedPlan(), topology: { file: 'one.yaml', grid: 'one', sourceHash: 'b'.repeat(64) }, playbooks: ['/p/web.yaml'], adHocPlaybooks: true, limit: ['web-*'], allowOlderGridops: true };

describe('the gridops plan a refused saved plan suggests', () => {
  it("another grid's plan: its playbooks kept, its --limit and --allow-older-gridops left out, the run's --state-dir added", () => {
    const err = refusal(ofOtherGrid, { name: 'base', sourceHash: 'a'.repeat(64) }, '/var/lib/grid state');
    expect(err.message).toBe('this plan is for grid one (from one.yaml), not grid base; nothing was changed');
    expect(err.hint).toBe("make a plan of grid base with `gridops plan base.yaml --playbook /p/web.yaml --state-dir '/var/lib/grid state' --out plan.json`, review it, then apply it; or apply this plan with one.yaml");
  });

  it('an edited topology: the plan made again with its own --limit and --allow-older-gridops, and the --state-dir', () => {
    const edited = { ...ofOtherGrid, topology: { ...ofOtherGrid.topology, grid: 'base' } };
    expect(refusal(edited, { name: 'base', sourceHash: 'a'.repeat(64) }, '/srv/st').hint).toBe("make a new plan with `gridops plan base.yaml --playbook /p/web.yaml --limit 'web-*' --allow-older-gridops --state-dir /srv/st --out plan.json`, review it, then apply it");
    // Without --state-dir, none is suggested.
    expect(refusal(edited, { name: 'base', sourceHash: 'a'.repeat(64) }).hint).not.toContain('--state-dir');
  });

  it('a run that asked for the sudo password suggests a plan that asks too, for another grid as for an edited topology', () => {
    const edited = { ...ofOtherGrid, topology: { ...ofOtherGrid.topology, grid: 'base' } };
    expect(refusal(edited, { name: 'base', sourceHash: 'a'.repeat(64) }, undefined, true).hint).toBe("make a new plan with `gridops plan base.yaml --playbook /p/web.yaml --limit 'web-*' --allow-older-gridops --ask-become-pass --out plan.json`, review it, then apply it");
    expect(refusal(ofOtherGrid, { name: 'base', sourceHash: 'a'.repeat(64) }, '/srv/st', true).hint).toContain('`gridops plan base.yaml --playbook /p/web.yaml --state-dir /srv/st --ask-become-pass --out plan.json`');
    expect(refusal(edited, { name: 'base', sourceHash: 'a'.repeat(64) }).hint).not.toContain('--ask-become-pass');
  });

  it("the plan file's grid and topology file cannot act on the terminal", () => {
    const tampered = { ...savedPlan(), topology: { file: 'one\u001b[2J.yaml', grid: 'o\u009bne\u202e', sourceHash: 'b'.repeat(64) } };
    const err = refusal(tampered, { name: 'base', sourceHash: 'a'.repeat(64) });
    expect(err.message).toBe('this plan is for grid o\\u009bne\\u202e (from one\\u001b[2J.yaml), not grid base; nothing was changed');
    expect(err.hint).toContain('or apply this plan with one\\u001b[2J.yaml');
    expect(`${err.message}${err.hint}`).not.toMatch(/[\u001b\u009b\u202e]/);
  });
});
