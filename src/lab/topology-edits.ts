import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { LabError } from '../errors/index.js';
import { labCommand, shellWord } from './lab-command.js';

/** The sha256 of a topology's text, as lab.json records the one the lab last wrote (LabState.topologySha256). */
export function topologyDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Whether `file` holds text other than the topology the lab last wrote (`recorded`): `down` keeps
 * such a file, `up` and `grow` refuse to overwrite it. A missing file has nothing to lose; a lab
 * recorded before the digest cannot tell, and counts as not edited.
 */
export function topologyEdited(file: string, recorded: string | undefined): boolean {
  return recorded !== undefined && existsSync(file) && topologyDigest(readFileSync(file, 'utf8')) !== recorded;
}

/**
 * Refuses to let `lab up` or `lab grow` overwrite the lab's topology.yaml when it is no longer the
 * text the lab last wrote (`recorded`): the lab renders it from its plan, which never shrinks, so a
 * node the user decommissioned by removing it (as the grow refusal advises) would come back, and
 * every hand edit would be undone. Refused before anything is built, rather than writing the new
 * one beside it: the user decides, and nothing half-grown waits for them. A missing file has nothing
 * to lose; a lab recorded before the digest cannot tell, and is written as before.
 */
export function checkTopologyNotEdited(file: string, recorded: string | undefined, dir: string, verb: 'up' | 'grow'): void {
  if (!topologyEdited(file, recorded)) return;
  throw new LabError(
    `${file} was edited since the lab wrote it: gridops lab ${verb} would overwrite it with every node the lab runs (one removed by hand would come back); nothing was changed`,
    `move it aside (mv ${shellWord(file)} ${shellWord(`${file}.edited`)}) and run \`${labCommand(verb, dir)}\` again${verb === 'grow' ? ' with the same totals' : ''}: the lab writes a fresh topology.yaml listing every node it runs; then add the new nodes to your file by hand, or carry your edits over to the fresh one`,
  );
}

/**
 * Refuses to let `lab up` write over a topology.yaml when no lab.json records the text the lab
 * wrote: `lab down` keeps an edited file but removes lab.json (and the digest in it), so without
 * this the next `up` could not tell the user's edits from its own text and would overwrite them.
 * Only a kept or hand-written file meets it: a normal `down` removes the topology with lab.json.
 */
export function checkNoUnrecordedTopology(file: string, dir: string): void {
  if (!existsSync(file)) return;
  throw new LabError(
    `${file} exists but no lab.json in ${dir} records it (one lab down kept, or written by hand): gridops lab up would overwrite it with every node the lab runs; nothing was changed`,
    `move it aside (mv ${shellWord(file)} ${shellWord(`${file}.edited`)}) and run \`${labCommand('up', dir)}\` again: the lab writes a fresh topology.yaml listing every node it runs; then carry your edits over to the fresh one`,
  );
}
