import { namedFew } from '../named-few.js';
import { plural } from '../plural.js';

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
  const byHint = new Map<string, string[]>();
  for (const u of listed) if (u.hint) byHint.set(u.hint, [...(byHint.get(u.hint) ?? []), u.host]);
  const shared = [...byHint].filter(([, hosts]) => hosts.length > 1);
  const own = (hint: string | undefined) => (hint && byHint.get(hint)!.length === 1 ? `\n      hint: ${hint}` : '');
  const named = listed.map((u) => `\n  ${u.host}: ${u.message}${own(u.hint)}`).join('');
  const hints = shared.map(([hint, hosts]) => `\n  hint for ${namedFew(hosts)}: ${hint}`).join('');
  const more = notReached.length > NAMED_IN_MESSAGE ? `\n  and ${notReached.length - NAMED_IN_MESSAGE} more (each in the error's \`notReached\` under \`--json\`)` : '';
  return `\nalso not reached, ${plural(notReached.length, 'host')} to look at before the next run:${named}${hints}${more}`;
}
