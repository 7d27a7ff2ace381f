import type SSHConfig from 'ssh-config';
import type { ConfigLine } from './ssh-config-include.js';
import { matchFinalIn } from './ssh-config-second-pass.js';
import { compiledListMatches, compilePattern, tokenValues, type CompiledPattern } from './ssh-pattern.js';

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
 * decide (ssh-config-own-blocks.ts marks such blocks).
 *
 * A `Match final` makes compute() read the file a second time, judging Host lines against the
 * HostName the first pass gave (the host, where it gave none): the lookup is then given the Host
 * blocks that match the host or that name. A block matching neither applies in neither pass, so the
 * values are the same. The first pass is the lookup's own, made on the blocks that can match the
 * host without the blocks that ask for the second pass (which apply in no first pass). A file with
 * CanonicalizeHostName, whose Host blocks the parser judges against a canonical name it looks up, is
 * looked up whole (loadSshConfig takes those lines out, so only a config made otherwise has one).
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

/** A config's index, and whether a `Match final` in it makes compute() judge its Host lines a second time. */
interface ConfigIndex {
  section: SectionIndex;
  secondPass: boolean;
}

/** Each config's index, or null where CanonicalizeHostName makes the parser judge Host lines against a name it looks up (worked out once: lookups run per node). */
const indexes = new WeakMap<SSHConfig, ConfigIndex | null>();

/**
 * `config` as a lookup of `host` needs it: without the Host blocks, at any depth, that do not match
 * `host`, nor comments and blank lines. Where a `Match final` makes a second pass, the Host blocks
 * that match the name `secondPassName` gives are kept too: it is given the lookup's first pass (the
 * blocks that can match `host`, without those asking for the second pass), and returns the HostName
 * that pass gives, or undefined where it gives none (the second pass then judges `host` again); a
 * name the second pass may not judge only keeps blocks that match in neither pass. Without
 * `secondPassName`, such a file is given whole.
 */
export function withBlocksThatCanMatch(config: SSHConfig, host: string, secondPassName?: (firstPass: SSHConfig) => string | undefined): SSHConfig {
  let index = indexes.get(config);
  if (index === undefined) {
    const lines = config as unknown as ConfigLine[];
    index = canonicalizes(lines) ? null : { section: indexSection(lines), secondPass: matchFinalIn(lines) !== undefined };
    indexes.set(config, index);
  }
  if (index === null || (index.secondPass && !secondPassName)) return config;
  // The same class, so compute() runs on the copies as on the original.
  const asConfig = (lines: readonly ConfigLine[]) => {
    const copy = new (config.constructor as new () => SSHConfig)();
    copy.push(...(lines as unknown as SSHConfig));
    return copy;
  };
  const firstPass = linesFor(index.section, [host]);
  if (!index.secondPass) return asConfig(firstPass);
  const hostName = secondPassName!(asConfig(firstPass.filter((line) => matchFinalIn([line]) === undefined)));
  return hostName === undefined || hostName === host ? asConfig(firstPass) : asConfig(linesFor(index.section, [host, hostName]));
}

/** The lines of an indexed section a lookup judging its Host lines against `names` is given: those matching any of them, in the file's order. */
function linesFor(index: SectionIndex, names: readonly string[]): ConfigLine[] {
  // A block listing two of the names is one block, given once.
  const named = [...new Set(names.flatMap((name) => index.byName.get(name) ?? []))].sort((a, b) => a - b);
  const every = index.everyLookup;
  const lines: ConfigLine[] = [];
  // Both lists are ascending: merged, the lines keep the order compute() reads them in.
  for (let i = 0, j = 0; i < every.length || j < named.length; ) {
    const at = j >= named.length || (i < every.length && every[i]! < named[j]!) ? every[i++]! : named[j++]!;
    const { line, patterns, inner } = index.lines[at]!;
    if (patterns && !names.some((name) => compiledListMatches(patterns, name))) continue;
    lines.push(inner ? { ...line, config: linesFor(inner, names) } : line);
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
    const patterns = line.config && /^host$/i.test(line.param ?? '') ? tokenValues(line.value) : undefined;
    if (patterns && patterns.every(isPlainName)) {
      // A name listed twice in one block is still one block.
      for (const name of new Set(patterns)) index.byName.set(name, [...(index.byName.get(name) ?? []), at]);
      continue;
    }
    if (patterns) indexed.patterns = patterns.map((p) => compilePattern(p));
    index.everyLookup.push(at);
  }
  return index;
}

/** A pattern the parser matches only against a host spelled exactly so: no wildcard, no negation. */
function isPlainName(pattern: string): boolean {
  return !pattern.startsWith('!') && !/[*?]/.test(pattern);
}

/** Whether a CanonicalizeHostName, anywhere in `section`, makes the parser judge Host blocks against a canonical name it looks up. */
function canonicalizes(section: readonly ConfigLine[]): boolean {
  return section.some((line) => line.type === DIRECTIVE && (/^CanonicalizeHostName$/i.test(line.param ?? '') || (line.config !== undefined && canonicalizes(line.config))));
}
