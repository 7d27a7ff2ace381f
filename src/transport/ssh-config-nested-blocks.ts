import type SSHConfig from 'ssh-config';
import type { ConfigLine } from './ssh-config-include.js';

/**
 * Host and Match blocks inside a block: an `Include` inside a block (`Include config.d/*` at the
 * bottom of ~/.ssh/config, after its last `Host`) reads a file that opens blocks of its own. OpenSSH
 * applies those only where both the outer block and the inner one match: where the outer one does
 * not, nothing the included file says applies (readconf.c reads it with SSHCONF_NEVERMATCH), and
 * the outer block's lines after the Include are its own again. The parser's compute() knows one
 * level of blocks only (it would apply an inner block's `Host` line and none of its lines), so a
 * lookup is made on the config resolved for its host: each outer block judged where it stands, as
 * compute() judges it, then emptied, with its lines after it at the top level where it matches
 * (compute() applies a top-level line wherever it stands) and dropped where it does not. One
 * difference remains: an outer block that matches only in a `Match final` second pass has its
 * lines applied in the first pass as well (their first values win where ssh's earlier ones would).
 */

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/** The probe's keyword (not an ssh_config keyword): compute() returns it where the block it stands in matches. */
const BLOCK_MATCHED = 'gridops-block-matched';

/** Whether each config holds a block inside a block (worked out once: lookups run per node). */
const nestingOf = new WeakMap<SSHConfig, boolean>();

/** The index of the first top-level block holding a block of its own, or -1. */
function firstNestingBlock(lines: readonly ConfigLine[]): number {
  return lines.findIndex((line) => line.type === DIRECTIVE && line.config?.some((inner) => inner.type === DIRECTIVE && inner.config !== undefined));
}

/**
 * `config` as ssh reads it for one lookup, with no block inside a block. `compute` is the lookup
 * (its host and user) applied to a config: it judges each outer block where it stands, after the
 * lines before it, as the whole lookup would reach it. A config without nesting is returned as it is.
 */
export function withNestedBlocksResolved(config: SSHConfig, compute: (config: SSHConfig) => Record<string, unknown>): SSHConfig {
  let nesting = nestingOf.get(config);
  if (nesting === undefined) {
    nesting = firstNestingBlock(config as unknown as ConfigLine[]) >= 0;
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
  let lines = [...(config as unknown as ConfigLine[])];
  // An outer block's lines, once at the top level, may hold the next level's blocks: resolved in turn.
  for (let i = firstNestingBlock(lines); i >= 0; i = firstNestingBlock(lines)) {
    const outer = lines[i]!;
    const probe = [...lines.slice(0, i), { ...outer, config: [{ type: DIRECTIVE, param: BLOCK_MATCHED, value: 'yes' }] }];
    const matched = compute(asConfig(probe))[BLOCK_MATCHED] !== undefined;
    // Emptied, the block stays: its own line still does for compute() what it did (a Host line's value, a Match final's second pass).
    lines = [...lines.slice(0, i), { ...outer, config: [] }, ...(matched ? outer.config! : []), ...lines.slice(i + 1)];
  }
  return asConfig(lines);
}
