import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

/** A parse of playbook commands must not hold up `validate`: past this, the commands go unchecked. */
const PARSE_TIMEOUT_MS = 3000;
/** What a `{{...}}` substitution stands for while parsing: it reaches the host quoted as one word (substituteCommand). */
const SUBSTITUTED_WORD = 'gridops_value';

/**
 * Why each command would not parse under the hosts' /bin/sh, or null for one that parses; in
 * the order given. A command with an unclosed quote, `$(` or here-document fails on every host,
 * and only at apply, after earlier changes of the batch landed (or, in an `unless`, breaks the
 * whole read of the host); so `validate` parses each with `sh -n` here, on the operator's machine.
 *
 * dash, the hosts' /bin/sh on Debian, parses them (the tests require it,
 * scripts/check-test-tools.js); an operator's machine without dash falls back to its /bin/sh, which
 * is POSIX too (bash's -n is laxer in places); a machine where neither runs in time leaves them
 * unchecked, and the host reports them as before. Each command is parsed as `{ CMD<newline>}`, as
 * a batch embeds it among others: an unended here-document then swallows the `}` and fails, where
 * dash alone would accept it at the end of the text. All commands go to one `sh -n` first, one
 * process per playbook (validation runs before every plan); only when that fails is each parsed
 * alone, to say which.
 */
export function shellSyntaxProblems(commands: readonly string[]): ShellSyntaxVerdict {
  const wrapped = commands.map((c) => `{ ${c.replace(/\{\{[^}]*\}\}/g, SUBSTITUTED_WORD)}\n}\n`);
  if (!wrapped.length) return { problems: [], byDash: true };
  let byDash = true;
  const parseNoting = (text: string) => {
    const parsed = parse(text);
    if (parsed === null || !parsed.byDash) byDash = false;
    return parsed;
  };
  const all = parseNoting(wrapped.join(''));
  if (all === null || all.ok) return { problems: commands.map(() => null), byDash };
  const problems = wrapped.map((w) => {
    const one = parseNoting(w);
    if (one === null || one.ok) return null;
    // Fine alone, not followed by more: its here-document took the rest as its body.
    const bare = parseNoting(w.slice('{ '.length, -'\n}\n'.length));
    return bare?.ok ? 'a here-document is not ended: it would take the rest of the batch as its body' : one.why;
  });
  return { problems, byDash };
}

/**
 * What shellSyntaxProblems found: why each command would not parse (null: it parses, or no shell
 * answered), and whether dash answered every parse. Only then is the verdict the hosts' own: a
 * check a fallback /bin/sh made, or none (a shell that did not answer in time), is good for this
 * run, not for a cached result (playbooks/validated-cache.ts keeps none without it).
 */
export interface ShellSyntaxVerdict {
  problems: (string | null)[];
  byDash: boolean;
}

/** `sh -n` of `text`: parsed, or why not; null when no shell could parse it in time. */
function parse(text: string): ({ ok: true } | { ok: false; why: string }) & { byDash: boolean } | null {
  let byDash = true;
  let result: SpawnSyncReturns<string> = spawnSync('dash', ['-n', '-c', text], { encoding: 'utf8', timeout: PARSE_TIMEOUT_MS });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    byDash = false;
    result = spawnSync('/bin/sh', ['-n', '-c', text], { encoding: 'utf8', timeout: PARSE_TIMEOUT_MS });
  }
  if (result.error || result.status === null) return null;
  if (result.status === 0) return { ok: true, byDash };
  // `dash: 1: Syntax error: ...`: the shell's name and line are of the wrapped text, not the playbook's.
  const why = result.stderr.trim().split('\n').at(-1)?.replace(/^[^:]*: (line )?\d+: /, '') ?? '';
  return { ok: false, why: why || `sh -n exited ${result.status}`, byDash };
}
