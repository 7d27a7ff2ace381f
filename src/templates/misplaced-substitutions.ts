import Handlebars from 'handlebars';
import { shellContexts, type ShellContext } from './shell-contexts.js';

/**
 * A command's `{{...}}` becomes one shell word through quote() (substituteCommand), which holds
 * only where the shell reads that word as written: in plain command text. This finds, without
 * rendering, each substitution that stands anywhere else.
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

/** Why each context breaks a quoted value, and what to write instead. */
const WHY: Record<Exclude<ShellContext, 'unquoted'>, { where: string; why: string; hint?: string }> = {
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
  'brace-expansion': { where: 'inside {...}', why: 'a , in the value would split the word in two (brace expansion)', hint: OUTSIDE_QUOTES },
};

/**
 * Stands in for each `{{...}}` in the command text: a name character, since what quote() leaves
 * bare (a name, a number) continues a `$NAME` before it, and the check must see that too.
 */
const STAND_IN = '_';

/**
 * The misplaced substitutions of a command string (`run`, `unless`, `prestop`, a handler's `run`).
 * Expects a string substitutionProblem accepts (text, comments, plain `{{path}}`); others yield none.
 */
export function misplacedSubstitutions(command: string): MisplacedSubstitution[] {
  if (!command.includes('{{')) return [];
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(command);
  } catch {
    return [];
  }
  // The text the shell gets, each substitution one stand-in character: handlebars has already
  // removed its escapes (`\{{`) and whitespace control (`{{~x}}`) from the content's value.
  let shellText = '';
  const substitutions: Array<{ at: number; mustache: hbs.AST.MustacheStatement }> = [];
  for (const statement of ast.body) {
    if (statement.type === 'ContentStatement') shellText += (statement as hbs.AST.ContentStatement).value;
    else if (statement.type === 'MustacheStatement') {
      substitutions.push({ at: shellText.length, mustache: statement as hbs.AST.MustacheStatement });
      shellText += STAND_IN;
    }
  }
  const contexts = shellContexts(shellText);
  const lineStarts = [0, ...[...command.matchAll(/\n/g)].map((m) => m.index! + 1)];
  const found: MisplacedSubstitution[] = [];
  for (const { at, mustache } of substitutions) {
    const context = contexts[at]!;
    if (context === 'unquoted') continue;
    const { start, end } = mustache.loc;
    const offset = lineStarts[start.line - 1]! + start.column;
    const written = command.slice(offset, lineStarts[end.line - 1]! + end.column);
    const { where, why, hint } = WHY[context];
    found.push({ line: start.line, column: start.column + 1, offset, written, message: `${written} stands ${where}, where its shell quoting does not hold: ${why}`, hint: hint ?? OUTSIDE_QUOTES });
  }
  return found;
}
