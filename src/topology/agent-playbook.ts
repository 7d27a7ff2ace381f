import { statSync, type Stats } from 'node:fs';
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
  if (playbook.ref === AGENT) return true;
  if (!isAbsolute(playbook.ref)) return false;
  const builtin = builtinAgentFile();
  const file = fileOf(playbook.ref);
  return builtin !== undefined && file !== undefined && file.dev === builtin.dev && file.ino === builtin.ino;
}

/**
 * The built-in agent playbook's file, looked up once: every state record is asked about (50 nodes,
 * three readers before a run connects), and a realpath of both paths per question cost 5 ms of a
 * 50-host plan's start-up. The same file (device and inode) is what a realpath comparison found.
 */
let builtinAgent: Stats | undefined | null = null;
function builtinAgentFile(): Stats | undefined {
  if (builtinAgent === null) builtinAgent = fileOf(join(BUILTIN_PLAYBOOKS_DIR, `${AGENT}.yaml`));
  return builtinAgent;
}

function fileOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
