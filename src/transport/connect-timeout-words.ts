/** ssh.connectTimeout in a sentence ("within 10 s", "within 1500 ms"). */
export function timeoutWords(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** A connect no TCP stack answered, said alike wherever it is judged (unanswered-connect.ts, before-handshake.ts). */
export function noTcpAnswerWithin(ms: number): string {
  return `no answer to the TCP connect within ${timeoutWords(ms)} (ssh.connectTimeout)`;
}

/** ssh.connectTimeout as the topology writes it (`10s`, `1500ms`), for a hint that names the value in force. */
export function timeoutSetting(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
