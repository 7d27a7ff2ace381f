import type { TSchema } from '@sinclair/typebox';
import type { ValueError } from '@sinclair/typebox/value';
import { fieldPath } from './field-path.js';
import { printableValue } from '../text/printable-json.js';

/**
 * One TypeBox error (the first of Value.Errors) as the sentence every gridops check of a file's
 * shape ends with: `FIELD must be WHAT, not VALUE`, `FIELD is missing (WHAT)`, or `it must be WHAT,
 * not VALUE` for the whole document. The caller says which file it is and what to do next.
 * It lives with gridagent, beside fieldPath, for the reason fieldPath does: the agent's state-file
 * check uses it, and the agent imports nothing of the CLI, while the CLI's checks may import it.
 */
export function valueErrorSentence(error: Pick<ValueError, 'path' | 'schema' | 'value'>): string {
  const field = fieldPath(error.path);
  const what = expected(error.schema);
  if (field === '') return `it must be ${what}, not ${printableValue(error.value)}`;
  // JSON has no undefined: a field that reads as undefined is one the file does not have.
  if (error.value === undefined) return `${field} is missing (${what})`;
  return `${field} must be ${what}, not ${printableValue(error.value)}`;
}

const TYPE_IN_WORDS: Record<string, string> = { string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', array: 'a list', object: 'an object', null: 'null' };

/** What a field should be: its schema's description where it has one (`a count`), else read from the schema itself. */
function expected(schema: TSchema): string {
  if (typeof schema.description === 'string') return schema.description;
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf as TSchema[];
    if (branches.every((branch) => 'const' in branch)) return `one of ${branches.map((branch) => JSON.stringify(branch.const)).join(', ')}`;
    return branches.map(expected).join(' or ');
  }
  return TYPE_IN_WORDS[String(schema.type)] ?? 'another value';
}
