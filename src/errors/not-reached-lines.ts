import { namedFew } from '../named-few.js';
import { plural } from '../plural.js';
import { sharedHints } from './shared-hints.js';

/** Up to this many hosts not reached are named in a message; `--json`'s `notReached` has each. */
const NAMED_IN_MESSAGE = 10;

/**
 * The section of a refused host key's message (HostKeyError) on the hosts of the same run that
 * were not reached: each under its name with its own hint, indented as a plan shows a host's, so
 * that the hint printed after the message reads as the key's. A hint several of them share is said
 * once after them, naming them, as a plan says one (plan/render.ts). Empty where there are none.
 */
export function notReachedLines(notReached: ReadonlyArray<{ host: string; message: string; hint?: string }>): string {
  if (notReached.length === 0) return '';
  const listed = notReached.slice(0, NAMED_IN_MESSAGE);
  const shared = sharedHints(listed);
  const named = listed.map((u) => `\n  ${u.host}: ${u.message}${u.hint && !shared.has(u.hint) ? `\n      hint: ${u.hint}` : ''}`).join('');
  const hints = [...shared].map(([hint, hosts]) => `\n  hint for ${namedFew(hosts)}: ${hint}`).join('');
  const more = notReached.length > NAMED_IN_MESSAGE ? `\n  and ${notReached.length - NAMED_IN_MESSAGE} more (each in the error's \`notReached\` under \`--json\`)` : '';
  return `\nalso not reached, ${plural(notReached.length, 'host')} to look at before the next run:${named}${hints}${more}`;
}
