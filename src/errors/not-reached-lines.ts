import { plural } from '../plural.js';

/** Up to this many hosts not reached are named in a message; `--json`'s `notReached` has each. */
const NAMED_IN_MESSAGE = 10;

/**
 * The section of a refused host key's message (HostKeyError) on the hosts of the same run that
 * were not reached: each under its name with its own hint, indented as a plan shows a host's, so
 * that the hint printed after the message reads as the key's. Empty where there are none.
 */
export function notReachedLines(notReached: ReadonlyArray<{ host: string; message: string; hint?: string }>): string {
  if (notReached.length === 0) return '';
  const named = notReached.slice(0, NAMED_IN_MESSAGE).map((u) => `\n  ${u.host}: ${u.message}${u.hint ? `\n      hint: ${u.hint}` : ''}`).join('');
  const more = notReached.length > NAMED_IN_MESSAGE ? `\n  and ${notReached.length - NAMED_IN_MESSAGE} more (each in the error's \`notReached\` under \`--json\`)` : '';
  return `\nalso not reached, ${plural(notReached.length, 'host')} to look at before the next run:${named}${more}`;
}
