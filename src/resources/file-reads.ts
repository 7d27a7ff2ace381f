/**
 * A host's file reads, served by one batched read. Resources ask for a file's state with
 * fileProbe (file-state.ts), which prints a request line; the read script (engine/read-script.ts)
 * collects every path requested by a host's probes, reads them all at once before the probes
 * run, and puts each file's state in place of its request line, in the form fileProbe's own
 * snippet prints (so parseFileState and every diff() read it unchanged).
 *
 * Why: reading a file the plain way is two programs per file (`stat`, then `base64`), and a
 * program costs a host 2 to 3 ms of CPU (fork, exec, the dynamic loader). Batched, a host runs
 * one `stat` for all of its paths and one `od` for the content of all of its small regular files,
 * however many there are. Measured on a lab host with the bench's two files: 15.3 ms of CPU for
 * the whole read before, ~11 ms after.
 */
import { quote } from '../transport/quote.js';

/** Content beyond this size is compared by hash only (no inline diff). */
export const MAX_INLINE_BYTES = 256 * 1024;

const REQUEST = '@@gridops-file:';
/** Section lines of the batched read's own output. */
const CONTENT = '@@gridops-files:content@@';
const ONE = '@@gridops-files:one@@';
const UNREADABLE = '@@gridops-files:unreadable@@';

/** The request line fileProbe prints for `path` (hex: any byte of a path survives, and no quoting is involved). */
export function fileReadRequest(path: string): string {
  return `echo '${REQUEST}${Buffer.from(path, 'utf8').toString('hex')}@@'`;
}

const REQUEST_IN_SNIPPET = /^echo '@@gridops-file:([0-9a-f]*)@@'$/gm;
const fromHex = (hex: string) => Buffer.from(hex, 'hex').toString('utf8');

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
export function servableSnippet(snippet: string, nonce: string, ownSnippet: (path: string) => string | undefined): string {
  return snippet.replace(REQUEST_IN_SNIPPET, (line: string, hex: string) => ownSnippet(fromHex(hex)) ?? `echo '@@gridops-file-${nonce}:${hex}@@'`);
}

/**
 * The sh snippet that reads `paths` (none holds a newline: fileProbe reads those itself). It runs
 * in the read's own shell, so it leaves no variable behind and resets the positional parameters.
 *  1. One `stat` of every path (lstat: a symbolic link is reported as one): `SIZE|TYPE|MODE|
 *     OWNER|GROUP|NAME` per path that exists; a missing path prints nothing.
 *  2. One `od` of the regular files of 1 to MAX_INLINE_BYTES bytes, in stat's order: their bytes in
 *     a row, as hex (od takes many files, base64 one; hex survives any byte), split by stat's sizes.
 *  3. One program per rare file: a larger regular file's sha256; an "empty" one read with od on
 *     its own (a /proc or /sys file says size 0 and has content).
 * A symbolic link gets its own line only: parseFileState takes content from regular files alone.
 * The caller sets LC_ALL=C: stat's type names are translated otherwise.
 */
export function fileReadScript(paths: readonly string[]): string {
  return [
    `set -- ${paths.map(quote).join(' ')}`,
    `_gf=$(stat -c '%s|%F|%a|%U|%G|%n' -- "$@" 2>/dev/null); printf '%s\\n' "$_gf"`,
    'set --; _go=',
    // NAME is what follows the first four `|` after the type: it may itself hold `|`. _go lists the
    // rare files, each line a kind (s: its hash, o: its own od) and the name.
    `while IFS='|' read -r _gs _gt _gr; do _gn=\${_gr#*|*|*|}; case $_gt in`,
    `  'regular file') if [ "$_gs" -le ${MAX_INLINE_BYTES} ]; then set -- "$@" "$_gn"; else _go="\${_go}s$_gn\n"; fi;;`,
    `  'regular empty file') _go="\${_go}o$_gn\n";;`,
    'esac; done <<GRIDOPS_FILES',
    '$_gf',
    'GRIDOPS_FILES',
    `echo '${CONTENT}'; [ $# -gt 0 ] && od -An -v -tx1 -- "$@"`,
    `[ -n "$_go" ] && while IFS= read -r _gn; do [ -n "$_gn" ] || continue; _gs=\${_gn%"\${_gn#?}"}; _gn=\${_gn#?}; echo '${ONE}'; printf '%s\\n' "$_gn"`,
    `  if [ "$_gs" = s ]; then _gs=$(sha256sum < "$_gn") && echo "sha256 \${_gs%% *}" || echo '${UNREADABLE}'; else od -An -v -tx1 < "$_gn" || echo '${UNREADABLE}'; fi`,
    'done <<GRIDOPS_FILES',
    '$_go',
    'GRIDOPS_FILES',
    `echo '${CONTENT}end'`,
    'set --; unset _gf _go _gs _gt _gr _gn',
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

/** Parses the batched read's output: each requested path's state, as fileProbe's snippet would print it. */
export function parseFileReads(stdout: string, paths: readonly string[]): Map<string, ProbeText> {
  // Anchored on line starts: a path may hold the marker's text, a line of stat's output never starts with it.
  const contentAt = `\n${stdout}`.indexOf(`\n${CONTENT}\n`);
  const endAt = `\n${stdout}`.lastIndexOf(`\n${CONTENT}end\n`);
  if (contentAt < 0 || endAt < contentAt) throw new Error('the batched file read did not finish');
  const wanted = new Set(paths);
  const stats = new Map<string, { size: number; type: string; rest: string }>();
  for (const line of stdout.slice(0, contentAt).split('\n')) {
    const m = /^(\d+)\|([^|]*)\|([^|]*\|[^|]*\|[^|]*)\|(.*)$/.exec(line);
    if (m && wanted.has(m[4]!)) stats.set(m[4]!, { size: Number(m[1]), type: m[2]!, rest: m[3]! });
  }
  // The od lines (hex only), then blocks of three parts: the ONE line, a name line, the body.
  const lines = stdout.slice(contentAt + CONTENT.length + 1, endAt).split('\n');
  let i = 0;
  const odLines: string[] = [];
  for (; i < lines.length && lines[i] !== ONE; i++) odLines.push(lines[i]!);
  const bytes = fromOd(odLines.join('\n'), 'the batched content');
  const one = new Map<string, string>();
  while (i < lines.length && lines[i] === ONE) {
    const name = lines[i + 1] ?? '';
    const body: string[] = [];
    for (i += 2; i < lines.length && lines[i] !== ONE; i++) body.push(lines[i]!);
    if (body.includes(UNREADABLE)) throw new Error(`cannot read ${name}`);
    one.set(name, body.join('\n'));
  }
  const batched = [...stats].filter(([, s]) => s.type === 'regular file' && s.size <= MAX_INLINE_BYTES).map(([path]) => path);
  const expected = batched.reduce((sum, path) => sum + stats.get(path)!.size, 0);
  if (expected !== bytes.length) throw new FileReadMismatch(batched, `${bytes.length} bytes for ${expected}`);
  const out = new Map<string, ProbeText>();
  let offset = 0;
  for (const [path, s] of stats) {
    const head = `${s.type}|${s.rest}|${s.size}\n`;
    if (s.type === 'regular file' && s.size <= MAX_INLINE_BYTES) {
      out.set(path, `${head}${bytes.subarray(offset, offset + s.size).toString('base64')}\n`);
      offset += s.size;
    } else if (s.type === 'regular empty file') out.set(path, `${head}${fromOd(one.get(path) ?? '', path).toString('base64')}\n`);
    else if (s.type === 'regular file' && one.get(path)?.startsWith('sha256 ')) out.set(path, `${head}${one.get(path)!.trim()}\n`);
    else out.set(path, head);
  }
  for (const path of paths) if (!out.has(path)) out.set(path, 'absent\n');
  return out;
}

/** od -An -tx1 output (hex byte pairs, spaces and newlines) → the bytes; anything else is refused. */
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
  return stdout.replace(new RegExp(`^${tag}([0-9a-f]*)@@\\n?`, 'gm'), (_line: string, hex: string) => {
    const state = served.get(fromHex(hex));
    if (state === undefined) throw new Error(`no state was read for ${JSON.stringify(fromHex(hex))}`);
    return state;
  });
}
