import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApplyLike } from '../../src/apply-runner.js';
import { runApply } from '../../src/phases/apply.js';
import { quote } from '../../src/transport/quote.js';
import { localRecording } from '../support/local-run.js';

/**
 * A step warning (resources/step-warning.ts) is a warning of the run: with `--json` it is a
 * `{"type":"warning"}` line on stderr, as README documents warnings, not a progress line whose
 * message happens to start `warning: `. Apply as the command runs it, against this machine, whose
 * PATH finds a fake apt-get first: the package step meets another apt's lock once, waits, and
 * succeeds, and the wait is its warning.
 */
let dir: string;
let path: string | undefined;
const LOCKED = 'E: Could not get lock /var/cache/apt/archives/lock. It is held by process 812 (apt-get)';
/** The run's apt lock wait, shortened: the default pauses 5 s before it tries again. */
const SHORT_APT_LOCK_WAIT = { totalS: 6, pauseS: 0.1 };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-step-warning-json-'));
  const calls = join(dir, 'install-calls');
  writeFileSync(calls, '');
  // update succeeds; the first install meets the lock, the next succeeds. The package is unknown to
  // dpkg-query, so the plan installs it, and no trigger is pending.
  writeFileSync(
    join(dir, 'apt-get'),
    ['#!/bin/sh', 'case " $* " in *" update "*) exit 0 ;; esac', `echo "$*" >> ${quote(calls)}`, `if [ "$(wc -l < ${quote(calls)})" -le 1 ]; then echo ${quote(LOCKED)} >&2; echo 'E: Unable to lock directory /var/cache/apt/archives/' >&2; exit 100; fi`, 'echo installed'].join('\n'),
  );
  writeFileSync(join(dir, 'dpkg-query'), '#!/bin/sh\nexit 1\n');
  for (const tool of ['apt-get', 'dpkg-query']) chmodSync(join(dir, tool), 0o755);
  path = process.env.PATH;
  process.env.PATH = `${dir}:${path}`;
  writeFileSync(join(dir, 'grid.yaml'), 'apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\nregions:\n  - name: r1\n    subgrids:\n      - name: s1\n        nodes:\n          - { name: n1, address: 10.0.0.1 }\n');
  writeFileSync(join(dir, 'pkg.yaml'), 'name: pkg\nresources:\n  - package: { names: [gridops-test-package] }\n');
});
afterEach(() => {
  process.env.PATH = path;
  rmSync(dir, { recursive: true, force: true });
});

describe("apply --json: a step warning is a warning line, not a progress line", () => {
  it("the package step's wait for another apt's lock, after which it succeeded", async () => {
    const command = { jsonEnabled: () => true, isVerbose: () => false, useColor: () => false, say: () => undefined };
    const flags = { concurrency: 1, 'accept-new-host-keys': false, 'ask-become-pass': false, yes: true };
    const stderr: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (stderr.push(String(s)), true)) as typeof process.stderr.write;
    try {
      const result = await runApplyLike(command as never, 'apply', join(dir, 'grid.yaml'), flags, { playbooks: [join(dir, 'pkg.yaml')], connect: async (node) => localRecording(node.name), aptLockWait: SHORT_APT_LOCK_WAIT }, runApply);
      expect(result.hosts.map((h) => h.status)).toEqual(['applied']);
    } finally {
      process.stderr.write = write;
    }
    // (Node's own warnings, such as the VM modules one these tests run with, are not gridops' lines.)
    const lines = stderr.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; message?: string });
    const waited = lines.filter((l) => l.message?.includes('waiting for the apt lock'));
    expect(waited).toEqual([{ type: 'warning', message: `n1: package gridops-test-package: apt-get install: waiting for the apt lock (up to 6 s): ${LOCKED}` }]);
  }, 30_000);
});
