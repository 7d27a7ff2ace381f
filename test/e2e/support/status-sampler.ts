import type { LeaderSample } from './leader-gaps.js';

/**
 * A process run inside a lab node (`node -e`) that samples its own agent's /status every
 * `everyMs` and prints one JSON line per sample: the sub-grid view the e2e checks read.
 *
 * A failed request is tried once more (the failed connection is gone by then) before the sample says `down`: a
 * keep-alive connection can be closed under a request (a known race of HTTP/1.1 clients, undici's
 * included), and one CI run counted such a failed request as an agent down, while the agent's PID,
 * its log and every other sample said it served throughout. A stopped agent refuses both tries, so
 * it is still seen. The sample names the error, so a `down` explains itself.
 */
export interface StatusSample extends LeaderSample {
  /** The super peer the node names. */
  sp?: string | null;
  /** Alive members, on a super peer. */
  m?: string[];
  /** Super peers in the region registry, on a region peer. */
  rsp?: string[];
  /** region=regionPeer for every region, on a region peer. */
  rg?: string[];
  /** Why the sample is `down`: the request's error, after its retry. */
  error?: string;
}

export function statusSamplerScript(everyMs: number): string {
  const lines = [
    "const url='http://127.0.0.1:7950/status';",
    "const get=()=>fetch(url).then((r)=>{if(!r.ok)throw new Error('HTTP '+r.status);return r.json();});",
    'const names=(list)=>(list||[]).map((x)=>x.name);',
    'const sample=(s)=>({at:Date.now(),role:s.role,term:s.term,sp:s.superPeer,m:(s.members||[]).filter((x)=>x.liveness===\'alive\').map((x)=>x.name),rsp:names(s.regionSuperPeers),rg:(s.regions||[]).map((x)=>x.region+\'=\'+x.regionPeer)});',
    "const why=(e)=>String((e&&e.cause&&(e.cause.code||e.cause.message))||(e&&e.message)||e);",
    "const f=()=>get().catch(()=>get()).then((s)=>console.log(JSON.stringify(sample(s))),(e)=>console.log(JSON.stringify({at:Date.now(),role:'down',error:why(e)})));",
    `setInterval(f,${everyMs});`,
  ];
  return lines.join('');
}

/** The samples a sampler printed, each with its node's name. */
export function parseStatusSamples(node: string, output: string): StatusSample[] {
  return output
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ node, ...(JSON.parse(line) as Omit<StatusSample, 'node'>) }));
}
