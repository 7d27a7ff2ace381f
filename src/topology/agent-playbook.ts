import { realpathSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { BUILTIN_PLAYBOOKS_DIR } from './playbook-reference.js';

/** The built-in agent playbook's name: a `--playbook` that names it so gets `ref` 'agent'. */
const AGENT = 'agent';

/**
 * Whether this is gridops' agent playbook, however the run named it: `agent`, or a path to the
 * built-in file (`./playbooks/agent.yaml`, a link to it), whose `ref` is then that path. Kept with
 * the playbook references, below the state, so that a state record's playbook list is read by the
 * same rule as a run's (state/nodes-with-agent.ts).
 */
export function isAgentPlaybook(playbook: { ref: string }): boolean {
  // A file's ref is its resolved path; another built-in's is a bare name, never a file of the current directory.
  return playbook.ref === AGENT || (isAbsolute(playbook.ref) && realPath(playbook.ref) === realPath(join(BUILTIN_PLAYBOOKS_DIR, `${AGENT}.yaml`)));
}

function realPath(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}
