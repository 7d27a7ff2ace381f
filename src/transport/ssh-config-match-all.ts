import type SSHConfig from 'ssh-config';
import { ConnectionError } from '../errors/index.js';
import { matchCriteria } from './match-criteria.js';
import type { ConfigLine, DirectiveSource } from './ssh-config-include.js';
import { tokenValues } from './ssh-pattern.js';

/**
 * Where `all` may stand on a Match line, as OpenSSH 9.2's readconf.c (match_cfg_line) allows it:
 * last on the line, after at most one criterion (`Match all`, Fedora's `Match final all`, `Match
 * canonical all`, even `Match host x all`). Anything after it (`Match all final`), or two criteria
 * before it (`Match canonical final all`), and ssh refuses the whole configuration ("'all' cannot
 * be combined with other Match attributes"), where the parser gridops reads the file with accepts
 * the line and judges it: gridops refuses it too, rather than connect where ssh would not.
 */

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/**
 * Refuses the first Match line of `config` (at any depth, in the order ssh reads them) that places
 * `all` where ssh refuses it, naming its FILE:LINE from `sourceOf` and the line to write instead
 * (for a line with `!all`, which matches no host, that its block is to be removed).
 */
export function refuseMisplacedMatchAll(config: SSHConfig, sourceOf: ReadonlyMap<ConfigLine, DirectiveSource>): void {
  const walk = (section: readonly ConfigLine[]) => {
    for (const line of section) {
      if (line.type !== DIRECTIVE || !line.config) continue;
      if (/^match$/i.test(line.param ?? '') && !allStandsWhereSshTakesIt(tokenValues(line.value))) refuse(line, sourceOf);
      walk(line.config);
    }
  };
  walk(config as unknown as ConfigLine[]);
}

/** Whether a Match line's words (criteria and their arguments) hold `all` only where readconf.c takes it: last, after one criterion at most. */
function allStandsWhereSshTakesIt(words: readonly string[]): boolean {
  const criteria = matchCriteria(words);
  const first = criteria.findIndex(isAll);
  return first === -1 || (first <= 1 && first === criteria.length - 1);
}

/** Whether a criterion is `all` or `!all` (an argument spelled `all`, as in `host all`, is not). */
const isAll = ([word]: readonly string[]) => /^!?all$/i.test(word!);

function refuse(line: ConfigLine, sourceOf: ReadonlyMap<ConfigLine, DirectiveSource>): never {
  const source = sourceOf.get(line);
  const words = tokenValues(line.value);
  const criteria = matchCriteria(words);
  // `!all` matches no host, so the block applies nowhere ssh takes it: any line offered instead would match where the operator's never did.
  const negated = criteria.some(([word]) => /^!all$/i.test(word!));
  // `all` matches every host: the line's other criteria alone say what it says, and ssh takes them so.
  const others = criteria.filter((criterion) => !isAll(criterion)).flat();
  const instead = `${line.param} ${others.length > 0 ? others.join(' ') : 'all'}`;
  throw new ConnectionError(
    source ? `${source.file}:${source.line}` : 'the OpenSSH client configuration',
    `${line.param} ${words.join(' ')}: ssh refuses this line ('all' cannot be combined with other Match attributes): all must come last, after one criterion at most`,
    negated ? 'remove this Match block: !all matches no host, so wherever ssh takes it the block never applies' : `write ${instead} instead (all adds nothing to the line's other criteria)`,
  );
}

/**
 * Takes out of `config` (at any depth) each Match block whose line holds `!all`, once
 * refuseMisplacedMatchAll has let it stand: ssh applies it to no host, so no lookup, judgement or
 * warning of gridops' is to see its lines. Only what readconf.c does with the line whatever its
 * result stays: a `final` on it (`!final` too) makes ssh read the file a second time, so that line
 * stays, with no lines and `final` its one criterion, as the pass's one request (matchFinalIn).
 */
export function withoutNotAllBlocks(config: SSHConfig): void {
  const walk = (section: ConfigLine[]) => {
    for (let i = 0; i < section.length; ) {
      const line = section[i]! as ConfigLine & { criteria?: Record<string, unknown> };
      if (line.type !== DIRECTIVE || !line.config) {
        i++;
        continue;
      }
      const criteria = /^match$/i.test(line.param ?? '') ? Object.keys(line.criteria ?? {}) : [];
      if (!criteria.some((c) => /^!all$/i.test(c))) {
        walk(line.config);
        i++;
        continue;
      }
      if (criteria.some((c) => /^!?final$/i.test(c))) {
        line.criteria = { final: [] };
        // In place: the block's lines stay the parser's own array class.
        line.config.splice(0, line.config.length);
        i++;
      } else section.splice(i, 1);
    }
  };
  walk(config as unknown as ConfigLine[]);
}
