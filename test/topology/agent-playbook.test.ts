import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAgentPlaybook } from '../../src/topology/agent-playbook.js';
import { BUILTIN_PLAYBOOKS_DIR } from '../../src/topology/playbook-reference.js';

describe('isAgentPlaybook: gridops agent playbook, however a run or a state record names it', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-agent-playbook-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const builtin = join(BUILTIN_PLAYBOOKS_DIR, 'agent.yaml');

  it('is the name `agent` and the built-in file by its path', () => {
    expect(isAgentPlaybook({ ref: 'agent' })).toBe(true);
    expect(isAgentPlaybook({ ref: builtin })).toBe(true);
  });

  it('is a link to the built-in file, and a path to it through a linked folder', () => {
    const link = join(dir, 'my-agent.yaml');
    symlinkSync(builtin, link);
    expect(isAgentPlaybook({ ref: link })).toBe(true);
    const folder = join(dir, 'playbooks');
    symlinkSync(BUILTIN_PLAYBOOKS_DIR, folder);
    expect(isAgentPlaybook({ ref: join(folder, 'agent.yaml') })).toBe(true);
  });

  it('is not a copy of it (another file, which its user may change), a missing path, another built-in, or a relative path', () => {
    const copy = join(dir, 'agent.yaml');
    copyFileSync(builtin, copy);
    expect(isAgentPlaybook({ ref: copy })).toBe(false);
    expect(isAgentPlaybook({ ref: join(dir, 'missing.yaml') })).toBe(false);
    expect(isAgentPlaybook({ ref: join(BUILTIN_PLAYBOOKS_DIR, 'qos.yaml') })).toBe(false);
    expect(isAgentPlaybook({ ref: 'qos' })).toBe(false);
    expect(isAgentPlaybook({ ref: 'playbooks/agent.yaml' })).toBe(false);
  });
});
