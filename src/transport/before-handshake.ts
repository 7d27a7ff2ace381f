import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { GridopsError, InterruptedError } from '../errors/index.js';
import { printableValue } from '../text/printable-json.js';
import { noTcpAnswerWithin, timeoutWords } from './connect-timeout-words.js';
import type { ServerGreeting } from './server-greeting.js';

/** A connect failure judged by what the server sent (before-handshake.ts), for its hint (connect-failure-kind.ts). */
export type JudgedFailure = 'not-ssh' | 'silent' | 'slow-handshake' | 'tcp-timeout';

/**
 * ssh2's error for a handshake that failed before it completed, said in gridops' words by what
 * the server sent (server-greeting.ts); undefined where there is nothing more to say:
 * - another service's answer (an HTTP server's `HTTP/1.1 400 Bad Request`): `not an SSH server`,
 *   whatever ssh2 said (the connection lost, a header it could not parse, a timeout). Never
 *   retried (retry.ts): no retry makes it sshd;
 * - ssh2's timeout, with the TCP connect still under way: no answer to it;
 * - ssh2's timeout once TCP is up and nothing came: a port that accepts and says nothing;
 * - ssh2's timeout after the server's identification: a handshake that did not finish.
 * The timeouts keep ssh2's level, and so their retries.
 */
export function beforeHandshake(err: unknown, at: { greeting: ServerGreeting | undefined; sock: Duplex | undefined; host: string; timeoutMs: number }): Error | undefined {
  if (!err || typeof err !== 'object' || err instanceof GridopsError || err instanceof InterruptedError) return undefined;
  const e = err as { level?: unknown };
  if (e.level === 'client-authentication' || e.level === 'agent') return undefined;
  const { greeting } = at;
  const judged = (failure: JudgedFailure, message: string, level = e.level) => Object.assign(new Error(message, { cause: err }), { level, failure });
  if (greeting && !greeting.identified) {
    const line = firstLine(greeting.sent);
    if (line !== undefined) return judged('not-ssh', `not an SSH server (it sent: ${printableValue(line, 80)})`, 'client-socket');
  }
  if (e.level !== 'client-timeout') return undefined;
  const within = `within ${timeoutWords(at.timeoutMs)} (ssh.connectTimeout)`;
  if ((at.sock as Partial<Socket> | undefined)?.connecting === true) {
    return judged('tcp-timeout', isIP(at.host) ? noTcpAnswerWithin(at.timeoutMs) : `no TCP connection ${within}, the lookup of the name included`);
  }
  if (!greeting) return undefined;
  return greeting.identified ? judged('slow-handshake', `the SSH handshake did not finish ${within}`) : judged('silent', `the TCP connection was accepted, but no SSH greeting came ${within}`);
}

/**
 * The first line of what a server sent where it is not SSH's: undefined where nothing came, or
 * where a line is, or may yet become, an `SSH-` identification (a server may send other lines
 * before it, and a read may end inside one).
 */
function firstLine(sent: Buffer): string | undefined {
  const lines = sent.toString('latin1').split(/\r?\n/);
  if (lines.some((l) => l.startsWith('SSH-') || (l !== '' && 'SSH-'.startsWith(l)))) return undefined;
  return lines.find((l) => l.trim() !== '');
}
