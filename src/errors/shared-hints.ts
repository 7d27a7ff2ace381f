/**
 * The hints more than one host gives, each with those hosts in order: a report says such a hint
 * once, naming the hosts, instead of under each (a plan's host errors, a refused key's hosts not
 * reached).
 */
export function sharedHints(problems: ReadonlyArray<{ host: string; hint?: string }>): Map<string, string[]> {
  const byHint = new Map<string, string[]>();
  for (const { host, hint } of problems) {
    if (!hint) continue;
    const hosts = byHint.get(hint);
    if (hosts) hosts.push(host);
    else byHint.set(hint, [host]);
  }
  return new Map([...byHint].filter(([, hosts]) => hosts.length > 1));
}
