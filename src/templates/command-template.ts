import Handlebars from 'handlebars';
import { commandWords, type CommandWord } from './command-words.js';
import { shellContexts, type ShellContext } from './shell-contexts.js';

/**
 * Stands in for each `{{...}}` in the command text: a name character, since what quote() leaves
 * bare (a name, a number) continues a `$NAME` before it, and the checks must see that too.
 */
const STAND_IN = '_';

/** A command string (`run`, `unless`, `prestop`, a handler's `run`) as the shell will read it, each `{{...}}` one stand-in character. */
export interface CommandTemplate {
  shellText: string;
  contexts: ShellContext[];
  words: CommandWord[][];
  /** Each `{{...}}` in order: its stand-in's offset in shellText, and its statement. */
  substitutions: Array<{ at: number; mustache: hbs.AST.MustacheStatement }>;
}

/** Reads a command string that substitutionProblem accepts (text, comments, plain `{{path}}`); null for any other. */
export function readCommandTemplate(command: string): CommandTemplate | null {
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(command);
  } catch {
    return null;
  }
  // handlebars has already removed its escapes (`\{{`) and whitespace control (`{{~x}}`) from the content's value.
  let shellText = '';
  const substitutions: CommandTemplate['substitutions'] = [];
  for (const statement of ast.body) {
    if (statement.type === 'ContentStatement') shellText += (statement as hbs.AST.ContentStatement).value;
    else if (statement.type === 'MustacheStatement') {
      substitutions.push({ at: shellText.length, mustache: statement as hbs.AST.MustacheStatement });
      shellText += STAND_IN;
    } else if (statement.type !== 'CommentStatement') return null;
  }
  const contexts = shellContexts(shellText);
  return { shellText, contexts, words: commandWords(shellText, contexts), substitutions };
}
