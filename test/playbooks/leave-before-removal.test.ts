import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEAVE_NOT_RECORDED_EXIT_CODE } from '../../src/agent/runtime/leave-not-recorded.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { loadPlaybook } from '../../src/playbooks/load.js';
import type { CommandChange } from '../../src/plan/change.js';
import type { Resource } from '../../src/resources/resource.js';
import { probeSections } from '../../src/resources/probe-sections.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { smallGrid } from '../resources/fixtures.js';

/**
 * The reset (decommission) and agent-rename playbooks run `gridagent leave` before they stop the
 * agent. An agent that is down (or predates `leave`) must not hold the removal back; but one that
 * runs and could not record its leave (exit 73: disk full, state directory unwritable) is still a
 * member of the grid, and removing it, or clearing its state, as if it had left would keep its name
 * a voter for good. So the step fails there, before the stop, and says nothing of stopping anyway.
 */
describe('the leave before the agent is removed', () => {
  const grid = smallGrid('');
  const context = templateContext(grid, allNodes(grid)[0]!);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-leave-before-removal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The command the first step of `resource` runs on the host. */
  const firstStep = async (resource: Resource, probed: string): Promise<string> => {
    const change = resource.diff(probed, undefined as never)!;
    const recorder = new StepRecorder('t');
    recorder.begin(change.id);
    await resource.apply(change as never, recorder, undefined as never);
    return recorder.steps[0]!.command;
  };

  /**
   * Runs `command` where `gridagent` exits `leaveExit` and `systemctl` only logs (and fails, so
   * that agent-rename's command goes no further than the stop on this machine).
   */
  const runOnHost = (command: string, leaveExit: number) => {
    writeFileSync(join(dir, 'gridagent'), `#!/bin/sh\necho "$*" >> ${join(dir, 'log')}\nexit ${leaveExit}\n`);
    writeFileSync(join(dir, 'systemctl'), `#!/bin/sh\necho "systemctl $*" >> ${join(dir, 'log')}\nexit 1\n`);
    for (const tool of ['gridagent', 'systemctl']) chmodSync(join(dir, tool), 0o755);
    const result = spawnSync('sh', ['-c', command], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    let log = '';
    try {
      log = readFileSync(join(dir, 'log'), 'utf8');
    } catch {
      // Nothing ran.
    }
    return { status: result.status, stderr: result.stderr, log };
  };

  describe('reset: the prestop of gridagent.service', () => {
    const unit = instantiate(loadPlaybook('reset'), context).resources.find((r) => r.id === 'absent-unit gridagent.service')!;
    const prestop = () => firstStep(unit, spawnSync('sh', ['-c', probeSections('echo active', 'echo enabled', 'echo present')], { encoding: 'utf8' }).stdout);

    it('left: the step succeeds and says nothing', async () => {
      expect(runOnHost(await prestop(), 0)).toEqual({ status: 0, stderr: '', log: 'leave\n' });
    });

    it('the agent is down (69) or refused (77): the step succeeds, saying it stops the agent anyway', async () => {
      for (const code of [69, 77]) expect(runOnHost(await prestop(), code)).toMatchObject({ status: 0, stderr: expect.stringMatching(/gridagent leave failed; stopping the agent anyway/) });
    });

    it('the leave could not be recorded (73): the step fails, so the agent is neither stopped nor removed', async () => {
      expect(LEAVE_NOT_RECORDED_EXIT_CODE).toBe(73);
      const ran = runOnHost(await prestop(), LEAVE_NOT_RECORDED_EXIT_CODE);
      expect(ran.status).not.toBe(0);
      expect(ran.stderr).not.toMatch(/anyway/);
    });
  });

  describe('agent-rename: leave-under-old-name', () => {
    const leave = instantiate(loadPlaybook('agent-rename'), context).resources.find((r) => r.id.endsWith('leave-under-old-name'))!;
    // Its `run` alone: the step also checks its `unless` again before it (command.ts), which on this
    // machine, with no /etc/gridagent/config.yaml, would skip it.
    const command = async () => (leave.diff('', undefined as never) as CommandChange).command;

    it('the agent is down (69): it goes on to stop the agent', async () => {
      const ran = runOnHost(await command(), 69);
      expect(ran.log).toBe('leave\nsystemctl stop gridagent.service\n');
      expect(ran.stderr).toMatch(/stopping the agent anyway/);
    });

    it('the leave could not be recorded (73): it fails before stopping the agent or clearing its state', async () => {
      const ran = runOnHost(await command(), LEAVE_NOT_RECORDED_EXIT_CODE);
      expect({ status: ran.status, log: ran.log }).toEqual({ status: 1, log: 'leave\n' });
      expect(ran.stderr).not.toMatch(/anyway/);
    });
  });
});
