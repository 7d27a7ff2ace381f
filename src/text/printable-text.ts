/**
 * The characters that act on a terminal or reorder the text around them: the C0 controls (ESC
 * starts a sequence), DEL, the C1 controls (U+009B is a CSI on many terminals), the bidi marks,
 * overrides and isolates, and the line and paragraph separators.
 */
const ACTING_ON_TERMINAL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A text from a file or the command line, safe to print bare in a sentence (a path in brackets, a
 * name a hint repeats): the characters above as `\uXXXX`, everything else as it is, so an ordinary
 * value reads the same. A value shown in quotes goes through printableJson instead, which also
 * escapes quotes and backslashes and so writes back exactly the value it shows.
 */
export function printableText(text: string): string {
  return text.replace(ACTING_ON_TERMINAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
