import { readdirSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import picomatch from 'picomatch';
import type SSHConfig from 'ssh-config';
import { ConnectionError } from '../errors/index.js';

/**
 * ~/.ssh/config with its `Include` directives followed as OpenSSH follows them (ssh_config(5),
 * readconf.c): each argument may hold glob(7) wildcards, expanded and read in lexical order; `~`
 * is the home directory; a relative path is under ~/.ssh; a path that names no file is skipped
 * silently (a glob that matches nothing, or a literal path), one that cannot be read is an error;
 * includes nest at most 16 deep (a file that includes itself ends there, with an error).
 *
 * The included lines take the Include's place: at the top of a file (before any Host or Match)
 * they apply as written, and the lines after the Include apply to every host again, as in
 * OpenSSH, which gives the including file its own scope back after each included file. Inside a
 * Host or Match block they become that block's lines, applying only where it matches.
 */

/** A parsed line of `ssh-config` (directive, comment or blank), with its block's lines for Host and Match. */
export type ConfigLine = { type: number; param?: string; value?: unknown; config?: ConfigLine[] };

/** Where a directive was written: its file, its line there, and its rank in the expanded config (the order compute() reads it). */
export interface DirectiveSource {
  file: string;
  line: number;
  order: number;
}

/** A config with every Include followed, and where each of its directives was written. */
export interface ExpandedSshConfig {
  config: SSHConfig;
  sourceOf: ReadonlyMap<ConfigLine, DirectiveSource>;
}

/** READCONF_MAX_DEPTH in OpenSSH's readconf.c: the user's file is depth 0, what it includes depth 1. */
export const MAX_INCLUDE_DEPTH = 16;

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/**
 * `file` parsed with `parse`, its includes followed, or undefined when `file` does not exist. A
 * file that cannot be read or parsed, or an Include gridops cannot follow as ssh does, is an
 * error naming the file, and for an included file the Include's FILE:LINE.
 */
export function readSshConfigWithIncludes(file: string, parse: (text: string) => SSHConfig, home: string = homedir()): ExpandedSshConfig | undefined {
  const sourceOf = new Map<ConfigLine, DirectiveSource>();
  let Config: (new () => SSHConfig) | undefined;

  const readFile = (path: string, depth: number, includedAt?: string): ConfigLine[] | undefined => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // OpenSSH skips a path that names nothing (glob(3) matches no file under a file either); a directory reads as empty there.
      if (code === 'ENOENT' || (includedAt && (code === 'ENOTDIR' || code === 'EISDIR'))) return undefined;
      throw new ConnectionError(path, `cannot read ${path}${includedAt ? ` (included at ${includedAt})` : ''}: ${(err as Error).message}`, 'fix its permissions or move it aside');
    }
    let parsed: SSHConfig;
    try {
      parsed = parse(text);
    } catch (err) {
      throw new ConnectionError(path, `cannot parse ${path}${includedAt ? ` (included at ${includedAt})` : ''}: ${(err as Error).message}`, 'check it with `ssh -G HOST`');
    }
    Config ??= parsed.constructor as new () => SSHConfig;
    numberDirectives(parsed as unknown as ConfigLine[], text, path, sourceOf);
    return expandLines(parsed as unknown as ConfigLine[], path, depth);
  };

  const includedLines = (include: ConfigLine, file: string, depth: number): ConfigLine[] => {
    const at = `${file}:${sourceOf.get(include)?.line ?? '?'}`;
    const paths = tokensOf(include.value).flatMap((written) => expandGlob(includePath(written, home, at)));
    if (paths.length > 0 && depth + 1 > MAX_INCLUDE_DEPTH) {
      throw new ConnectionError(at, `Include nested more than ${MAX_INCLUDE_DEPTH} deep (OpenSSH's limit): does a file include itself?`, 'remove the Include that leads back to a file already included');
    }
    return paths.flatMap((path) => readFile(path, depth + 1, at) ?? []);
  };

  const expandLines = (lines: readonly ConfigLine[], file: string, depth: number): ConfigLine[] =>
    lines.flatMap((line) => {
      if (line.type !== DIRECTIVE) return [line];
      if (isInclude(line)) return includedLines(line, file, depth);
      if (!line.config) return [line];
      const body = line.config.flatMap((inner) => {
        if (inner.type !== DIRECTIVE || !isInclude(inner)) return [inner];
        const included = includedLines(inner, file, depth);
        const block = included.find((l) => l.config);
        if (block) {
          const from = sourceOf.get(block);
          throw new ConnectionError(
            `${file}:${sourceOf.get(inner)?.line ?? '?'}`,
            `this Include, inside a ${line.param} block, reads ${from?.file ?? 'a file'}, whose line ${from?.line ?? '?'} opens a ${block.param} block of its own: ssh applies that block only where both match, which gridops cannot express`,
            'move the Include to the top of the file (before any Host or Match), or write its blocks out in place',
          );
        }
        return included;
      });
      // In place: the block's lines stay the parser's own array class.
      line.config.splice(0, line.config.length, ...body);
      return [line];
    });

  const top = readFile(file, 0);
  if (!top) return undefined;
  const config = new Config!();
  config.push(...(top as unknown as SSHConfig));
  let order = 0;
  const rank = (lines: readonly ConfigLine[]) => {
    for (const line of lines) {
      const source = sourceOf.get(line);
      if (source) source.order = order++;
      if (line.config) rank(line.config);
    }
  };
  rank(top);
  return { config, sourceOf };
}

/** Whether a directive is an Include (OpenSSH keywords are case-insensitive). */
function isInclude(line: ConfigLine): boolean {
  return /^include$/i.test(line.param ?? '');
}

/**
 * Files each directive's line in `text`: the parser keeps no lines, but it makes one directive
 * of each line that is neither blank nor a comment, in the text's order (a block's own line, then
 * its lines), so the Nth directive is the Nth such line.
 */
function numberDirectives(parsed: readonly ConfigLine[], text: string, file: string, sourceOf: Map<ConfigLine, DirectiveSource>): void {
  const lines = text.split(/\r\n|\r|\n/).flatMap((l, i) => (/^\s*(#|$)/.test(l) ? [] : [i + 1]));
  let next = 0;
  const walk = (section: readonly ConfigLine[]) => {
    for (const line of section) {
      if (line.type !== DIRECTIVE) continue;
      const at = lines[next++];
      if (at !== undefined) sourceOf.set(line, { file, line: at, order: 0 });
      if (line.config) walk(line.config);
    }
  };
  walk(parsed);
}

/** An Include's arguments, as the parser splits them (one path, or quoted tokens). */
function tokensOf(value: unknown): string[] {
  if (Array.isArray(value)) return (value as Array<{ val: string }>).map((t) => t.val);
  return [String(value)];
}

/** An Include argument as a path to glob: `~` expanded, a relative path under ~/.ssh (a user configuration's, as OpenSSH reads it). */
function includePath(written: string, home: string, at: string): string {
  if (written.startsWith('/')) return written;
  if (!written.startsWith('~')) return join(home, '.ssh', written);
  const [, user, rest] = /^~([^/]*)(.*)$/.exec(written)!;
  if (user !== '' && user !== userInfo().username) {
    throw new ConnectionError(at, `Include ${written} names another user's home, which gridops does not look up`, "write that file's full path");
  }
  return `${home}${rest}`;
}

/** Characters that make a path segment a glob(3) pattern. */
const WILDCARD = /[*?[]/;

/**
 * The existing paths an absolute glob(7) pattern names, sorted as glob(3) sorts them (bytewise);
 * a pattern without wildcards is its own only path (reading it says whether it exists). `*` and
 * `?` do not match a leading dot, and braces are literal, as in OpenSSH's glob call.
 */
function expandGlob(pattern: string): string[] {
  if (!WILDCARD.test(pattern)) return [pattern];
  let paths = ['/'];
  for (const segment of pattern.split('/').filter((s) => s !== '')) {
    if (!WILDCARD.test(segment)) {
      paths = paths.map((p) => join(p, segment.replace(/\\(.)/g, '$1')));
      continue;
    }
    const matches = picomatch(segment, { dot: false, nobrace: true, noextglob: true, nonegate: true });
    paths = paths.flatMap((dir) => {
      try {
        return readdirSync(dir).filter((name) => matches(name)).map((name) => join(dir, name));
      } catch {
        // glob(3) without GLOB_ERR passes over a directory it cannot read, as OpenSSH's call does.
        return [];
      }
    });
  }
  return paths.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
