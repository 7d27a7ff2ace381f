import { HostKeyError, InterruptedError, hostProblemOf } from '../errors/index.js';

/**
 * The one error a fan-out ends with when host keys were refused: the refused hosts (one host's own
 * error, or one that lists several), and the hosts of the same run whose connection failed for
 * another reason, each with its message and hint. The run waited for those to settle before
 * stopping; naming them means one run shows what to fix on every host, where the next run would
 * otherwise be the first to say a host is down. A host whose connect an interrupt ended was not
 * judged, so it is not named.
 */
export function refusedKeysError(refused: readonly HostKeyError[], unreached: ReadonlyArray<{ host: string; error: unknown }>): HostKeyError {
  const first = refused[0]!;
  const notReached = unreached.filter(({ error }) => !(error instanceof InterruptedError)).map(({ host, error }) => hostProblemOf(host, error));
  if (refused.length === 1 && notReached.length === 0) return first;
  const host = refused.length === 1 ? first.host : refused.map((e) => e.host).join(', ');
  const refusal = refused.length === 1 ? first.refusal : `${refused.length} host keys refused:\n${refused.map((e) => `  ${e.message}`).join('\n')}`;
  return new HostKeyError(host, refusal, first.hint ?? '', refused.flatMap((e) => e.hosts), notReached);
}
