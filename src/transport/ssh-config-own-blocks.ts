import type SSHConfig from 'ssh-config';
import type { ConfigLine } from './ssh-config-include.js';

/**
 * The blocks of ~/.ssh/config that are a host's own: a Host or Match block other than `Host *`
 * (with or without `!exceptions`) or a Match that judges no host name (`all`, `user`,
 * `localuser`). The file's top-level values and those catch-all blocks apply to (nearly) every
 * host, so they do not make a node's address the name the operator wrote values for; a block
 * inside a catch-all one (an Include at the bottom of the file, under `Host *` or `Match user X`,
 * reads a file of Host blocks) is the host's own where both match.
 *
 * Each own block is marked, and the marked config is looked up as the whole file is: whether a
 * block matches is then judged where it stands, after the lines above it, with the same login user
 * (a top-level `User` decides a `Match user` here as in the lookup that gives the values) and the
 * same HostName (`Match host`), never on a copy stripped of the lines that decide it.
 */

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/** The marker's keyword (not an ssh_config keyword): compute() returns it where an own block matched. */
const OWN_BLOCK_MATCHED = 'gridops-own-block-matched';

/** A copy of each config with its own blocks marked (made once: lookups run per node). */
const markedCopies = new WeakMap<SSHConfig, SSHConfig>();

type BlockLine = ConfigLine & { criteria?: Record<string, unknown> };

/** Whether a block applies to (nearly) every host: `Host *` with any `!exceptions`, or a Match on no host name. */
function isCatchAll(block: BlockLine): boolean {
  if (/^host$/i.test(block.param ?? '')) {
    const patterns = Array.isArray(block.value) ? (block.value as Array<{ val: string }>).map((t) => t.val) : String(block.value).split(/\s+/);
    return patterns.every((p) => p === '*' || p.startsWith('!'));
  }
  return !Object.keys(block.criteria ?? {}).some((c) => /^(host|originalhost)$/i.test(c));
}

/** `config` with a marker opening each of its own blocks, for lookupAsLoginUser; the values it gives are the file's, with the marker besides. */
export function withOwnBlocksMarked(config: SSHConfig): SSHConfig {
  const known = markedCopies.get(config);
  if (known) return known;
  const mark = (section: readonly ConfigLine[]): ConfigLine[] =>
    section.map((line) => {
      if (line.type !== DIRECTIVE || !line.config) return line;
      // An own block's marker comes first, so it is found wherever the block matches, even with no lines of its own.
      if (!isCatchAll(line)) return { ...line, config: [{ type: DIRECTIVE, param: OWN_BLOCK_MATCHED, value: 'yes' }, ...line.config] };
      return { ...line, config: mark(line.config) };
    });
  // The same class, so compute() runs on the copy as on the original.
  const marked = new (config.constructor as new () => SSHConfig)();
  marked.push(...(mark(config as unknown as ConfigLine[]) as unknown as SSHConfig));
  markedCopies.set(config, marked);
  return marked;
}

/** Whether the values a lookup of withOwnBlocksMarked's copy gave came, in part, from a block of the host's own. */
export function ownBlockMatched(values: Record<string, unknown>): boolean {
  return values[OWN_BLOCK_MATCHED] !== undefined;
}
