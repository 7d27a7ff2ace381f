import { GridopsError, HostKeyError, InterruptedError, messageUnder } from '../errors/index.js';
import { plural } from '../plural.js';

/** Up to this many hosts not reached are named in the message; `--json`'s `notReached` has each. */
const NAMED_IN_MESSAGE = 10;

/**
 * The one error a fan-out ends with when host keys were refused: the refused hosts (one host's own
 * error, or one that lists several), and the hosts of the same run that could not be reached at
 * all. The run waited for those to settle before stopping; naming them means one run shows what to
 * fix on every host, where the next run would otherwise be the first to say a host is down. A host
 * whose connect an interrupt ended was not judged, so it is not named.
 */
export function refusedKeysError(refused: readonly HostKeyError[], unreached: ReadonlyArray<{ host: string; error: unknown }>): HostKeyError {
  const first = refused[0]!;
  const notReached = unreached
    .filter(({ error }) => !(error instanceof InterruptedError))
    .map(({ host, error }) => {
      const hint = error instanceof GridopsError ? error.hint : undefined;
      return { host, message: messageUnder(host, error instanceof Error ? error.message : String(error)), ...(hint ? { hint } : {}) };
    });
  if (refused.length === 1 && notReached.length === 0) return first;
  const host = refused.length === 1 ? first.host : refused.map((e) => e.host).join(', ');
  const keys = refused.length === 1 ? messageUnder(first.host, first.message) : `${refused.length} host keys refused:\n${refused.map((e) => `  ${e.message}`).join('\n')}`;
  return new HostKeyError(host, `${keys}${notReachedLines(notReached)}`, first.hint ?? '', refused.flatMap((e) => e.hosts), notReached);
}

function notReachedLines(notReached: ReadonlyArray<{ host: string; message: string }>): string {
  if (notReached.length === 0) return '';
  const named = notReached.slice(0, NAMED_IN_MESSAGE).map((u) => `\n  ${u.host}: ${u.message}`).join('');
  const more = notReached.length > NAMED_IN_MESSAGE ? `\n  and ${notReached.length - NAMED_IN_MESSAGE} more (\`--json\` lists each in \`notReached\`)` : '';
  return `\nalso not reached, ${plural(notReached.length, 'host')} to look at before the next run:${named}${more}`;
}
