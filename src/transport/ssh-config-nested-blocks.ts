import type SSHConfig from 'ssh-config';
import { ConnectionError } from '../errors/index.js';
import type { ConfigLine, DirectiveSource } from './ssh-config-include.js';
import { matchFinalIn, nameForSecondPass } from './ssh-config-second-pass.js';
import { hostLineMatches, tokenValues } from './ssh-pattern.js';

/**
 * Host and Match blocks inside a block: an `Include` inside a block (`Include config.d/*` at the
 * bottom of ~/.ssh/config, after its last `Host`) reads a file that opens blocks of its own. OpenSSH
 * applies those only where both the outer block and the inner one match: where the outer one does
 * not, nothing the included file says applies (readconf.c reads it with SSHCONF_NEVERMATCH), and
 * the outer block's lines after the Include are its own again. The parser's compute() knows one
 * level of blocks only (it would apply an inner block's `Host` line and none of its lines), so a
 * lookup is made on the config resolved for its host: each outer block judged where it stands, as
 * compute() judges it, then emptied, with its lines after it at the top level where it matches
 * (compute() applies a top-level line wherever it stands) and dropped where it does not. That is
 * ssh's first pass only: in a `Match final` second pass ssh judges the outer block again, and the
 * inner ones only inside it. Where the outer block judges both passes alike that changes nothing;
 * where it may not, a Match block is refused as the file is read and a Host block in the lookup
 * whose second pass it would judge otherwise (refuseFinalPassWithNesting, secondPassJudgesAlike).
 */

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/** The probe's keyword (not an ssh_config keyword): compute() returns it where the block it stands in matches. */
const BLOCK_MATCHED = 'gridops-block-matched';

/** Whether each config holds a block inside a block (worked out once: lookups run per node). */
const nestingOf = new WeakMap<SSHConfig, boolean>();

/** Whether a line is a block holding a block of its own. */
function holdsBlocks(line: ConfigLine): boolean {
  return line.type === DIRECTIVE && line.config?.some((inner) => inner.type === DIRECTIVE && inner.config !== undefined) === true;
}

/**
 * Set by refuseFinalPassWithNesting on a Host block holding blocks that a `Match final` pass may judge
 * otherwise than the first: where it and the lines the error names were written. A symbol, so the
 * lookup's copies of the line (`{ ...line }`) carry it, and compute() never reads it.
 */
const JUDGED_AGAIN = Symbol('judged again in a Match final pass');

/** Where a block judged again was written, the first block inside it, and the `Match final` that makes the second pass. */
interface JudgedAgain {
  at: string;
  file: string | undefined;
  innerAt: string;
  secondPassAt: string;
  secondPassFile: string | undefined;
}

/**
 * `config` as ssh reads it for one lookup of `host`, with no block inside a block. `compute` is the
 * lookup (its host and user) applied to a config: an outer Match block is judged by it, where it
 * stands after the lines before it, as the whole lookup would reach it; an outer Host block by its
 * patterns against `host`, as the lookup judges it (ssh-pattern.ts) in compute()'s one pass (loadSshConfig refuses the
 * `Match final` that would make a second). One pass, in the file's order: each lookup costs a
 * compute() per outer Match block only, not a copy of the lines before each block. A config without
 * nesting is returned as it is.
 */
export function withNestedBlocksResolved(config: SSHConfig, host: string, compute: (config: SSHConfig) => Record<string, unknown>): SSHConfig {
  let nesting = nestingOf.get(config);
  if (nesting === undefined) {
    nesting = (config as unknown as ConfigLine[]).some(holdsBlocks);
    nestingOf.set(config, nesting);
  }
  if (!nesting) return config;
  // The same class, so compute() runs on the copies as on the original.
  const Config = config.constructor as new () => SSHConfig;
  const asConfig = (lines: readonly ConfigLine[]) => {
    const copy = new Config();
    copy.push(...(lines as unknown as SSHConfig));
    return copy;
  };
  const resolved: ConfigLine[] = [];
  const judgedAgain: Array<{ line: ConfigLine; matched: boolean }> = [];
  const matches = (outer: ConfigLine): boolean => {
    if (/^host$/i.test(outer.param ?? '')) return hostLineMatches(outer.value, host);
    const probe = [...resolved, { ...outer, config: [{ type: DIRECTIVE, param: BLOCK_MATCHED, value: 'yes' }] }];
    return compute(asConfig(probe))[BLOCK_MATCHED] !== undefined;
  };
  // An outer block's lines, once at the top level, may hold the next level's blocks: resolved in turn, where they stand.
  const resolve = (section: readonly ConfigLine[]) => {
    for (const line of section) {
      if (!holdsBlocks(line)) {
        resolved.push(line);
        continue;
      }
      const matched = matches(line);
      if ((line as Marked)[JUDGED_AGAIN]) judgedAgain.push({ line, matched });
      // Emptied, the block stays: its own line still does for compute() what it did (a Host line's value).
      resolved.push({ ...line, config: [] });
      if (matched) resolve(line.config!);
    }
  };
  resolve(config as unknown as ConfigLine[]);
  if (judgedAgain.length > 0) secondPassJudgesAlike(judgedAgain, host, () => first(compute(asConfig(resolved.filter((line) => matchFinalIn([line]) === undefined))).HostName));
  return asConfig(resolved);
}

type Marked = ConfigLine & { [JUDGED_AGAIN]?: JudgedAgain };

const first = (v: unknown) => (Array.isArray(v) ? (v[0] as string | undefined) : (v as string | undefined));

/**
 * Refuses the lookup of `host` where a `Match final` pass would judge one of the `blocks` holding
 * blocks otherwise than the first pass did: ssh judges it again against the HostName the first pass
 * gave (`firstPassHostName`, its %h expanded and lower-cased, as ssh makes it: nameForSecondPass), and the blocks inside it only where
 * it matches then, which the lookup, resolved for `host`, cannot say. Where no HostName applies, or it
 * matches alike, the resolved config is what both passes read.
 */
function secondPassJudgesAlike(blocks: ReadonlyArray<{ line: ConfigLine; matched: boolean }>, host: string, firstPassHostName: () => string | undefined): void {
  // The name ssh judges the second pass with: %h expanded and lower-cased (Host lines are case-sensitive, so `HostName DB1` is judged as db1).
  const secondName = nameForSecondPass(firstPassHostName(), host);
  if (secondName === host) return;
  for (const { line, matched } of blocks) {
    if (hostLineMatches(line.value, secondName) === matched) continue;
    const where = (line as Marked)[JUDGED_AGAIN]!;
    throw new ConnectionError(
      where.at,
      `${writtenAs(line)} holds blocks an Include put inside it (${where.innerAt}), and the Match final at ${where.secondPassAt} makes ssh judge it again against ${secondName}, the HostName the first pass gave ${host}, ` +
        `where it ${matched ? 'no longer matches' : 'matches'}; gridops judges such a block once, against ${host}`,
      includeOutOfBlockHint(where),
    );
  }
}

/** The user's way out: their own file's Include moved, never the Match final of a file they may not own (Fedora's 50-redhat.conf). */
function includeOutOfBlockHint(where: JudgedAgain): string {
  const file = where.file ?? 'the file';
  const sameFile = where.file !== undefined && where.file === where.secondPassFile;
  return `move the Include out of the block at ${where.at} (above the first Host or Match of ${file}), or write the included blocks at the top level there${sameFile ? `, or remove the Match final at ${where.secondPassAt}` : ''}`;
}

/** A block's own line as written: `Host a b`, `Match user deploy`. */
function writtenAs(line: ConfigLine): string {
  return `${line.param} ${tokenValues(line.value).join(' ')}`;
}

/**
 * Whether a block judges every host alike in both passes: `Host *` without a negated pattern, or
 * `Match all`. The blocks inside it are then judged in the second pass as in the first.
 */
function judgesBothPassesAlike(line: ConfigLine): boolean {
  if (/^host$/i.test(line.param ?? '')) {
    const patterns = tokenValues(line.value);
    return patterns.includes('*') && !patterns.some((p) => p.startsWith('!'));
  }
  const criteria = Object.keys((line as { criteria?: Record<string, unknown> }).criteria ?? {});
  return criteria.length > 0 && criteria.every((c) => /^all$/i.test(c));
}

/**
 * Where `config` has a `Match final` block (in either file: ssh's second pass reads both again),
 * the blocks holding blocks that pass may judge otherwise than the first: a Match block among them
 * is refused here (its second judgement depends on what the first pass set); a Host block is marked
 * for the lookups (withNestedBlocksResolved), which refuse only a host whose HostName it would judge
 * otherwise. `Host *` and `Match all` judge both passes alike, so Fedora's `Match final all` beside
 * an Include inside `Host *` is read as ssh reads it. Errors name the user's block, from `sourceOf`,
 * and `secondPassAskedAt`: the first Match line written with `final` (matchFinalIn before the
 * `canonical` criteria were judged as `final`), the line readconf.c makes the second pass for.
 */
export function refuseFinalPassWithNesting(config: SSHConfig, sourceOf: ReadonlyMap<ConfigLine, DirectiveSource>, secondPassAskedAt: ConfigLine | undefined): void {
  const judgedFinal = matchFinalIn(config as unknown as ConfigLine[]);
  if (!judgedFinal) return;
  // A `Match canonical` that judgeMatchCanonical made `final` for compute() asks for no pass: the line written `final` is named, the one readconf.c makes the second pass for.
  const secondPass = secondPassAskedAt ?? judgedFinal;
  const holding: ConfigLine[] = [];
  const walk = (section: readonly ConfigLine[]) => {
    for (const line of section) {
      if (line.type !== DIRECTIVE || !line.config) continue;
      if (holdsBlocks(line)) holding.push(line);
      walk(line.config);
    }
  };
  walk(config as unknown as ConfigLine[]);
  const at = (line: ConfigLine) => {
    const source = sourceOf.get(line);
    return source ? `${source.file}:${source.line}` : 'the OpenSSH client configuration';
  };
  for (const outer of holding) {
    if (judgesBothPassesAlike(outer)) continue;
    const inner = outer.config!.find((line) => line.type === DIRECTIVE && line.config !== undefined)!;
    const where: JudgedAgain = { at: at(outer), file: sourceOf.get(outer)?.file, innerAt: at(inner), secondPassAt: at(secondPass), secondPassFile: sourceOf.get(secondPass)?.file };
    if (/^host$/i.test(outer.param ?? '')) {
      (outer as Marked)[JUDGED_AGAIN] = where;
      continue;
    }
    throw new ConnectionError(
      where.at,
      `${writtenAs(outer)} holds blocks an Include put inside it (${where.innerAt}), and the Match final at ${where.secondPassAt} makes ssh judge it again in a second pass, where it may match otherwise; gridops judges such a block once`,
      includeOutOfBlockHint(where),
    );
  }
}
