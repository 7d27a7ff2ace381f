/**
 * Probes served without a shell: when every line of a host's probes is a file request
 * (fileProbe), an existence test (existsTest) or absent-paths' test of a literal path
 * (presentLoop), the planner can answer them from a read without
 * a shell (Transport.queryFiles, SFTP), in exactly the text the shell read would have printed,
 * so every diff() reads it unchanged. Anything this cannot reproduce exactly (a file larger than
 * MAX_INLINE_BYTES, whose hash the shell computes; an owner or group the host's files do not
 * name; a file that changed between its stat and its read) makes the answer `undefined`, and the
 * planner reads the host with its shell as before.
 */
import type { FileAnswer, FileAttrs, FileQuery } from '../transport/transport.js';
import { quote } from '../transport/quote.js';
import { MAX_INLINE_BYTES, NO_OWNERS, requestedFile } from './file-reads.js';

/** `[ -e PATH ]` printing `word` when it holds: the form of probe a read without a shell can serve. */
export function existsTest(path: string, word: string): string {
  if (!/^[a-z][a-z-]*$/.test(word)) throw new Error(`existsTest: ${JSON.stringify(word)} is not a plain word`);
  return `if [ -e ${quote(path)} ]; then echo ${word}; fi`;
}

/** The path and word of a line existsTest wrote (its quoting checked by quoting the path again), else undefined. */
function parseExistsTest(line: string): { path: string; word: string } | undefined {
  const m = /^if \[ -e (.+) \]; then echo ([a-z][a-z-]*); fi$/.exec(line);
  if (!m) return undefined;
  const path = unquoted(m[1]!);
  return path === undefined ? undefined : { path, word: m[2]! };
}

/**
 * absent-paths' probe of one path or pattern (`word`, already a shell word): prints each name that
 * exists or is a link, a dangling one too. That is whether lstat finds it.
 */
export function presentLoop(word: string): string {
  return `for f in ${word}; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\\n' "$f"; fi; done`;
}

/** The path of a presentLoop line over one literal path, else undefined (a pattern with `*` is the shell's to expand). */
function parsePresentLoop(line: string): string | undefined {
  const m = /^for f in (.+); do if \[ -e "\$f" \] \|\| \[ -L "\$f" \]; then printf '%s\\n' "\$f"; fi; done$/.exec(line);
  return m ? unquoted(m[1]!) : undefined;
}

/** The value quote() made `word` from, or undefined when quote() would not have written it so (a glob, a second word). */
function unquoted(word: string): string | undefined {
  const value = word.startsWith("'") && word.endsWith("'") && word.length >= 2 ? word.slice(1, -1).replace(/'\\''/g, "'") : word;
  return quote(value) === word ? value : undefined;
}

/**
 * Paths whose answer depends on the process that asks (sftp-server is not the shell), or that are
 * not absolute: the shell read's.
 */
function servablePath(path: string): boolean {
  return path.startsWith('/') && !/^\/proc\/(self|thread-self)(\/|$)|^\/dev\/(fd|stdin|stdout|stderr)(\/|$)/.test(path);
}

/** The root directory, stat'ed with every read: a server that refuses to stat it (`sftp-server -P stat`) would say every path is missing. */
const ROOT = '/';

/** One line of a servable probe: a file's state (fileProbe; `owners` false prints `-` for them), `[ -e ]` (existsTest), lstat (presentLoop). */
type ProbeLine = { file: string; owners: boolean } | { exists: string; word: string } | { present: string };

/** A host's probes as a read without a shell serves them, and the queries that read needs. */
export interface ServableProbes {
  probes: ProbeLine[][];
  queries: FileQuery[];
}

/** Files that name owners and groups, and the name service's order (passwd and group must come from the files). */
export const NAME_FILES = ['/etc/passwd', '/etc/group', '/etc/nsswitch.conf'] as const;
/** What is read of each of NAME_FILES at most; a larger one (a directory's worth of users) goes to the shell read. */
const NAME_FILE_BYTES = 1 << 20;

/**
 * The probes as lines a read without a shell can serve, or undefined when one holds anything
 * else (a program, a test of another kind, a path with a newline, which fileProbe reads itself).
 * `true` (a command without guards) prints nothing.
 */
export function servableProbes(snippets: readonly string[]): ServableProbes | undefined {
  const probes: ProbeLine[][] = [];
  const files = new Set<string>();
  const exists = new Set<string>();
  const lstats = new Set<string>();
  let ownersWanted = false;
  for (const snippet of snippets) {
    const lines: ProbeLine[] = [];
    for (const line of snippet.split('\n')) {
      if (line === '' || line === 'true') continue;
      const file = requestedFile(line);
      if (file !== undefined && !servablePath(file.path)) return undefined;
      if (file !== undefined) {
        files.add(file.path);
        ownersWanted ||= file.owners;
        lines.push({ file: file.path, owners: file.owners });
        continue;
      }
      const present = parsePresentLoop(line);
      if (present !== undefined) {
        if (!servablePath(present)) return undefined;
        lstats.add(present);
        lines.push({ present });
        continue;
      }
      const test = parseExistsTest(line);
      if (!test || !servablePath(test.path)) return undefined;
      exists.add(test.path);
      lines.push({ exists: test.path, word: test.word });
    }
    probes.push(lines);
  }
  const queries: FileQuery[] = [
    ...[...files].map((path) => ({ path, lstat: true, read: MAX_INLINE_BYTES })),
    ...[...exists].map((path) => ({ path, stat: true })),
    ...[...lstats].map((path) => ({ path, lstat: true })),
    // The owners' names only where a probe prints them.
    ...(ownersWanted ? NAME_FILES.map((path) => ({ path, read: NAME_FILE_BYTES })) : []),
    { path: ROOT, lstat: true, stat: true },
  ];
  return { probes, queries: mergeQueries(queries) };
}

/** The queries as one per path, each asking all that any of them asked. */
export function mergeQueries(queries: readonly FileQuery[]): FileQuery[] {
  const merged = new Map<string, FileQuery>();
  for (const q of queries) {
    const seen = merged.get(q.path);
    const read = Math.max(seen?.read ?? -1, q.read ?? -1);
    merged.set(q.path, { path: q.path, ...((seen?.lstat || q.lstat) && { lstat: true }), ...((seen?.stat || q.stat) && { stat: true }), ...(read >= 0 && { read }) });
  }
  return [...merged.values()];
}

/** User and group names by id, from the host's /etc/passwd and /etc/group, when the name service reads those first. */
export interface OwnerNames {
  users: Map<number, string>;
  groups: Map<number, string>;
}

/** Undefined when the names could come from elsewhere (nsswitch puts another source first, NIS `+` lines) or the files are missing or too large. */
export function ownerNames(answers: ReadonlyMap<string, FileAnswer>): OwnerNames | undefined {
  const text = (path: string) => {
    const content = answers.get(path)?.content;
    return content && content.length <= NAME_FILE_BYTES ? content.toString('utf8') : undefined;
  };
  const [passwd, group, nsswitch] = NAME_FILES.map(text);
  if (passwd === undefined || group === undefined || nsswitch === undefined) return undefined;
  for (const db of ['passwd', 'group']) {
    const sources = nsswitch.split('\n').find((l) => l.trimStart().startsWith(`${db}:`));
    if (sources === undefined || sources.replace(/#.*/, '').split(':')[1]!.trim().split(/\s+/)[0] !== 'files') return undefined;
  }
  const byId = (content: string, idField: number): Map<number, string> | undefined => {
    const names = new Map<number, string>();
    for (const line of content.split('\n')) {
      if (line === '') continue;
      // NIS entries, and lines the C library reads its own way (comments, leading blanks): the shell's.
      if (/^[+\-#\s]/.test(line)) return undefined;
      const fields = line.split(':');
      const id = fields[idField] ?? '';
      // The first line for an id is the one getpwuid/getgrgid return.
      if (fields[0] && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), fields[0]);
    }
    return names;
  };
  const users = byId(passwd, 2);
  const groups = byId(group, 2);
  return users && groups ? { users, groups } : undefined;
}

/** stat's %F for a mode and size (GNU coreutils' names, as LC_ALL=C prints them). */
export function fileTypeName(mode: number, size: number): string {
  switch (mode & 0o170000) {
    case 0o100000:
      return size === 0 ? 'regular empty file' : 'regular file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symbolic link';
    case 0o060000:
      return 'block special file';
    case 0o020000:
      return 'character special file';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return 'weird file';
  }
}

/**
 * A path's state as fileProbe prints it (`absent`, or `TYPE|MODE|OWNER|GROUP|SIZE` and, for a
 * regular file, its content in base64), or undefined when the answer cannot give that exactly.
 * Without `names`, as a request without owners prints it: `-` for both.
 */
export function fileStateText(answer: FileAnswer | undefined, names: OwnerNames | undefined): string | undefined {
  const attrs: FileAttrs | null | undefined = answer?.lstat;
  if (attrs === undefined) return undefined;
  if (attrs === null) return 'absent\n';
  const owner = names ? names.users.get(attrs.uid) : NO_OWNERS;
  const group = names ? names.groups.get(attrs.gid) : NO_OWNERS;
  if (owner === undefined || group === undefined) return undefined;
  const head = `${fileTypeName(attrs.mode, attrs.size)}|${(attrs.mode & 0o7777).toString(8)}|${owner}|${group}|${attrs.size}\n`;
  if ((attrs.mode & 0o170000) !== 0o100000) return head;
  // The shell read hashes a larger file; a /proc or /sys file (size 0) is read whole, as here.
  if (attrs.size > MAX_INLINE_BYTES) return undefined;
  const content = answer!.content;
  if (!content || content.length > MAX_INLINE_BYTES || (attrs.size > 0 && content.length !== attrs.size)) return undefined;
  return `${head}${content.toString('base64')}\n`;
}

/** Each probe's stdout as the shell read would have printed it, or undefined where one cannot be given exactly. */
export function servedOutputs(servable: ServableProbes, answers: ReadonlyMap<string, FileAnswer>): string[] | undefined {
  if (!answers.get(ROOT)?.lstat || !answers.get(ROOT)?.stat) return undefined;
  const needsNames = servable.probes.some((lines) => lines.some((l) => 'file' in l && l.owners));
  const names = needsNames ? ownerNames(answers) : { users: new Map<number, string>(), groups: new Map<number, string>() };
  if (!names) return undefined;
  const outputs: string[] = [];
  for (const lines of servable.probes) {
    let out = '';
    for (const line of lines) {
      if ('file' in line) {
        const state = fileStateText(answers.get(line.file), line.owners ? names : undefined);
        if (state === undefined) return undefined;
        out += state;
      } else if ('present' in line) {
        // `[ -e ] || [ -L ]` holds exactly when lstat finds the name.
        const lstat = answers.get(line.present)?.lstat;
        if (lstat === undefined) return undefined;
        if (lstat !== null) out += `${line.present}\n`;
      } else {
        const stat = answers.get(line.exists)?.stat;
        if (stat === undefined) return undefined;
        if (stat !== null) out += `${line.word}\n`;
      }
    }
    outputs.push(out);
  }
  return outputs;
}
