import type SSHConfig from 'ssh-config';
import type { ConfigLine } from './ssh-config-include.js';
import { patternsOf, tokenValues } from './ssh-pattern.js';

/**
 * `Match host` and `Match originalhost` ignore case in OpenSSH: readconf.c lower-cases both the
 * name and the patterns before matching (`Host` lines it judges as written, as compute() does), so
 * `Match host x*` is X1's. The parser's compute() judges them with case, so such a list is written
 * out, by the same rewrite that makes `?` exact (ssh-config-exact-question-mark.ts: the names it
 * matches, compiled caseless), but only where case could decide: where the list, a HostName of the
 * file or the host looked up holds an upper-case letter. Elsewhere compute()'s judgement is ssh's,
 * and the rewrite, a copy of the config per lookup, is not made.
 */

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/** The Match criteria OpenSSH judges lower-cased. */
const CASELESS_CRITERIA = /^(host|originalhost)$/i;

/** An upper-case letter: where none is in a name nor a pattern, ignoring case changes nothing. */
const UPPER_CASE = /[A-Z]/;

type BlockLine = ConfigLine & { criteria?: Record<string, unknown> };

/** What each config's `Match host` lists ask of its lookups (worked out once per config: lookups run per node). */
const caseFactsOf = new WeakMap<SSHConfig, CaseFacts>();

interface CaseFacts {
  /** A `Match host` or `Match originalhost` judges a name, at any depth. */
  judgesHostCaseless: boolean;
  /** Such a pattern, or a HostName it may judge, holds an upper-case letter. */
  upperCase: boolean;
}

/** Whether OpenSSH judges the Match criterion `criterion` ignoring case. */
export function judgedIgnoringCase(criterion: string): boolean {
  return CASELESS_CRITERIA.test(criterion);
}

/**
 * Whether ignoring case, as OpenSSH does in `Match host` and `Match originalhost`, could judge a
 * lookup of `host` otherwise than compute() does: such a criterion is there, and it, a HostName of
 * the file or `host` holds an upper-case letter. Asked of the config as loaded (or a marked copy
 * made once), never of a lookup's own copy, which is new for each lookup.
 */
export function caseMayDecide(config: SSHConfig, host: string): boolean {
  let facts = caseFactsOf.get(config);
  if (facts === undefined) {
    facts = { judgesHostCaseless: false, upperCase: false };
    walkCaseFacts(config as unknown as ConfigLine[], facts);
    caseFactsOf.set(config, facts);
  }
  return facts.judgesHostCaseless && (facts.upperCase || UPPER_CASE.test(host));
}

/** Whether a caseless list of `patterns`, judged against `names`, must be written out: one of them holds an upper-case letter. */
export function caseDecides(patterns: readonly string[], names: readonly string[]): boolean {
  return patterns.some((p) => UPPER_CASE.test(p)) || names.some((n) => UPPER_CASE.test(n));
}

/** Adds to `facts` what the caseless Match criteria and HostNames of `section` say, at any depth. */
function walkCaseFacts(section: readonly ConfigLine[], facts: CaseFacts): void {
  for (const line of section as BlockLine[]) {
    if (line.type !== DIRECTIVE) continue;
    if (!line.config) {
      if (/^HostName$/i.test(line.param ?? '') && UPPER_CASE.test(tokenValues(line.value).join(' '))) facts.upperCase = true;
      continue;
    }
    for (const [criterion, list] of Object.entries(line.criteria ?? {})) {
      if (!CASELESS_CRITERIA.test(criterion)) continue;
      facts.judgesHostCaseless = true;
      if (patternsOf(list).some((p) => UPPER_CASE.test(p))) facts.upperCase = true;
    }
    walkCaseFacts(line.config, facts);
  }
}
