import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandResource } from '../../src/resources/command.js';
import { batchScript } from '../../src/engine/batch-script.js';
import { StepRecorder } from '../../src/resources/step-recorder.js';
import { quote } from '../../src/transport/quote.js';

/** Plans the command on a host where its guards said "run" (the probe printed nothing), then runs its batch under /bin/sh. */
async function planThenApply(spec: ConstructorParameters<typeof CommandResource>[0]): Promise<void> {
  const change = new CommandResource(spec).diff('')!;
  const recorder = new StepRecorder('local');
  recorder.begin(change.id);
  await new CommandResource(spec).apply(change, recorder);
  execFileSync('/bin/sh', ['-c', batchScript([{ id: change.id }], recorder.steps, '@@marker@@')], { stdio: 'ignore' });
}

describe('command: its guards are checked again when it runs, not only at plan time', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-command-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a `creates` path an earlier change of the same batch made: the command does not run', async () => {
    const creates = join(dir, 'made');
    writeFileSync(creates, '');
    await planThenApply({ name: 'init', command: `touch ${quote(join(dir, 'ran'))}`, creates });
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('an `unless` that passes by the time the command runs: the command does not run', async () => {
    await planThenApply({ name: 'init', command: `touch ${quote(join(dir, 'ran'))}`, unless: `true # done by now` });
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('guards that still say "run": the command runs, a command ending in a comment included', async () => {
    await planThenApply({ name: 'init', command: `touch ${quote(join(dir, 'ran'))} # make it`, creates: join(dir, 'absent'), unless: 'false' });
    expect(existsSync(join(dir, 'ran'))).toBe(true);
  });

  it('a failing command still fails its step', async () => {
    await expect(planThenApply({ name: 'init', command: 'exit 3', creates: join(dir, 'absent') })).rejects.toThrow();
  });
});
