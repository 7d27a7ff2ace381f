import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApplyLike } from '../../src/apply-runner.js';
import type { GridopsCommand } from '../../src/base-command.js';
import type { ApplyResult } from '../../src/phases/apply-outcome.js';
import { runApply } from '../../src/phases/apply.js';
import { runPlan } from '../../src/phases/plan.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { savePlan } from '../../src/plan/plan-file.js';
import { renderPlan } from '../../src/plan/render.js';
import { createRunLog } from '../../src/run-log.js';
import { localRecording, localRunOptions } from '../support/local-run.js';

/**
 * A `line` edits a file that holds secrets (an .env): the plan must say which line it adds or
 * replaces and nothing else of the file, in every form it leaves behind: the text `plan` and
 * `apply` print, `--json`, `plan --out`, and the `--log-file` record. The change still carries the
 * whole new file in memory, for apply.
 */
const SECRET = 'API_TOKEN=tok_live_8f3Qz1Xw9Lr2';
let dir: string;
let topology: string;
let playbook: string;
let env: string;

const connect = async (node: { name: string }) => localRecording(node.name);

function options(extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return localRunOptions({ topologyFile: topology, playbooks: [playbook] }, { concurrency: 1, connect, ...extra });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-line-shown-'));
  topology = join(dir, 'grid.yaml');
  writeFileSync(topology, 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
  env = join(dir, 'app.env');
  // The secret sits right next to the replaced line, where a diff's context would show it.
  writeFileSync(env, `DB_HOST=db\n${SECRET}\nLOG_LEVEL=info\nDB_PASSWORD=hunter2-not-shown`);
  mkdirSync(join(dir, 'pb'));
  playbook = join(dir, 'pb', 'env.yaml');
  writeFileSync(playbook, `name: env\nresources:\n  - line: { path: ${JSON.stringify(env)}, line: "LOG_LEVEL=debug", match: "^LOG_LEVEL=" }\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a line change shows the line, never the rest of the file", () => {
  it('in the text of the plan, its --json, the saved plan and the log file of plan and apply', async () => {
    const logFile = join(dir, 'run.log');
    const plan = await runPlan(options({ logger: await createRunLog(logFile, 'plan') }));
    const text = renderPlan(plan);
    expect(text).toContain('-LOG_LEVEL=info');
    expect(text).toContain('+LOG_LEVEL=debug');
    const json = JSON.stringify(plan, null, 2);
    const out = join(dir, 'plan.json');
    await savePlan(out, plan);

    // apply as the command runs it, with its --log-file; its printed plan is collected too.
    const said: string[] = [];
    const command = { jsonEnabled: () => false, isVerbose: () => false, useColor: () => false, say: (s: string) => said.push(s) } as unknown as GridopsCommand<ApplyResult> & { jsonEnabled(): boolean };
    const flags = { concurrency: 1, 'accept-new-host-keys': false, 'ask-become-pass': false, 'log-file': logFile, yes: true };
    const stdout = process.stdout.write;
    process.stdout.write = ((s: string) => (said.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await runApplyLike(command, 'apply', topology, flags, { playbooks: [playbook], connect }, runApply);
    } finally {
      process.stdout.write = stdout;
    }
    expect(readFileSync(env, 'utf8')).toBe(`DB_HOST=db\n${SECRET}\nLOG_LEVEL=debug\nDB_PASSWORD=hunter2-not-shown\n`);

    const outputs = { text, json, saved: readFileSync(out, 'utf8'), log: readFileSync(logFile, 'utf8'), apply: said.join('\n') };
    // Nor a plain hash of the new file, against which guesses of its secrets could be checked offline.
    const plainHash = createHash('sha256').update(readFileSync(env)).digest('hex');
    for (const [name, shown] of Object.entries(outputs)) {
      expect([name, shown.includes('tok_live_8f3Qz1Xw9Lr2'), shown.includes('hunter2'), shown.includes(plainHash)]).toEqual([name, false, false, false]);
    }
    expect(json).toMatch(/"contentSha256": "hmac-sha256:[0-9a-f]{64}"/);
    expect(outputs.log).toContain('apply finished');
  });

  it('a saved plan with a line change still applies (apply writes what it plans afresh)', async () => {
    const out = join(dir, 'plan.json');
    await savePlan(out, await runPlan(options()));
    const { loadPlan } = await import('../../src/plan/plan-file.js');
    const result = await runApply(options({ savedPlan: await loadPlan(out) }));
    expect(result.hosts.map((h) => h.status)).toEqual(['applied']);
    expect(readFileSync(env, 'utf8')).toContain('LOG_LEVEL=debug\n');
  });
});
