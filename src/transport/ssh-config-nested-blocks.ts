import type SSHConfig from 'ssh-config';
import { ConnectionError } from '../errors/index.js';
import type { ConfigLine, DirectiveSource } from './ssh-config-include.js';
import { hostLineMatches } from './ssh-pattern.js';

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
 * inner ones only inside it, so loadSshConfig refuses a file with both (refuseFinalPassWithNesting).
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
      // Emptied, the block stays: its own line still does for compute() what it did (a Host line's value).
      resolved.push({ ...line, config: [] });
      if (matched) resolve(line.config!);
    }
  };
  resolve(config as unknown as ConfigLine[]);
  return asConfig(resolved);
}

/**
 * The Match criterion that makes ssh read the file a second time: readconf.c's final pass (`ssh
 * -vvv -G` says "re-parsing"). `canonical` asks for no pass of its own (gridops never applies the
 * CanonicalizeHostname that would): loadSshConfig has made it `final` where a `final` makes that pass
 * (ssh-config-match-canonical.ts), so it is judged here as `final`.
 */
const SECOND_PASS = /^final$/i;

/**
 * Refuses `config` where it has both a `Match final` block and a block inside a
 * block: in its second pass ssh judges the outer block again, and the inner one only inside it,
 * against the HostName, where the resolved config (withNestedBlocksResolved) would judge the inner
 * one alone. The error names both lines, from `sourceOf`.
 */
export function refuseFinalPassWithNesting(config: SSHConfig, sourceOf: ReadonlyMap<ConfigLine, DirectiveSource>): void {
  let secondPass: ConfigLine | undefined;
  let nested: { outer: ConfigLine; inner: ConfigLine } | undefined;
  const walk = (section: readonly ConfigLine[], outer: ConfigLine | undefined) => {
    for (const line of section) {
      if (line.type !== DIRECTIVE || !line.config) continue;
      if (outer) nested ??= { outer, inner: line };
      const criteria = Object.keys((line as { criteria?: Record<string, unknown> }).criteria ?? {});
      if (/^match$/i.test(line.param ?? '') && criteria.some((c) => SECOND_PASS.test(c))) secondPass ??= line;
      walk(line.config, line);
    }
  };
  walk(config as unknown as ConfigLine[], undefined);
  if (!secondPass || !nested) return;
  const at = (line: ConfigLine) => {
    const source = sourceOf.get(line);
    return source ? `${source.file}:${source.line}` : 'the OpenSSH client configuration';
  };
  const criterion = Object.keys((secondPass as { criteria?: Record<string, unknown> }).criteria ?? {}).find((c) => SECOND_PASS.test(c))!;
  throw new ConnectionError(
    at(secondPass),
    `Match ${criterion} makes ssh read the file a second time, judging the block at ${at(nested.inner)} only where the block holding it (${at(nested.outer)}) matches again; gridops cannot judge it so`,
    `remove the Match ${criterion}, or write the included blocks at the top level of the file (outside any Host or Match block)`,
  );
}
