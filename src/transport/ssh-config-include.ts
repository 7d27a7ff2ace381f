import { closeSync, fstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import picomatch from 'picomatch';
import type SSHConfig from 'ssh-config';
import { ConnectionError } from '../errors/index.js';
import { sh } from './quote.js';
import { groupHoldsOnly, type ReadingUser } from './ssh-config-own-group.js';
import { directiveLines, UnreadableLine } from './ssh-config-parse.js';
import { tokenValues } from './ssh-pattern.js';

/**
 * ~/.ssh/config (then /etc/ssh/ssh_config) with its `Include` directives followed as OpenSSH follows them (ssh_config(5),
 * readconf.c): each argument may hold glob(7) wildcards, expanded and read in lexical order; `~`
 * is the home directory; a relative path is under ~/.ssh, or /etc/ssh from the system-wide file (IncludeRoot); a path that names no file is skipped
 * silently (a glob that matches nothing, or a literal path), one that cannot be read is an error;
 * includes nest at most 16 deep (a file that includes itself ends there, with an error).
 *
 * The included lines take the Include's place: at the top of a file (before any Host or Match)
 * they apply as written, and the lines after the Include apply to every host again, as in
 * OpenSSH, which gives the including file its own scope back after each included file. Inside a
 * Host or Match block they become that block's lines, applying only where it matches; a block the
 * included file opens stays a block inside it (ssh-config-nested-blocks.ts).
 *
 * Each file is refused, as ssh refuses it, when another user than its reader or root owns it or
 * another user may write it (secureFileRead): its lines choose where and as whom gridops logs in.
 * The system-wide file itself is read as ssh reads it: unchecked, and not used where it cannot be read.
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

/**
 * Where a file's relative Include paths lead, as readconf.c resolves them: from a user's file (and
 * what it includes) under ~/.ssh, `~` being `home`; from the system-wide file under its own
 * directory (/etc/ssh), where ssh refuses a `~` ("bad include path").
 */
export type IncludeRoot = { user: true; home: string } | { user: false; dir: string };

/** A configuration file to read, and where its Include paths lead. */
export interface ConfigFileToRead {
  path: string;
  includes: IncludeRoot;
}

/** READCONF_MAX_DEPTH in OpenSSH's readconf.c: the user's file is depth 0, what it includes depth 1. */
export const MAX_INCLUDE_DEPTH = 16;

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/**
 * `files` parsed with `parse`, their includes followed, as one config read in their order (ssh reads
 * ~/.ssh/config, then /etc/ssh/ssh_config, as one sequence: the first value for a keyword wins), or
 * undefined when none exists. Each file's lines before its first block apply to every host, wherever
 * it follows the file before it, as ssh starts each file outside any block. A file that cannot be
 * read or parsed, or that others could have written, or an Include gridops cannot follow as ssh does,
 * is an error naming the file (a line `parse` cannot read, an UnreadableLine, its FILE:LINE), and for
 * an included file the Include's FILE:LINE; except the system-wide
 * file itself, which ssh reads without checking it and skips where it cannot read it (`warn` told of an EACCES).
 */
export function readSshConfigWithIncludes(
  files: readonly ConfigFileToRead[],
  parse: (text: string) => SSHConfig,
  warn: (message: string) => void = () => undefined,
  readConfig: ConfigFileReader = configFileReader(),
): ExpandedSshConfig | undefined {
  const sourceOf = new Map<ConfigLine, DirectiveSource>();
  let Config: (new () => SSHConfig) | undefined;
  // The root of the file being read: an included file keeps its includer's, as readconf.c passes SSHCONF_USERCONF on.
  let root: IncludeRoot;

  const readFile = (path: string, depth: number, includedAt?: string): ConfigLine[] | undefined => {
    // ssh.c reads /etc/ssh/ssh_config with neither SSHCONF_CHECKPERM nor a care whether fopen() fails; what it includes is checked and must be read.
    const systemFileItself = depth === 0 && !root.user;
    const read = readConfig(path, !systemFileItself);
    if ('refuse' in read) throw read.refuse(includedAt);
    if ('error' in read) {
      const err = read.error;
      const code = (err as NodeJS.ErrnoException).code;
      // OpenSSH skips a path that names nothing (glob(3) matches no file under a file either); a directory reads as empty there.
      if (code === 'ENOENT' || ((includedAt || systemFileItself) && (code === 'ENOTDIR' || code === 'EISDIR'))) return undefined;
      if (systemFileItself) {
        // Said, though ssh says nothing: the admin's settings (HashKnownHosts, a route) silently missing would be a surprise.
        warn(`cannot read ${path} (${code ?? (err as Error).message}): not used, as ssh does not use it`);
        return undefined;
      }
      throw new ConnectionError(path, `cannot read ${path}${includedAt ? ` (included at ${includedAt})` : ''}: ${(err as Error).message}`, 'fix its permissions or move it aside');
    }
    const text = read.text;
    let parsed: SSHConfig;
    try {
      parsed = parse(text);
    } catch (err) {
      const included = includedAt ? ` (included at ${includedAt})` : '';
      if (err instanceof UnreadableLine) {
        throw new ConnectionError(`${path}:${err.line}`, `${err.text}${included}: gridops cannot read this line: ${err.reason}`, `correct or remove that line (\`${sh(['ssh', '-G', '-F', path])} HOST\` shows whether ssh reads the file)`);
      }
      throw new ConnectionError(path, `cannot parse ${path}${included}: ${(err as Error).message}`, 'check it with `ssh -G HOST`');
    }
    Config ??= parsed.constructor as new () => SSHConfig;
    numberDirectives(parsed as unknown as ConfigLine[], text, path, sourceOf);
    return expandLines(parsed as unknown as ConfigLine[], path, depth);
  };

  const includedLines = (include: ConfigLine, file: string, depth: number): ConfigLine[] => {
    const at = `${file}:${sourceOf.get(include)?.line ?? '?'}`;
    const paths = tokenValues(include.value).flatMap((written) => expandGlob(includePath(written, root, at)));
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
      // An included file's own Host or Match blocks stay blocks inside this one: ssh applies them only
      // where both match, which the lookup resolves per host (ssh-config-nested-blocks.ts).
      const body = line.config.flatMap((inner) => (inner.type === DIRECTIVE && isInclude(inner) ? includedLines(inner, file, depth) : [inner]));
      // In place: the block's lines stay the parser's own array class.
      line.config.splice(0, line.config.length, ...body);
      return [line];
    });

  const top = files.flatMap((file) => {
    root = file.includes;
    return readFile(file.path, 0) ?? [];
  });
  if (!Config) return undefined;
  const config = new Config();
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

/**
 * What reading one configuration file gave: its text; the refusal ssh makes of it, its words placed
 * by the Include that led to it (`includedAt`, FILE:LINE); or the error that reading it threw.
 */
export type ConfigFileRead = { text: string } | { refuse: (includedAt: string | undefined) => ConnectionError } | { error: unknown };

/** Reads a configuration file, `checked` as secureFileRead checks it. */
export type ConfigFileReader = (path: string, checked: boolean) => ConfigFileRead;

/**
 * A reader for one load of the configuration that opens, checks and reads each file once: the scan
 * of the system-wide file (ssh-config-system-scan.ts) and, where it gives up, the full read that
 * follows it ask for the same files, and the full read takes what the scan was given.
 */
export function configFileReader(read: ConfigFileReader = secureFileRead): ConfigFileReader {
  const known = new Map<string, ConfigFileRead>();
  return (path, checked) => {
    const key = `${checked ? 'checked' : 'unchecked'} ${path}`;
    let found = known.get(key);
    if (!found) known.set(key, (found = read(path, checked)));
    return found;
  };
}

/**
 * The text of `path`, refused as OpenSSH's readconf.c refuses a user configuration file and every
 * file it includes ("Bad owner or permissions"): owned by another user than the one reading it and
 * root, or writable by others, or by a group another user is in (ssh-config-own-group.ts), since whoever can write it chooses
 * the HostName, IdentityFile and route gridops takes. Unless `checked` is false: ssh reads the
 * system-wide file itself unchecked (only root could have put it there), so gridops reads it as ssh does. The descriptor read is the one checked
 * (fstat), so the file cannot be swapped between the check and the read. A directory is not
 * checked: reading it fails.
 */
export function secureFileRead(path: string, checked: boolean): ConfigFileRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return { error };
  }
  try {
    const stat = fstatSync(fd);
    const uid = process.getuid?.();
    if (checked && !stat.isDirectory() && uid !== undefined) {
      // The error names `path` already, as its subject.
      const where = (includedAt: string | undefined) => (includedAt ? ` (included at ${includedAt})` : '');
      if (stat.uid !== 0 && stat.uid !== uid) {
        return { refuse: (at) => new ConnectionError(path, `bad owner${where(at)}: uid ${stat.uid} owns it, neither you (uid ${uid}) nor root, so ssh refuses it too`, `chown ${uid} ${path}, or move it aside`) };
      }
      if ((stat.mode & 0o002) !== 0 || ((stat.mode & 0o020) !== 0 && !groupHoldsOnly(stat.gid, readingUser(uid)))) {
        const who = (stat.mode & 0o002) !== 0 ? 'others' : `group ${stat.gid}, which is not yours alone,`;
        return { refuse: (at) => new ConnectionError(path, `bad permissions${where(at)}: ${who} may write it (mode ${(stat.mode & 0o777).toString(8)}), so ssh refuses it too`, `chmod go-w ${path}`) };
      }
    }
    return { text: readFileSync(fd, 'utf8') };
  } catch (error) {
    return { error };
  } finally {
    closeSync(fd);
  }
}

/** The user reading the files, for the own-group rule (ssh-config-own-group.ts). */
function readingUser(uid: number): ReadingUser {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // A uid without a name (os.userInfo() throws): only the uid and primary group then say who it is.
  }
  return { uid, name };
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
  const lines = directiveLines(text);
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

/** An Include argument as a path to glob: `~` expanded, a relative path under the root's directory (~/.ssh, or /etc/ssh), as OpenSSH reads it. */
function includePath(written: string, root: IncludeRoot, at: string): string {
  if (written.startsWith('/')) return written;
  if (!root.user) {
    if (written.startsWith('~')) throw new ConnectionError(at, `Include ${written}: a path from a home directory in the system-wide configuration, which ssh refuses too ("bad include path")`, "write that file's full path");
    return join(root.dir, written);
  }
  if (!written.startsWith('~')) return join(root.home, '.ssh', written);
  const [, user, rest] = /^~([^/]*)(.*)$/.exec(written)!;
  if (user !== '' && user !== userInfo().username) {
    throw new ConnectionError(at, `Include ${written} names another user's home, which gridops does not look up`, "write that file's full path");
  }
  return `${root.home}${rest}`;
}

/** Characters that make a path segment a glob(3) pattern. */
const WILDCARD = /[*?[]/;

/**
 * The existing paths an absolute glob(7) pattern names, sorted as glob(3) sorts them (bytewise);
 * a pattern without wildcards is its own only path (reading it says whether it exists). `*` and
 * `?` do not match a leading dot, and braces are literal, as in OpenSSH's glob call.
 */
export function expandGlob(pattern: string): string[] {
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
