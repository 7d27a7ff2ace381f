import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PlanCommand from '../../src/commands/plan.js';
import Reset from '../../src/commands/reset.js';
import Validate from '../../src/commands/validate.js';
import { runCommand } from '../support/run-command.js';

/**
 * A sandbox image that is not on this machine: validate, and plan before any connection, refuse it
 * at the line that names it (it used to pass validate, then fail each node's plan after connecting).
 * Runs that upload no image (reset, an ad-hoc playbook without the hypervisor) do not need it.
 * The identity file does not exist either: a run that gets past the image stops there, unconnected.
 */
let dir: string;
let topology: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-image-file-'));
  topology = join(dir, 't.yaml');
  writeFileSync(
    topology,
    `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
defaults:
  ssh: { user: root, identityFile: ${join(dir, 'no-such-key')}, knownHosts: ${join(dir, 'kh')} }
regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2, hypervisor: { enabled: true, sandbox: { image: images/missing.img } } }
`,
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const where = () => `${topology}:12:91: hypervisor.sandbox.image "images/missing.img" does not exist on this machine (${join(dir, 'images/missing.img')})`;

describe('a sandbox image missing on this machine', () => {
  it('validate: a problem at the line that names it, with how to build one (exit 1)', async () => {
    const r = await runCommand(Validate, topology);
    expect(r.stderr).toContain(where());
    expect(r.stderr).toContain(`gridops lab image --out ${join(dir, 'images/missing.img')}`);
    expect(r.exit).toBe(1);
  });

  it('plan: the same problem, before the identity files are checked or any host is contacted', async () => {
    const r = await runCommand(PlanCommand, topology);
    expect(r.stderr).toContain(where());
    expect(r.stderr).not.toContain('identity file');
    expect(r.exit).toBe(1);
  });

  it('once it is there, validate passes; reset and a plan of other playbooks never needed it', async () => {
    for (const run of [() => runCommand(Reset, topology, '--yes'), () => runCommand(PlanCommand, topology, '--playbook', 'qos')]) {
      const r = await run();
      expect(r.stderr).not.toContain('sandbox.image');
      expect(r.stderr).toContain('identity file');
    }
    mkdirSync(join(dir, 'images'));
    writeFileSync(join(dir, 'images/missing.img'), 'a disk');
    expect((await runCommand(Validate, topology)).exit).toBe(0);
  });
});
