import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Problem } from '../errors/problem.js';
import { literalResourceId } from '../playbooks/literal-resource-id.js';
import { appliesTo, loadPlaybook, playbookRef, type LoadedPlaybook, type LoadOptions } from '../playbooks/load.js';
import { managedTwice } from '../playbooks/managed-twice.js';
import type { PlaybookResource } from '../playbooks/schema.js';
import { allNodes, type Grid, type Position } from '../topology/model.js';
import { BUILTIN_PLAYBOOKS_DIR, fromTopology, playbookTarget, shadowingFile } from '../topology/playbook-reference.js';
import { parseSource, pathToString, positionOf, type PathSegment, type SourceDocument } from '../topology/source.js';
import { RESET_PLAYBOOK } from './find-removed-nodes.js';
import { AGENT_RENAME_PLAYBOOK } from './renamed-agent.js';
import { GRID_NETWORK_RENAME_PLAYBOOK } from './renamed-grid-network.js';
import { HYPERVISOR_OFF_PLAYBOOK } from './retired-hypervisor.js';
import { workflowNames, WORKFLOW_PLAYBOOKS, type LoadedPlaybooks } from './workflow-playbooks.js';

/** gridops' own playbooks that gridops itself adds to a run, and when: none of them is the topology's to name. */
const INTERNAL_PLAYBOOKS: Record<string, string> = {
  [RESET_PLAYBOOK]: 'for `gridops reset`',
  [AGENT_RENAME_PLAYBOOK]: 'for a renamed node',
  [HYPERVISOR_OFF_PLAYBOOK]: 'for a node whose hypervisor.enabled is turned off',
  [GRID_NETWORK_RENAME_PLAYBOOK]: 'for a renamed hypervisor.sandbox.network',
};

/** What the planner refuses on every host, found in the run's inputs: problems at their lines, and those of the command line. */
export interface WorkflowConflicts {
  problems: Problem[];
  commandLine: Array<{ message: string; hint: string }>;
}

/**
 * The run's workflows checked before any host is touched, for what the planner would refuse on
 * every node they run on (engine/planner.ts stays the backstop, and alone compares what only a
 * node's values give): a playbook listed twice (`own`: the topology's `playbooks`, when this run
 * runs them; `adHoc`: `--playbook`), gridops' own playbooks named in the topology, two entries of
 * a node's playbooks that manage one thing (literalResourceId, the planner's ids), and a `notify`
 * no playbook of the node's run defines. A playbook that does not load is not compared here: its
 * own problems are reported where it is loaded. The grid, when it is valid, says which playbooks
 * each node runs; without it only the lists are checked.
 */
export function workflowConflicts(grid: Grid | undefined, topologyFile: string, own: Grid['playbooks'] | undefined, adHoc: readonly string[], loaded: LoadedPlaybooks, options: LoadOptions = {}): WorkflowConflicts {
  const problems: Problem[] = [];
  const kept = own ? ownPlaybooks(own, topologyFile, problems) : [];
  const commandLine: WorkflowConflicts['commandLine'] = [];
  const adHocOnce = adHocPlaybooks(adHoc, loaded, commandLine);
  if (grid) {
    const workflows = new Map<string, LoadedPlaybook[]>();
    // The grid's workflow alone is gridops' own playbooks, which its tests keep free of conflicts
    // (test/phases/workflow-conflicts.test.ts): compared only with playbooks the topology adds, so
    // that `validate` of a topology that adds none loads no playbook it did not load before.
    const ownRun = own && kept.length > 0;
    for (const node of allNodes(grid)) {
      for (const refs of [...(ownRun ? [[...workflowNames(node), ...kept]] : []), ...(adHoc.length ? [adHocOnce] : [])]) {
        const playbooks = refs.flatMap((ref) => loadedOrOwn(ref, loaded, options)).filter((p) => appliesTo(p, node.settings));
        workflows.set(playbooks.map((p) => p.file).join('\0'), playbooks);
      }
    }
    const sources = new Map<string, SourceDocument>();
    const sourceOf = (file: string) => sources.get(file) ?? sources.set(file, parseSource(file, readFileSync(file, 'utf8')).source).get(file)!;
    for (const playbooks of workflows.values()) problems.push(...managedTwiceAcross(playbooks, sourceOf), ...unknownHandlers(playbooks, sourceOf), ...handlersDefinedTwice(playbooks, sourceOf));
  }
  const seen = new Set<string>();
  return { problems: problems.filter((p) => !seen.has(`${p.file}:${p.line}:${p.column}:${p.message}`) && seen.add(`${p.file}:${p.line}:${p.column}:${p.message}`)), commandLine };
}

/** The topology's entries that may run, resolved (as gridPlaybooks resolves them); the others' problems into `problems`. */
function ownPlaybooks(own: Grid['playbooks'], topologyFile: string, problems: Problem[]): string[] {
  const base = fromTopology(topologyFile);
  const first = new Map<string, Position>();
  const kept: string[] = [];
  for (const { ref, position } of own) {
    const { file, builtin } = playbookTarget(ref, base);
    // gridops' own by name, or by the path of its file.
    const name = builtin ?? (file && dirname(file) === BUILTIN_PLAYBOOKS_DIR ? basename(file, '.yaml') : undefined);
    const refusal = name === undefined ? undefined : WORKFLOW_PLAYBOOKS.includes(name) ? `${ref} runs in the grid's workflow already: node-base, hypervisor (where hypervisor.enabled), qos, agent, then the topology's playbooks` : INTERNAL_PLAYBOOKS[name] && `${ref} is gridops' own playbook ${INTERNAL_PLAYBOOKS[name]}, run by gridops itself only`;
    if (refusal) {
      const shadowed = shadowingFile(ref, base);
      problems.push({ ...position, path: 'playbooks', message: refusal, hint: `remove it from playbooks${shadowed ? `; to run the file beside the topology, write ./${ref}` : ''}` });
      continue;
    }
    const resolved = playbookRef(ref, base);
    const earlier = first.get(file ?? resolved);
    if (earlier) problems.push({ ...position, path: 'playbooks', message: `playbook ${resolved} is listed twice (also at line ${earlier.line}, column ${earlier.column})`, hint: 'keep one of the two entries: each playbook runs once per node' });
    else {
      first.set(file ?? resolved, position);
      kept.push(resolved);
    }
  }
  return kept;
}

/** The `--playbook` values, each playbook once; one given again (by the same or another spelling) into `commandLine`. */
function adHocPlaybooks(adHoc: readonly string[], loaded: LoadedPlaybooks, commandLine: WorkflowConflicts['commandLine']): string[] {
  const first = new Map<string, string>();
  const reported = new Set<string>();
  for (const ref of adHoc) {
    const key = loaded.get(ref)?.file ?? ref;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, ref);
    else if (!reported.has(ref)) {
      reported.add(ref);
      const message = earlier === ref ? `--playbook ${ref} is given twice` : `--playbook ${ref} names the playbook --playbook ${earlier} names`;
      commandLine.push({ message: `${message}: each playbook runs once per node`, hint: `give each playbook once: --playbook ${earlier}` });
    }
  }
  return [...first.values()];
}

/**
 * A playbook loaded while checking the inputs, or one of the grid's workflow, loaded now (into
 * `loaded`, which the workflow then takes; from the playbook cache where `options.cached` asks, as
 * loadWorkflow would have); none for one that does not load.
 */
function loadedOrOwn(ref: string, loaded: LoadedPlaybooks, options: LoadOptions): LoadedPlaybook[] {
  const known = loaded.get(ref);
  if (known) return [known];
  if (!WORKFLOW_PLAYBOOKS.includes(ref)) return [];
  try {
    const playbook = loadPlaybook(ref, undefined, options);
    loaded.set(ref, playbook);
    return [playbook];
  } catch {
    // Reported as ever where the workflow loads it (loadWorkflow).
    return [];
  }
}

/** Entries of different playbooks of one node's run that manage one thing, at the later one. */
function managedTwiceAcross(playbooks: readonly LoadedPlaybook[], sourceOf: (file: string) => SourceDocument): Problem[] {
  const first = new Map<string, { playbook: LoadedPlaybook; index: number }>();
  const problems: Problem[] = [];
  for (const playbook of playbooks) {
    playbook.resources.forEach((entry, index) => {
      const id = literalResourceId(entry);
      if (id === undefined) return;
      const earlier = first.get(id);
      if (!earlier) first.set(id, { playbook, index });
      else {
        const at = positionOf(sourceOf(earlier.playbook.file), ['resources', earlier.index]);
        problems.push(managedTwice(sourceOf(playbook.file), index, id, `resources[${earlier.index}] of playbook ${earlier.playbook.name} (${earlier.playbook.file}:${at.line}:${at.column})`));
      }
    });
  }
  return problems;
}

/** Each `notify` name that no playbook of the node's run defines as a handler (the planner's "which no playbook defines"). */
function unknownHandlers(playbooks: readonly LoadedPlaybook[], sourceOf: (file: string) => SourceDocument): Problem[] {
  const handlers = [...new Set(playbooks.flatMap((p) => (p.handlers ?? []).map((h) => h.name)))];
  const defined = handlers.length ? ` (${handlers.join(', ')} ${handlers.length === 1 ? 'is' : 'are'} defined)` : '';
  const problems: Problem[] = [];
  for (const playbook of playbooks) {
    playbook.resources.forEach((entry: PlaybookResource, index) => {
      const [kind, body] = Object.entries(entry)[0] as [string, { notify?: string[] }];
      (body.notify ?? []).forEach((name, n) => {
        if (handlers.includes(name)) return;
        const path: PathSegment[] = ['resources', index, kind, 'notify', n];
        problems.push({ file: playbook.file, ...positionOf(sourceOf(playbook.file), path), path: pathToString(path), message: `notify names handler "${name}", which no playbook of the run defines`, hint: `define it under \`handlers:\` in one of the playbooks${defined}, or fix the name` });
      });
    });
  }
  return problems;
}

/**
 * A handler name two playbooks of the node's run define with two commands: the planner finds
 * handlers by name, so every notification of it would run the first one's command, and the later
 * playbook's (a restart of its own service) never. Refused at the later definition; the same
 * command twice is one handler.
 */
function handlersDefinedTwice(playbooks: readonly LoadedPlaybook[], sourceOf: (file: string) => SourceDocument): Problem[] {
  const first = new Map<string, { playbook: LoadedPlaybook; run: string }>();
  const problems: Problem[] = [];
  for (const playbook of playbooks) {
    (playbook.handlers ?? []).forEach((handler, index) => {
      const earlier = first.get(handler.name);
      if (!earlier) return void first.set(handler.name, { playbook, run: handler.run });
      if (earlier.playbook === playbook || earlier.run === handler.run) return;
      const path: PathSegment[] = ['handlers', index];
      problems.push({ file: playbook.file, ...positionOf(sourceOf(playbook.file), path), path: pathToString(path), message: `handler "${handler.name}" is defined by playbook ${earlier.playbook.name} too, with another command`, hint: `give this handler a name of its own (and its notify entries with it): the run finds handlers by name, so its notifications would run playbook ${earlier.playbook.name}'s \`${earlier.run}\`` });
    });
  }
  return problems;
}

