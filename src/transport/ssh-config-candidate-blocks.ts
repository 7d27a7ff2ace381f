import type SSHConfig from 'ssh-config';
import type { ConfigLine } from './ssh-config-include.js';
import { compiledListMatches, compilePattern, hostPatternsOf, type CompiledPattern } from './ssh-pattern.js';

/**
 * The parser's compute() judges every block of the file for every lookup, and judges a Host
 * pattern by building a dozen regular expressions for it (~6 µs a block): on a file of hundreds of
 * blocks, the few lookups each node needs cost milliseconds apiece, serially, before a plan
 * connects anywhere. Whether a Host block matches depends on the host looked up alone, so a lookup
 * is made on the file without the Host blocks that do not match its host, judged here as the lookup
 * judges them (ssh-pattern.ts: the parser's way, but a `?` is one character, as in OpenSSH), with
 * each pattern compiled once per file; it gives the same values, since compute() takes nothing from
 * a Host block that does not match (not even its `Host` value).
 *
 * A block whose patterns are all plain names (`Host web12 web12.example.org`, most blocks of a
 * large file) is found by name, so a lookup does not even visit those written for other hosts.
 * Match blocks are all kept: they judge the HostName and the user, which the lines above them
 * decide. Every Host block that matches is kept, even one that sets nothing: its match alone may
 * decide (ssh-config-own-blocks.ts marks such blocks). A file whose Host blocks may be judged
 * against another name than the one looked up (a `Match final` pass judges them against the
 * HostName, CanonicalizeHostName against the canonical name) is looked up whole.
 */

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/** A directive of a section, with what a lookup needs to know of it. */
interface IndexedLine {
  line: ConfigLine;
  /** A Host block's patterns, where one is not a plain name (else the block is found by name). */
  patterns?: CompiledPattern[];
  /** The section of a block that holds blocks (an Include inside it opened them: ssh-config-nested-blocks.ts). */
  inner?: SectionIndex;
}

/** A section's directives, indexed for lookups. */
interface SectionIndex {
  lines: IndexedLine[];
  /** Positions in `lines` of the Host blocks whose patterns are all plain names, under each of those names. */
  byName: Map<string, number[]>;
  /** Positions in `lines` of the others, ascending: each lookup judges these. */
  everyLookup: number[];
}

/** Each config's index, or null where its Host blocks are not judged against the host looked up only (worked out once: lookups run per node). */
const indexes = new WeakMap<SSHConfig, SectionIndex | null>();

/** `config` as a lookup of `host` needs it: without the Host blocks, at any depth, that do not match `host`, nor comments and blank lines. */
export function withBlocksThatCanMatch(config: SSHConfig, host: string): SSHConfig {
  let index = indexes.get(config);
  if (index === undefined) {
    index = hostBlocksJudgeHostOnly(config as unknown as ConfigLine[]) ? indexSection(config as unknown as ConfigLine[]) : null;
    indexes.set(config, index);
  }
  if (index === null) return config;
  // The same class, so compute() runs on the copy as on the original.
  const copy = new (config.constructor as new () => SSHConfig)();
  copy.push(...(linesFor(index, host) as unknown as SSHConfig));
  return copy;
}

/** The lines of an indexed section a lookup of `host` is given, in the file's order. */
function linesFor(index: SectionIndex, host: string): ConfigLine[] {
  const named = index.byName.get(host) ?? [];
  const every = index.everyLookup;
  const lines: ConfigLine[] = [];
  // Both lists are ascending: merged, the lines keep the order compute() reads them in.
  for (let i = 0, j = 0; i < every.length || j < named.length; ) {
    const at = j >= named.length || (i < every.length && every[i]! < named[j]!) ? every[i++]! : named[j++]!;
    const { line, patterns, inner } = index.lines[at]!;
    if (patterns && !compiledListMatches(patterns, host)) continue;
    lines.push(inner ? { ...line, config: linesFor(inner, host) } : line);
  }
  return lines;
}

/** A section's directives indexed: its Host blocks of plain names by name, the rest in order with their patterns compiled. */
function indexSection(section: readonly ConfigLine[]): SectionIndex {
  const index: SectionIndex = { lines: [], byName: new Map(), everyLookup: [] };
  for (const line of section) {
    if (line.type !== DIRECTIVE) continue;
    const at = index.lines.length;
    const holdsBlocks = line.config?.some((inner) => inner.type === DIRECTIVE && inner.config !== undefined) === true;
    const indexed: IndexedLine = { line, ...(holdsBlocks ? { inner: indexSection(line.config!) } : {}) };
    index.lines.push(indexed);
    const patterns = line.config && /^host$/i.test(line.param ?? '') ? hostPatternsOf(line.value) : undefined;
    if (patterns && patterns.every(isPlainName)) {
      // A name listed twice in one block is still one block.
      for (const name of new Set(patterns)) index.byName.set(name, [...(index.byName.get(name) ?? []), at]);
      continue;
    }
    if (patterns) indexed.patterns = patterns.map(compilePattern);
    index.everyLookup.push(at);
  }
  return index;
}

/** A pattern the parser matches only against a host spelled exactly so: no wildcard, no negation. */
function isPlainName(pattern: string): boolean {
  return !pattern.startsWith('!') && !/[*?]/.test(pattern);
}

/** Whether no `Match final` and no CanonicalizeHostName, anywhere in `section`, makes compute() judge a Host block against another name than the one looked up. */
function hostBlocksJudgeHostOnly(section: readonly ConfigLine[]): boolean {
  return section.every(
    (line) =>
      line.type !== DIRECTIVE ||
      (!/^CanonicalizeHostName$/i.test(line.param ?? '') &&
        !Object.keys((line as { criteria?: Record<string, unknown> }).criteria ?? {}).some((c) => /^final$/i.test(c)) &&
        (line.config === undefined || hostBlocksJudgeHostOnly(line.config))),
  );
}
