import { PlanningError } from '../errors/index.js';
import { namedFew } from '../named-few.js';
import type { GridState } from '../state/state.js';
import { printableText } from '../text/printable-text.js';
import { compareVersions, newerThanThisGridops } from '../version-order.js';
import { GRIDOPS_VERSION } from '../version.js';
import type { Phase } from './phase.js';

/** The hosts whose record one newer gridops version wrote. */
export interface NewerGridops {
  version: string;
  hosts: string[];
}

/**
 * The gridops versions newer than this one that wrote records of `state` (newerThanThisGridops of its gridopsVersion,
 * the rule status judges them by), newest first, each with its hosts. Every record counts, not only the run's (`--limit`): the file
 * is rewritten whole, and a failed or skipped record still says which gridops last ran there. A
 * version compareVersions cannot order against this one (a dev build, a hand-edited record, another
 * build of the same version) is not known to be newer, so it is not counted: refusing on a guess
 * would stop a run `--allow-older-gridops` was never meant for.
 */
export function newerGridopsRecords(state: GridState): NewerGridops[] {
  const byVersion = new Map<string, string[]>();
  for (const [host, record] of Object.entries(state.hosts)) {
    if (!newerThanThisGridops(record.gridopsVersion)) continue;
    byVersion.set(record.gridopsVersion, [...(byVersion.get(record.gridopsVersion) ?? []), host]);
  }
  return [...byVersion].map(([version, hosts]) => ({ version, hosts })).sort((a, b) => compareVersions(b.version, a.version) ?? 0);
}

/**
 * What each command's refusal says: what running this older gridops over their records would do
 * (`consequence`), and how the command is run again with this gridops on purpose (`onPurpose`).
 */
const REFUSAL_WORDS = {
  apply: { consequence: 'applying with it would deploy its older agent over theirs', onPurpose: `to go back to ${GRIDOPS_VERSION} on purpose` },
  plan: { consequence: 'its plan would deploy its older agent over theirs', onPurpose: `to go back to ${GRIDOPS_VERSION} on purpose` },
  reset: {
    consequence: 'resetting with it would remove only what this older gridops knows it installed, then forget the hosts',
    onPurpose: `to reset with ${GRIDOPS_VERSION} all the same`,
  },
} as const;

/** "the state FILE was written by gridops 1.4.2 (hosts n1 and n2), newer than this gridops 1.4.1". */
function writtenBy(file: string, newer: readonly NewerGridops[]): string {
  // Host names are the state file's keys, which a hand edit may have filled with anything.
  const hosts = (names: readonly string[]) => {
    const few = namedFew(names.map(printableText));
    // namedFew says "and N more hosts" itself past four names.
    return names.length > 4 ? few : `${names.length === 1 ? 'host' : 'hosts'} ${few}`;
  };
  const versions = newer.map((n) => `${n.version} (${hosts(n.hosts)})`);
  const joined = versions.length === 1 ? versions[0]! : `${versions.slice(0, -1).join(', ')} and ${versions.at(-1)}`;
  return `the state ${printableText(file)} was written by gridops ${joined}, newer than this gridops ${GRIDOPS_VERSION}`;
}

/**
 * Refuses to plan from a state a newer gridops wrote (newerGridopsRecords), before any connection,
 * as Terraform refuses a state a newer Terraform wrote: agent.version defaults to this gridops'
 * own, so its apply would quietly deploy its older agent over the newer one and rewrite the records,
 * and its reset would leave behind what the newer one installed and this one does not know of.
 * `--allow-older-gridops` (RunOptions.allowOlderGridops) goes on, saying so: going back is meant.
 * One phase per command, since what the refusal says would happen is the command's own.
 */
export function checkNoNewerGridops(command: 'apply' | 'plan' | 'reset'): Phase {
  return {
    title: 'check that no newer gridops applied the grid',
    async run(ctx) {
      const newer = newerGridopsRecords(await ctx.recordedState());
      if (newer.length === 0) return;
      const written = writtenBy(ctx.paths.state, newer);
      if (ctx.options.allowOlderGridops) {
        ctx.warn(`${written}: going on, as --allow-older-gridops asks`);
        return;
      }
      const words = REFUSAL_WORDS[command];
      throw new PlanningError(
        `${written}: ${words.consequence}; nothing was changed`,
        `use gridops ${newer[0]!.version} or later; ${words.onPurpose}, run the same command with --allow-older-gridops`,
      );
    },
  };
}
