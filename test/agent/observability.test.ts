import { get } from 'node:http';
import type { AgentStatus } from '../../src/agent/core/agent.js';
import { startHttpServer, stopHttpServer } from '../../src/agent/runtime/http-server.js';
import { memberRows, renderMembers } from '../../src/agent/runtime/members-command.js';
import { Metrics } from '../../src/agent/runtime/metrics.js';
import { defineProcessMetrics } from '../../src/agent/runtime/process-metrics.js';
import { checkTopologyText } from '../../src/topology/load.js';

const fetchText = (url: string) =>
  new Promise<string>((resolve, reject) => get(url, (r) => {
    let body = '';
    r.on('data', (d: Buffer) => (body += d.toString()));
    r.on('end', () => resolve(body));
  }).on('error', reject));

describe('agent observability', () => {
  it('/metrics carries gridagent_build_info and the standard process metrics, in the text format', async () => {
    const metrics = new Metrics();
    metrics.info('gridagent_build_info', 'version; value 1.', { version: '0.1.0', nodejs: process.version, node: 'n1', region: 'r"1', subgrid: 's1' });
    defineProcessMetrics(metrics);
    const server = await startHttpServer('127.0.0.1', 0, { status: () => ({}), metrics: () => metrics.render() });
    try {
      const port = (server.address() as { port: number }).port;
      const text = await fetchText(`http://127.0.0.1:${port}/metrics`);
      expect(text).toContain(`gridagent_build_info{node="n1",nodejs="${process.version}",region="r\\"1",subgrid="s1",version="0.1.0"} 1\n`);
      expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)![1]);
      // The metric is read when /metrics is served and compared a moment later: a jest worker of
      // several hundred MB moves by tens of MB in between (a GC, the suite's other tests), so the
      // check is that it is this process's RSS, within 10%, not a fixed 5 MB.
      const rss = process.memoryUsage.rss();
      expect(Math.abs(value('process_resident_memory_bytes') - rss)).toBeLessThan(rss * 0.1);
      expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(value('process_open_fds')).toBeGreaterThan(2);
      expect(value('process_max_fds')).toBeGreaterThanOrEqual(value('process_open_fds'));
      expect(Math.abs(value('process_start_time_seconds') - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
    } finally {
      await stopHttpServer(server);
    }
  });

  const status = (over: Partial<AgentStatus>): AgentStatus => ({
    node: 'n1', region: 'r1', subgrid: 's1', incarnation: 1, score: 10, role: 'leader', term: 4, superPeer: 'n1', mirrors: ['n2'],
    members: [
      { name: 'n1', liveness: 'alive', score: 10, load: 0.2, incarnation: 1, cores: 8, memoryMiB: 16000, arch: 'x86_64', labels: { gpu: 'true' } },
      { name: 'n2', liveness: 'alive', score: 8, load: 0.1, incarnation: 1 },
      { name: 'n3', liveness: 'suspect', score: 5, load: 0.9, incarnation: 2 },
    ],
    regionRole: 'member', regionTerm: 1, regionPeer: 'n1', regionSuperPeers: [], ...over,
  }) as AgentStatus;

  it('gridagent members: a row per member with its liveness and role, like consul members', () => {
    expect(memberRows(status({})).map((r) => [r.node, r.status, r.role])).toEqual([['n1', 'alive', 'super-peer'], ['n2', 'alive', 'mirror'], ['n3', 'suspect', 'member']]);
    const lines = renderMembers(status({})).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Node\s+Status\s+Role\s+Score\s+Load\s+Cores\s+Memory\s+Arch\s+Labels$/);
    expect(lines[1]).toMatch(/^n1\s+alive\s+super-peer\s+10\s+0\.2\s+8\s+16000 MiB\s+x86_64\s+gpu=true$/);
    expect(lines[3]).toMatch(/^n3\s+suspect\s+member\s+5\s+0\.9$/);
  });

  it('on a plain member, which holds no registry, says where the list lives', () => {
    expect(renderMembers(status({ node: 'n3', role: 'member', members: [] }))).toContain('n3 is a member of sub-grid r1/s1; the member list is held by its super peer n1 and mirrors n2');
  });

  it('agent.httpAddress must be an IP address, with a hint', () => {
    const text = (address: string) => `apiVersion: gridops/v1\nkind: Grid\nmetadata: { name: g }\ndefaults: { agent: { httpAddress: "${address}" } }\nregions: [{ name: r1, regionPeerName: r.example.org, subgrids: [{ name: s1, nodes: [{ name: n1, address: 10.0.0.1 }] }] }]\n`;
    expect(checkTopologyText('t.yaml', text('0.0.0.0')).grid!.regions[0]!.subgrids[0]!.nodes[0]!.settings.agent.httpAddress).toBe('0.0.0.0');
    const bad = checkTopologyText('t.yaml', text('my-host'));
    expect(bad.problems).toEqual([expect.objectContaining({ line: 4, message: 'httpAddress: "my-host" is not an IP address', hint: expect.stringContaining('0.0.0.0') })]);
  });
});
