import { GridopsError, messageUnder } from '../errors/index.js';
import type { UnreachableHost } from '../transport/fleet.js';

/** Up to this many hosts that fail for the same reason each get a line of their own while connecting. */
const SAID_ONE_BY_ONE = 3;

/**
 * The lines said while connecting about hosts that could not be reached. Hosts that fail for the
 * same reason (the same hint, and the same message but for the host: 50 hosts that all refuse the
 * key) get one line that names a few and gives the first one's message, where a line each said the
 * same thing 50 times; the plan or the report that follows still lists every host with its own message.
 */
export function unreachableLines(unreachable: readonly UnreachableHost[]): string[] {
  const byReason = new Map<string, UnreachableHost[]>();
  unreachable.forEach((u, i) => {
    const reason = reasonOf(u) ?? `#${i}`;
    const group = byReason.get(reason);
    if (group) group.push(u);
    else byReason.set(reason, [u]);
  });
  const lines: string[] = [];
  for (const group of byReason.values()) {
    const said = (u: UnreachableHost) => `${u.node.name}: unreachable: ${messageUnder(u.node.name, u.error.message)}`;
    if (group.length <= SAID_ONE_BY_ONE) {
      lines.push(...group.map(said));
      continue;
    }
    const names = group.slice(0, SAID_ONE_BY_ONE).map((u) => u.node.name).join(', ');
    lines.push(`${group.length} hosts unreachable for the same reason (${names} and ${group.length - SAID_ONE_BY_ONE} more; each is listed below), the first: ${said(group[0]!)}`);
  }
  return lines;
}

/**
 * What makes two hosts' failures the same: the hint and the message with the host's own name and
 * address taken out (a refused connection and a timeout share a hint, not a message). None for an
 * error without a hint: nothing says two of those are alike.
 */
function reasonOf(u: UnreachableHost): string | undefined {
  if (!(u.error instanceof GridopsError) || !u.error.hint) return undefined;
  let message = messageUnder(u.node.name, u.error.message);
  if (u.node.address) message = message.split(u.node.address).join('HOST');
  return `${u.error.hint}\n${message}`;
}
