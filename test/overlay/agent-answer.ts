/** What the recording transport matches for gridops' question to an agent (statusRequest). */
export const ASK_AGENT = /GET \/status HTTP/;

/** The agent's HTTP answer to that question, with `json` (its /status view) as the body. */
export function agentAnswer(json: string): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nConnection: close\r\n\r\n${json}\n`;
}
