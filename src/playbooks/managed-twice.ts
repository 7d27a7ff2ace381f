import type { Problem } from '../errors/problem.js';
import { pathToString, positionOf, type PathSegment, type SourceDocument } from '../topology/source.js';
import { literalResourceId } from './literal-resource-id.js';
import { literalWrittenPaths } from './literal-written-paths.js';
import type { PlaybookResource } from './schema.js';

/**
 * The problem of an entry that manages what an earlier entry of the node's playbooks already
 * manages (`earlier`: that entry, as a message names it): the planner refuses the pair on every
 * host ("two resources manage ..."), so validation refuses it first, at the later entry.
 */
export function managedTwice(source: SourceDocument, index: number, id: string, earlier: string): Problem {
  const path: PathSegment[] = ['resources', index];
  return {
    file: source.file,
    ...positionOf(source, path),
    path: pathToString(path),
    message: `this entry manages ${id}, which ${earlier} manages already: a node's playbooks may manage each thing once`,
    hint: 'remove one of the two entries, or make them manage different things',
  };
}

/**
 * Entries of one playbook that manage the same thing, each found by literalResourceId (the ids
 * the planner compares). `sound`: the entries that passed their own checks (only those have the
 * shape literalResourceId reads).
 */
export function entriesManagedTwice(source: SourceDocument, resources: readonly unknown[], sound: (index: number) => boolean): Problem[] {
  const first = new Map<string, number>();
  const problems: Problem[] = [];
  resources.forEach((entry, index) => {
    if (!sound(index)) return;
    const id = literalResourceId(entry as PlaybookResource);
    if (id === undefined) return;
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, index);
    else problems.push(managedTwice(source, index, id, `resources[${earlier}]`));
  });
  return problems;
}

/**
 * Entries of one playbook that write one literal path (literalWrittenPaths), unless all are
 * `line`s: the planner refuses the pair on every host (engine/overlapping-writes.ts: a `file` and a
 * `line` on one path would each undo the other at every run), so validation refuses it first, at
 * the later entry. Two entries of one id are entriesManagedTwice's problem, not reported again.
 */
export function entriesWritingOnePath(source: SourceDocument, resources: readonly unknown[], sound: (index: number) => boolean): Problem[] {
  const writers = new Map<string, number[]>();
  const problems: Problem[] = [];
  const kindOf = (index: number) => Object.keys(resources[index] as object)[0]!;
  const idOf = (index: number) => literalResourceId(resources[index] as PlaybookResource);
  resources.forEach((entry, index) => {
    if (!sound(index)) return;
    for (const written of new Set(literalWrittenPaths(entry as PlaybookResource))) {
      const earlier = writers.get(written) ?? [];
      writers.set(written, [...earlier, index]);
      const sameThing = earlier.some((e) => idOf(e) !== undefined && idOf(e) === idOf(index));
      const clash = earlier.find((e) => kindOf(e) !== 'line' || kindOf(index) !== 'line');
      if (sameThing || clash === undefined) continue;
      const path: PathSegment[] = ['resources', index];
      problems.push({
        file: source.file,
        ...positionOf(source, path),
        path: pathToString(path),
        message: `this entry writes ${written}, which resources[${clash}] (${kindOf(clash)}) writes too: each would undo what the other wrote, at every run`,
        hint: "manage the whole file in one place: put the line into the file's content or template, or drop one of the two entries",
      });
      return;
    }
  });
  return problems;
}
