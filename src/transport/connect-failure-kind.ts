import type { JudgedFailure } from './before-handshake.js';
import { isNoRouteError, isRefusedConnectError } from './retry.js';
import { isUnansweredConnect } from './unanswered-connect.js';

/** Why a connect failed, as far as its hint goes (ssh-connect-error.ts gives each its own). */
export type ConnectFailureKind = JudgedFailure | 'refused' | 'no-route' | 'dns' | 'dropped' | 'other';

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);

/** The kind of a connect error: ssh2's, the system's, or one judged by what the server sent (before-handshake.ts). */
export function connectFailureKind(err: unknown): ConnectFailureKind {
  const e = (err ?? {}) as { failure?: unknown; code?: unknown; level?: unknown; message?: unknown };
  if (isUnansweredConnect(err)) return 'tcp-timeout';
  if (typeof e.failure === 'string') return e.failure as JudgedFailure;
  if (isRefusedConnectError(err)) return 'refused';
  if (isNoRouteError(err)) return 'no-route';
  if ((typeof e.code === 'string' && DNS_CODES.has(e.code)) || e.level === 'client-dns') return 'dns';
  if (typeof e.message === 'string' && /Connection lost before handshake/.test(e.message)) return 'dropped';
  return 'other';
}
