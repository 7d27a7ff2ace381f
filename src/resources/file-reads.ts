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

/** The request line fileProbe prints for `path` (hex: any byte of a path survives, and no quoting is involved). */
export function fileReadRequest(path: string): string {
  return `echo '${REQUEST}${Buffer.from(path, 'utf8').toString('hex')}@@'`;
}

/** The paths whose state `snippets` ask for, each once, in the order first asked. */
export function requestedPaths(snippets: readonly string[]): string[] {
  const paths = new Set<string>();
  for (const snippet of snippets) for (const m of snippet.matchAll(/^echo '@@gridops-file:([0-9a-f]+)@@'$/gm)) paths.add(Buffer.from(m[1]!, 'hex').toString('utf8'));
  return [...paths];
}

/**
 * The sh snippet that reads `paths` (none holds a newline: fileProbe reads those itself). It runs
 * in the read's own shell, so it leaves no variable behind and resets the positional parameters.
 *  1. One `stat` of every path (lstat: a symbolic link is reported as one): `SIZE|TYPE|MODE|
 *     OWNER|GROUP|NAME` per path that exists; a missing path prints nothing.
 *  2. One `od` of the regular files no larger than MAX_INLINE_BYTES, in stat's order: their
 *     bytes in a row, as hex (od takes many files, base64 one; hex survives any byte).
 *  3. Each larger regular file's sha256, one program each: rare.
 * A symbolic link gets its own line only: parseFileState takes content from regular files alone.
 */
export function fileReadScript(paths: readonly string[]): string {
  return [
    `set -- ${paths.map(quote).join(' ')}`,
    `_gf=$(stat -c '%s|%F|%a|%U|%G|%n' -- "$@" 2>/dev/null); printf '%s\\n' "$_gf"`,
    'set --; _go=',
    // NAME is what follows the first four `|` after the type: it may itself hold `|`.
    `while IFS='|' read -r _gs _gt _gr; do _gn=\${_gr#*|*|*|}; case $_gt in`,
    `  'regular file') if [ "$_gs" -le ${MAX_INLINE_BYTES} ]; then set -- "$@" "$_gn"; else _go="$_go$_gn\n"; fi;;`,
    'esac; done <<GRIDOPS_FILES',
    '$_gf',
    'GRIDOPS_FILES',
    `echo '${CONTENT}'; [ $# -gt 0 ] && od -An -v -tx1 -- "$@"`,
    `[ -n "$_go" ] && while IFS= read -r _gn; do [ -n "$_gn" ] || continue; echo '${ONE}'; printf '%s\\n' "$_gn"`,
    `  echo "sha256 $(sha256sum -- "$_gn" | cut -d' ' -f1)"`,
    'done <<GRIDOPS_FILES',
    '$_go',
    'GRIDOPS_FILES',
    `echo '${CONTENT}end'`,
    'set --; unset _gf _go _gs _gt _gr _gn',
  ].join('\n');
}

/** What fileProbe's own snippet prints for one path (see parseFileState). */
type ProbeText = string;

/** Parses the batched read's output: each requested path's state, as fileProbe's snippet would print it. Throws when a file changed while it was read. */
export function parseFileReads(stdout: string, paths: readonly string[]): Map<string, ProbeText> {
  const contentAt = stdout.indexOf(`${CONTENT}\n`);
  const endAt = stdout.lastIndexOf(`${CONTENT}end`);
  if (contentAt < 0 || endAt < contentAt) throw new Error('the batched file read did not finish');
  const wanted = new Set(paths);
  const stats = new Map<string, { size: number; type: string; rest: string }>();
  for (const line of stdout.slice(0, contentAt).split('\n')) {
    const m = /^(\d+)\|([^|]*)\|([^|]*\|[^|]*\|[^|]*)\|(.*)$/.exec(line);
    if (m && wanted.has(m[4]!)) stats.set(m[4]!, { size: Number(m[1]), type: m[2]!, rest: m[3]! });
  }
  const [inRow = '', ...singles] = stdout.slice(contentAt + CONTENT.length + 1, endAt).split(`${ONE}\n`);
  const bytes = fromOd(inRow);
  const one = new Map<string, string>();
  for (const block of singles) {
    const newline = block.indexOf('\n');
    one.set(block.slice(0, newline), block.slice(newline + 1));
  }
  const out = new Map<string, ProbeText>();
  let offset = 0;
  for (const [path, s] of stats) {
    const head = `${s.type}|${s.rest}|${s.size}\n`;
    if (s.type === 'regular file' && s.size <= MAX_INLINE_BYTES) {
      out.set(path, `${head}${bytes.subarray(offset, offset + s.size).toString('base64')}\n`);
      offset += s.size;
    } else if (s.type === 'regular empty file') out.set(path, `${head}\n`);
    else if (s.type === 'regular file' && one.has(path)) out.set(path, `${head}${one.get(path)!}`);
    else out.set(path, head);
  }
  if (offset !== bytes.length) throw new Error(`a file changed while it was read, or could not be read (${bytes.length} bytes for ${offset} expected)`);
  for (const path of paths) if (!out.has(path)) out.set(path, 'absent\n');
  return out;
}

/** od -An -tx1 output (hex byte pairs, spaces and newlines) → the bytes. */
function fromOd(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** A probe's stdout with each request line replaced by the state the batched read found. */
export function serveFileReads(stdout: string, served: ReadonlyMap<string, ProbeText>): string {
  if (!stdout.includes(REQUEST)) return stdout;
  return stdout.replace(/^@@gridops-file:([0-9a-f]+)@@\n?/gm, (line: string, hex: string) => served.get(Buffer.from(hex, 'hex').toString('utf8')) ?? line);
}
