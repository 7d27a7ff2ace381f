/**
 * A host's file reads, served by one batched read. Resources ask for a file's state with
 * fileProbe (file-state.ts), which prints a request line; the read script (engine/read-script.ts)
 * collects every path requested by a host's probes, reads them all at once before the probes
 * run, and puts each file's state in place of its request line, in the form fileProbe's own
 * snippet prints (so parseFileState and every diff() read it unchanged).
 *
 * Why: reading a file the plain way is two programs per file (`stat`, then `base64`), and a
 * program costs a host 1.5 to 3 ms of CPU (fork, exec, the dynamic loader). Batched, a host runs
 * one `stat` for all of its paths and at most one `od` for the content of all of its small
 * regular files, however many there are; the first KiB of small text is read by the shell itself,
 * without od. Measured on a lab host with the bench's two files: 15.3 ms of CPU for the whole read
 * with a stat and a base64 each, ~11 ms batched, ~9.5 ms with the shell reading the text.
 */
import { quote } from '../transport/quote.js';
import { lineStartsOf } from './line-starts.js';

/** Content beyond this size is compared by hash only (no inline diff). */
export const MAX_INLINE_BYTES = 256 * 1024;

/**
 * How many bytes of a host's small files the shell reads itself, with its `read` builtin, instead
 * of od. dash's `read` makes one system call per byte: 100 bytes cost a host 0.07 ms, a KiB 0.75,
 * and an od of any small file 1.4 ms.
 */
export const SHELL_READ_BYTES = 1024;

const REQUEST = '@@gridops-file:';
/** Section lines of the batched read's own output. */
const CONTENT = '@@gridops-files:content@@';
const ONE = '@@gridops-files:one@@';
const TEXT = '@@gridops-files:text@@';
const UNREADABLE = '@@gridops-files:unreadable@@';

/**
 * What a request without owners ends with: the state comes back with `-` for the owner and the
 * group (see withoutOwners), so a read without a shell need not read the host's name files to
 * name them.
 */
export const NO_OWNERS = '-';

/**
 * The request line fileProbe prints for `path` (hex: any byte of a path survives, and no quoting
 * is involved); `owners: false` for a probe whose diff never looks at the owner or the group.
 */
export function fileReadRequest(path: string, owners = true): string {
  return `echo '${REQUEST}${Buffer.from(path, 'utf8').toString('hex')}@@${owners ? '' : NO_OWNERS}'`;
}

/** A request line fileProbe wrote: the path in hex, then NO_OWNERS or nothing. */
const REQUEST_LINE = /^echo '@@gridops-file:([0-9a-f]*)@@(-?)'$/;
const REQUEST_IN_SNIPPET = new RegExp(REQUEST_LINE.source, 'gm');
const fromHex = (hex: string) => Buffer.from(hex, 'hex').toString('utf8');

/** The path a probe's line asks for, and whether with its owners, when the line is a request fileProbe wrote. */
export function requestedFile(line: string): { path: string; owners: boolean } | undefined {
  const m = REQUEST_LINE.exec(line);
  return m ? { path: fromHex(m[1]!), owners: m[2] !== NO_OWNERS } : undefined;
}

/**
 * A state as fileProbe prints it, with `-` for its owner and group: what a request without owners
 * gets from either read (the shell's stat names them, a read without a shell would need the name
 * files to).
 */
function withoutOwners(state: ProbeText): ProbeText {
  const end = state.indexOf('\n');
  const fields = state.slice(0, end < 0 ? state.length : end).split('|');
  if (fields.length !== 5) return state; // `absent`
  return `${fields[0]}|${fields[1]}|${NO_OWNERS}|${NO_OWNERS}|${fields[4]}${end < 0 ? '' : state.slice(end)}`;
}

/** The paths whose state `snippets` ask for, each once, in the order first asked. */
export function requestedPaths(snippets: readonly string[]): string[] {
  const paths = new Set<string>();
  for (const snippet of snippets) for (const m of snippet.matchAll(REQUEST_IN_SNIPPET)) paths.add(fromHex(m[1]!));
  return [...paths];
}

/**
 * The snippet as the read runs it: each request line carries the read's random `nonce`, so only
 * lines fileProbe wrote are served (a probe that prints host text, such as a sysctl's value,
 * cannot ask for a file by printing a request line); a path in `ownSnippet` is read by a snippet
 * of its own instead (see FileReadMismatch).
 */
export function servableSnippet(snippet: string, nonce: string, ownSnippet: (path: string, owners: boolean) => string | undefined): string {
  return snippet.replace(REQUEST_IN_SNIPPET, (line: string, hex: string, noOwners: string) => ownSnippet(fromHex(hex), noOwners !== NO_OWNERS) ?? `echo '@@gridops-file-${nonce}:${hex}@@${noOwners}'`);
}

/**
 * The sh snippet that reads `paths` (none holds a newline: fileProbe reads those itself). It runs
 * in the read's own shell, so it leaves no variable behind and resets the positional parameters.
 *  1. One `stat` of every path that exists (lstat: a symbolic link is reported as one):
 *     `SIZE|TYPE|MODE|OWNER|GROUP|NAME` per path; a missing path prints nothing, and when no path
 *     exists stat does not run.
 *  2. The shell's own `read` of small regular files, up to SHELL_READ_BYTES in all: each prints
 *     TEXT, its name and its bytes as they are, if the shell read as many bytes as stat counted (a
 *     NUL is lost in a shell variable) and all are printable ASCII or space (what the transport's
 *     UTF-8 decoding cannot change); if not, a block of its own (below) with an od of it.
 *  3. One `od` of the other regular files of 1 to MAX_INLINE_BYTES bytes, in stat's order: their
 *     bytes in a row, as hex (od takes many files, base64 one; hex survives any byte), split by
 *     stat's sizes.
 *  4. One program per rare file: a larger regular file's sha256; an "empty" one read with od on
 *     its own (a /proc or /sys file says size 0 and has content).
 * A symbolic link gets its own line only: parseFileState takes content from regular files alone.
 * The caller sets LC_ALL=C: stat's type names are translated otherwise, and `${#v}` counts bytes.
 */
export function fileReadScript(paths: readonly string[]): string {
  // The block of a file read by a program of its own: ONE, its name, then the program's output.
  const ownBlock = (program: string) => `echo '${ONE}'; printf '%s\\n' "$_gn"; ${program}`;
  return [
    `set -- ${paths.map(quote).join(' ')}`,
    // Only the paths that exist go to stat (tested by builtins), and none at all means no stat: a
    // first run asks for files that are not there yet, and a stat costs its host 7 ms of CPU
    // (2026-12-01, a lab host: the bench's first run 108.8 -> 101.5 ms without it). stat printed
    // nothing for a missing path, so the output is the same.
    'for _gn do shift; if [ -e "$_gn" ] || [ -L "$_gn" ]; then set -- "$@" "$_gn"; fi; done',
    `_gf=; [ $# -gt 0 ] && _gf=$(stat -c '%s|%F|%a|%U|%G|%n' -- "$@" 2>/dev/null); printf '%s\\n' "$_gf"`,
    'set --; _go=; _gx=; _gb=0',
    // NAME is what follows the first four `|` after the type: it may itself hold `|`. _gx lists the
    // files the shell reads (SIZE|NAME); _go the rare files, each line a kind (s: its hash, o: its
    // own od) and the name.
    `while IFS='|' read -r _gs _gt _gr; do _gn=\${_gr#*|*|*|}; case $_gt in`,
    `  'regular file') if [ $((_gb + _gs)) -le ${SHELL_READ_BYTES} ]; then _gb=$((_gb + _gs)); _gx="\${_gx}$_gs|$_gn\n"`,
    `    elif [ "$_gs" -le ${MAX_INLINE_BYTES} ]; then set -- "$@" "$_gn"; else _go="\${_go}s$_gn\n"; fi;;`,
    `  'regular empty file') _go="\${_go}o$_gn\n";;`,
    'esac; done <<GRIDOPS_FILES',
    '$_gf',
    'GRIDOPS_FILES',
    `echo '${CONTENT}'; [ $# -gt 0 ] && od -An -v -tx1 -- "$@"`,
    `[ -n "$_go" ] && while IFS= read -r _gn; do [ -n "$_gn" ] || continue; _gs=\${_gn%"\${_gn#?}"}; _gn=\${_gn#?}`,
    `  if [ "$_gs" = s ]; then ${ownBlock(`_gs=$(sha256sum < "$_gn") && echo "sha256 \${_gs%% *}" || echo '${UNREADABLE}'`)}; else ${ownBlock(`od -An -v -tx1 < "$_gn" || echo '${UNREADABLE}'`)}; fi`,
    'done <<GRIDOPS_FILES',
    '$_go',
    'GRIDOPS_FILES',
    // Each line read, with the newline read strips; the last one without it (read fails there, with what it read).
    `[ -n "$_gx" ] && while IFS= read -r _gn; do [ -n "$_gn" ] || continue; _gs=\${_gn%%|*}; _gn=\${_gn#*|}; _gc=; _gl=`,
    `  { while IFS= read -r _gl; do _gc="$_gc$_gl\n"; _gl=; done < "$_gn"; } 2>/dev/null; _gc="$_gc$_gl"`,
    // Text only when all of it is printable ASCII or space: other bytes (UTF-8 or not, a key's) go to od.
    `  _gt=text; case $_gc in *[![:print:][:space:]]*) _gt=;; esac`,
    `  if [ -n "$_gt" ] && [ "\${#_gc}" -eq "$_gs" ]; then echo '${TEXT}'; printf '%s\\n%s\\n' "$_gn" "$_gc"; else ${ownBlock(`od -An -v -tx1 < "$_gn" || echo '${UNREADABLE}'`)}; fi`,
    'done <<GRIDOPS_FILES',
    '$_gx',
    'GRIDOPS_FILES',
    `echo '${CONTENT}end'`,
    'set --; unset _gf _go _gx _gb _gc _gl _gs _gt _gr _gn',
  ].join('\n');
}

/** What fileProbe's own snippet prints for one path (see parseFileState). */
type ProbeText = string;

/**
 * The batched content of some files did not add up to the sizes stat gave: a file changed while it
 * was read, could not be read, or is a /sys file whose size says 4096 whatever it holds. `paths`
 * (the files read in the batch) are to be read again, each by its own snippet.
 */
export class FileReadMismatch extends Error {
  constructor(
    readonly paths: readonly string[],
    detail: string,
  ) {
    super(`the batched read of ${paths.length} file${paths.length === 1 ? '' : 's'} did not add up (${detail}): ${paths.join(', ')}`);
  }
}

/** What the batched read found: each requested path's state, and the read's output that follows it (the probes'). */
export interface FileReads {
  states: Map<string, ProbeText>;
  rest: string;
}

/** The replacement character: where it is in text the shell read, the bytes were not UTF-8 (or the file holds it: read again either way). */
const REPLACEMENT = Buffer.from('\uFFFD', 'utf8');

/**
 * Parses the batched read's output from its start: each requested path's state, as fileProbe's
 * snippet would print it. It is read in order and by stat's sizes, never by searching: the text the
 * shell read is a file's bytes as they are, and may hold any line, a marker's too.
 */
export function parseFileReads(stdout: string, paths: readonly string[]): FileReads {
  const out = Buffer.from(stdout, 'utf8');
  let pos = 0;
  const line = (): string => {
    const end = out.indexOf(10, pos);
    if (end < 0) throw new Error('the batched file read did not finish');
    const text = out.toString('utf8', pos, end);
    pos = end + 1;
    return text;
  };
  const wanted = new Set(paths);
  const stats = new Map<string, { size: number; type: string; rest: string }>();
  // A line of stat's output never equals a marker: it starts with a size.
  for (let l = line(); l !== CONTENT; l = line()) {
    const m = /^(\d+)\|([^|]*)\|([^|]*\|[^|]*\|[^|]*)\|(.*)$/.exec(l);
    if (m && wanted.has(m[4]!)) stats.set(m[4]!, { size: Number(m[1]), type: m[2]!, rest: m[3]! });
  }
  const small = (s: { size: number; type: string }) => s.type === 'regular file' && s.size <= MAX_INLINE_BYTES;
  const isSection = (l: string) => l === ONE || l === TEXT || l === `${CONTENT}end`;
  // The od lines (hex only), then blocks: ONE, a name, a program's output; TEXT, a name, the bytes.
  const odLines: string[] = [];
  let l = line();
  for (; !isSection(l); l = line()) odLines.push(l);
  const one = new Map<string, string>();
  const text = new Map<string, Buffer>();
  while (l !== `${CONTENT}end`) {
    const name = line();
    if (l === ONE) {
      const body: string[] = [];
      for (l = line(); !isSection(l); l = line()) body.push(l);
      if (body.includes(UNREADABLE)) {
        // A small file gone or unreadable since stat (deleted, replaced): read again on its own, which says what it is now.
        const st = stats.get(name);
        if (st && small(st)) throw new FileReadMismatch([name], 'it could not be read after stat');
        throw new Error(`cannot read ${name}`);
      }
      one.set(name, body.join('\n'));
      continue;
    }
    const size = stats.get(name)?.size;
    if (size === undefined) throw new FileReadMismatch([...stats.keys()], `text for ${JSON.stringify(name)}, which stat did not list`);
    // Not followed by its newline: bytes that were not UTF-8 changed the size (the read again gets all the others anyway).
    if (out[pos + size] !== 10) throw new FileReadMismatch([name], 'its text is not the size stat gave');
    const bytes = out.subarray(pos, pos + size);
    if (bytes.includes(REPLACEMENT)) throw new FileReadMismatch([name], 'its bytes are not all UTF-8');
    text.set(name, bytes);
    pos += size + 1;
    l = line();
  }
  const bytes = fromOd(odLines.join('\n'), 'the batched content');
  const batched = [...stats].filter(([path, s]) => small(s) && !text.has(path) && !one.has(path)).map(([path]) => path);
  const expected = batched.reduce((sum, path) => sum + stats.get(path)!.size, 0);
  if (expected !== bytes.length) throw new FileReadMismatch(batched, `${bytes.length} bytes for ${expected}`);
  const states = new Map<string, ProbeText>();
  let offset = 0;
  for (const [path, s] of stats) {
    const head = `${s.type}|${s.rest}|${s.size}\n`;
    const content = (b: Buffer) => states.set(path, `${head}${b.toString('base64')}\n`);
    if (small(s) && text.has(path)) content(text.get(path)!);
    else if (small(s) && one.has(path)) {
      // Read with od after the shell's read came out short: a NUL, or the file changed meanwhile.
      const own = fromOd(one.get(path)!, path);
      if (own.length !== s.size) throw new FileReadMismatch([path], `${own.length} bytes for ${s.size}`);
      content(own);
    } else if (small(s)) {
      content(bytes.subarray(offset, offset + s.size));
      offset += s.size;
    } else if (s.type === 'regular empty file') content(fromOd(one.get(path) ?? '', path));
    else if (s.type === 'regular file' && one.get(path)?.startsWith('sha256 ')) states.set(path, `${head}${one.get(path)!.trim()}\n`);
    else states.set(path, head);
  }
  for (const path of paths) if (!states.has(path)) states.set(path, 'absent\n');
  return { states, rest: out.toString('utf8', pos) };
}

/** od -An -tx1 output (hex byte pairs, spaces and newlines) -> the bytes; anything else is refused. */
function fromOd(text: string, what: string): Buffer {
  if (!/^[0-9a-f\s]*$/.test(text)) throw new Error(`unexpected output reading ${what}`);
  const hex = text.replace(/\s+/g, '');
  if (hex.length % 2) throw new Error(`unexpected output reading ${what}`);
  return Buffer.from(hex, 'hex');
}

/** A probe's stdout with each of this read's request lines (`nonce`) replaced by the state the batched read found. Throws if one is left unserved. */
export function serveFileReads(stdout: string, served: ReadonlyMap<string, ProbeText>, nonce: string): string {
  const tag = `@@gridops-file-${nonce}:`;
  if (!stdout.includes(tag)) return stdout;
  let result = '';
  let copied = 0;
  for (const at of lineStartsOf(stdout, tag)) {
    const hexStart = at + tag.length;
    let hexEnd = hexStart;
    while (hexEnd < stdout.length && /[0-9a-f]/.test(stdout[hexEnd]!)) hexEnd++;
    if (!stdout.startsWith('@@', hexEnd)) continue;
    const path = fromHex(stdout.slice(hexStart, hexEnd));
    const state = served.get(path);
    if (state === undefined) throw new Error(`no state was read for ${JSON.stringify(path)}`);
    const owners = stdout[hexEnd + 2] !== NO_OWNERS;
    const markEnd = hexEnd + 2 + (owners ? 0 : 1);
    const lineEnd = markEnd + (stdout[markEnd] === '\n' ? 1 : 0);
    result += stdout.slice(copied, at) + (owners ? state : withoutOwners(state));
    copied = lineEnd;
  }
  return result + stdout.slice(copied);
}
