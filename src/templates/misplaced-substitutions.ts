import type { ShellContext } from './shell-contexts.js';
import { readCommandTemplate } from './command-template.js';
import { reevaluatedSubstitutions, type Reevaluation } from './reevaluated-words.js';

/**
 * A command's `{{...}}` becomes one shell word through quote() (substituteCommand), which holds
 * only where the shell reads that word as written, once: in plain command text, as an argument
 * bash does not evaluate again. This finds, without rendering, each substitution that stands
 * anywhere else: inside quotes or a construct (shell-contexts.ts), or where bash reads the value
 * again as an expression, a variable name or code (reevaluated-words.ts).
 */

/** A `{{...}}` of a command that stands where its quoting does not hold. */
export interface MisplacedSubstitution {
  /** Where the `{{` is in the command: line (1-based) and column (1-based). */
  line: number;
  column: number;
  /** Its offset in the command string, and its text as written (`{{node.labels.rack}}`). */
  offset: number;
  written: string;
  message: string;
  hint: string;
}

const OUTSIDE_QUOTES = 'write it outside any quotes, alone or glued to plain text (echo rack={{node.labels.rack}}): gridops quotes each value as one shell word';

const SUBSCRIPT = 'bash evaluates the value, and an array subscript in it (a[$(cmd)]) runs the command, quotes or not';
const AS_NUMBER = "check it is digits first, then compare it with [ ]: n={{node.labels.size}}; case $n in ''|*[!0-9]*) exit 1;; esac; [ \"$n\" -gt 1 ] (or compare it as a string: [ {{node.labels.size}} = 3 ])";

/** Why each context breaks a quoted value, and what to write instead. */
const WHY: Record<Exclude<ShellContext, 'unquoted'> | Reevaluation, { where: string; why: string; hint?: string }> = {
  'single-quotes': { where: "inside '...'", why: "a ' in the value ends the quotes and the rest runs as shell text" },
  'double-quotes': { where: 'inside "..."', why: 'the quotes gridops adds are literal there, and $(...) or backticks in the value run' },
  'dollar-single-quotes': { where: "inside $'...'", why: 'a \\ or a \' in the value is read as an escape' },
  backticks: { where: 'inside backticks', why: 'a backtick in the value ends them and the rest runs' },
  'command-substitution': { where: 'inside $(...)', why: 'gridops cannot check the quoting of the command within' },
  'parameter-expansion': { where: 'inside ${...}', why: 'shells read quotes inside ${...} differently' },
  'here-document': { where: 'in a here-document', why: 'its text is not split into words: the quotes are literal and $(...) in the value runs', hint: "set a variable first and write $V in the text (V={{node.name}}; cat <<EOF), or pipe the value in (printf '%s\\n' {{node.name}} | cmd)" },
  comment: { where: 'in a comment', why: 'a line break in the value would end the comment and run the rest', hint: 'take it out of the comment' },
  escaped: { where: 'right after a backslash', why: "the backslash escapes the ' that opens the value, which then runs as shell text", hint: 'remove the backslash' },
  parameter: { where: 'right after $ or a $NAME', why: 'a plain value (a name, a number) would become part of the variable name', hint: 'end the variable first: ${NAME}{{node.name}} or "$NAME"{{node.name}}' },
  'tilde-prefix': { where: 'in a ~ prefix', why: 'a plain value would be read as a user name whose home directory replaces it', hint: 'put a / between ~ and it, or write the whole path as a value' },
  arithmetic: { where: 'in an arithmetic expression', why: SUBSCRIPT, hint: AS_NUMBER },
  'double-brackets': { where: 'inside [[ ... ]]', why: `the operands of -eq, -lt... and -v are read as arithmetic or variable names: ${SUBSCRIPT}`, hint: `use [ ] (test), which compares strings and numbers without evaluating them: [ {{node.labels.role}} = web ]; for a number, ${AS_NUMBER}` },
  'variable-name': { where: 'as a variable name (read, printf -v, declare, unset, a declare -n target, test -v)', why: SUBSCRIPT, hint: 'use a fixed variable name, and the value as its value: V={{node.labels.rack}}' },
  reparsed: { where: 'as code a shell parses again (eval, sh -c, alias, trap, su -c, ssh, watch)', why: "the value is parsed again as shell code, where gridops' quotes are gone: a ; or $(...) in it runs", hint: "pass it as an argument of a fixed script instead: sh -c 'printf %s \"$1\"' sh {{node.labels.rack}}; over ssh there is no such way: keep the value out of the remote command" },
  'brace-expansion': { where: 'inside {...}', why: 'a , in the value would split the word in two (brace expansion)', hint: OUTSIDE_QUOTES },
};

/**
 * The misplaced substitutions of a command string (`run`, `unless`, `prestop`, a handler's `run`).
 * Expects a string substitutionProblem accepts (text, comments, plain `{{path}}`); others yield none.
 */
export function misplacedSubstitutions(command: string): MisplacedSubstitution[] {
  if (!command.includes('{{')) return [];
  const read = readCommandTemplate(command);
  if (!read) return [];
  const { contexts, words, substitutions } = read;
  const reevaluated = reevaluatedSubstitutions(words, substitutions.map((s) => s.at));
  const lineStarts = [0, ...[...command.matchAll(/\n/g)].map((m) => m.index! + 1)];
  const found: MisplacedSubstitution[] = [];
  for (const { at, mustache } of substitutions) {
    const context = contexts[at] === 'unquoted' ? reevaluated.get(at) : contexts[at]!;
    if (!context) continue;
    const { start, end } = mustache.loc;
    const offset = lineStarts[start.line - 1]! + start.column;
    const written = command.slice(offset, lineStarts[end.line - 1]! + end.column);
    const { where, why, hint } = WHY[context];
    found.push({ line: start.line, column: start.column + 1, offset, written, message: `${written} stands ${where}, where its shell quoting does not hold: ${why}`, hint: hint ?? OUTSIDE_QUOTES });
  }
  return found;
}
