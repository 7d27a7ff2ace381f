/**
 * "Never without a super peer", checked from samples of each node's own /status: in every 500 ms
 * window, some member of each sub-grid said it leads.
 *
 * A window with no leader sample is still not a gap when the same node led in the same term on
 * both sides of it: a node leads at most once per term (stepping down and winning again takes a
 * new election, so a new term), so it led throughout and only its sampler went unheard. On two
 * cores an apply's start and its SSH handshakes can starve a sampler for a few hundred ms (a CI
 * run lost one such window). Any other silence, or a change of leader or term across it, counts.
 */

export interface LeaderSample {
  node: string;
  /** When the sample's answer arrived (ms, the host's clock, which the lab's nodes share). */
  at: number;
  role: string;
  /** The sub-grid term the node was in, when the sampler recorded it. */
  term?: number;
}

export const LEADER_WINDOW_MS = 500;

/** The windows of [t0, t1) in which a sub-grid had no leader, described for the test's message. */
export function leaderGaps(samples: readonly LeaderSample[], subgrids: Record<string, readonly string[]>, t0: number, t1: number): string[] {
  const found: string[] = [];
  for (const [subgrid, members] of Object.entries(subgrids)) {
    const leading = samples.filter((s) => members.includes(s.node) && s.role === 'leader').sort((a, b) => a.at - b.at);
    for (let at = t0; at < t1; at += LEADER_WINDOW_MS) {
      const end = at + LEADER_WINDOW_MS;
      if (leading.some((s) => s.at >= at && s.at < end)) continue;
      const before = leading.filter((s) => s.at < at).pop();
      const after = leading.find((s) => s.at >= end);
      if (before !== undefined && after !== undefined && before.node === after.node && before.term !== undefined && before.term === after.term) continue;
      const seen = (s: LeaderSample | undefined) => (s ? `${s.node} term ${s.term ?? '?'} at +${s.at - t0}` : 'none');
      found.push(`${subgrid}: no leader in [+${at - t0}, +${end - t0}) ms (leader before: ${seen(before)}; after: ${seen(after)})`);
    }
  }
  return found;
}

/** The longest time one node's sampler went unheard within [t0, t1), for the test's log line. */
export function longestSilence(samples: readonly LeaderSample[], t0: number, t1: number): string {
  let worst = { node: '-', ms: 0 };
  for (const node of new Set(samples.map((s) => s.node))) {
    const ats = samples.filter((s) => s.node === node && s.at >= t0 && s.at < t1).map((s) => s.at).sort((a, b) => a - b);
    for (let i = 1; i < ats.length; i++) if (ats[i]! - ats[i - 1]! > worst.ms) worst = { node, ms: ats[i]! - ats[i - 1]! };
  }
  return `${worst.ms} ms (${worst.node})`;
}

/**
 * What the agents of `nodes` logged during [t0, t1] about elections, leaders, slow state writes
 * and late ticks, for a test that found gaps to print: a CI failure then says why.
 */
export async function agentLogsDuring(ssh: (node: string, command: string) => Promise<{ stdout: string }>, nodes: readonly string[], t0: number, t1: number): Promise<string> {
  const since = Math.floor(t0 / 1000) - 2;
  const until = Math.ceil(t1 / 1000) + 2;
  const logs = await Promise.all(
    nodes.map(async (node) => {
      const out = (await ssh(node, `journalctl -u gridagent -o cat --no-pager --since @${since} --until @${until} | grep -E 'election|leader|stepped|handover|slow|late|term' | tail -n 40`)).stdout.trim();
      return `--- ${node}\n${out}`;
    }),
  );
  return `agent logs of ${nodes.join(', ')} from ${new Date(t0).toISOString()}:\n${logs.join('\n')}`;
}
