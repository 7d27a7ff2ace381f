#!/usr/bin/env node
// gridagent failover measured on real nodes (issue 14): a 6-container lab (2 sub-grids of 3 nodes,
// systemd in every node, the agent deployed by a plain `gridops apply`), every node polling its own
// agent's /status every 100 ms, then:
//   kill    SIGKILL of a super peer (systemd restarts it): time until every survivor of its sub-grid
//           names the same new super peer, which says leader; then rejoin: time from the restarted
//           process's start until its super peer lists it alive with its new incarnation
//   cut     a super peer's link to the bridge set down for 6 s: time until every other node of its
//           sub-grid names the same new super peer (and when the cut-off one stopped saying leader)
//   region  SIGKILL of the region peer: time until every live super peer names the same new region
//           peer, which says leader
//   soak    a CPU burner (2 busy loops) in every node, no fault: leader changes and leaderless samples
//   hostile 1000 unauthenticated TCP connections plus 1M forged UDP datagrams at a super peer (the
//           magic, version 2, a JSON-looking body and a guessed MAC, so that each one reaches the MAC
//           check unless the agent's limits stop it: src/agent/runtime/datagram-intake.ts): its RSS
//           before/during/after, the drop counters and late ticks from /metrics, and leader changes meanwhile
// Run as root after `npm run build`, under the shared measurement lock:
//   flock /work/notes/measure.lock npm run bench -- agent-lab [--kills 10] [--cuts 10] [--region 6] [--soak-min 10]
//   [--only kill,cut,region,soak,hostile] [--datagrams 1000000] [--dir /tmp/agent-lab] [--keep] [--json FILE]
// --kills, --cuts and --region take a whole number of 1 or more (else exit 64).
// The lab is taken down at the end unless --keep (a kept lab is reused by the next run).
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { benchFlagsOrExit } from './lib/bench-flags.js';
import { repetitionsFlag } from './lib/repetitions-flag.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { labUp, labDown, sshArgs } = await import('../dist/lab/lab.js');
const { readState } = await import('../dist/lab/state.js');

const flags = benchFlagsOrExit('agent-lab', process.argv.slice(2));
const opt = (name, fallback) => (flags.has(name) ? flags.get(name) : fallback);
let kills;
let cuts;
let regionKills;
try {
  kills = repetitionsFlag(flags, 'kills', 10);
  cuts = repetitionsFlag(flags, 'cuts', 10);
  regionKills = repetitionsFlag(flags, 'region', 6);
} catch (err) {
  console.error(`bench/agent-lab: ${err.message}`);
  process.exit(64);
}
const soakMinutes = Number(opt('soak-min', 2));
const datagrams = Number(opt('datagrams', 1_000_000));
const only = new Set(opt('only', 'kill,cut,region,soak,hostile').split(','));
const dir = opt('dir', '/tmp/agent-lab');
const keep = flags.has('keep');
const jsonOut = opt('json', null);
if (process.getuid?.() !== 0) {
  console.error('bench/agent-lab.js needs root (it builds a real container lab)');
  process.exit(1);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
const log = (...parts) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);
const stats = (values) => {
  const xs = values.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return { n: 0, missing: values.length };
  const at = (q) => xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
  return { n: xs.length, missing: values.length - xs.length, min: xs[0], p50: at(0.5), p99: at(0.99), max: xs[xs.length - 1] };
};
const fmt = (d) => (d.n === 0 ? `none (${d.missing} missing)` : `min ${(d.min / 1000).toFixed(2)} / median ${(d.p50 / 1000).toFixed(2)} / p99 ${(d.p99 / 1000).toFixed(2)} / max ${(d.max / 1000).toFixed(2)} s (n=${d.n}${d.missing ? `, ${d.missing} never` : ''})`);

// ---- the lab -------------------------------------------------------------------------------------

log('lab up', dir, '|', uptime());
const up = await labUp({ kind: 'container', nodes: 6, subgrids: 2, regions: 1, dir });
// Fresh nodes: forget what an earlier run of this lab directory applied, or the plan would take
// them for nodes that already run agents and give them no first-bootstrap electorate.
if (!up.reused) rmSync(join(dir, '.gridops'), { recursive: true, force: true });
const state = readState(dir);
const nodes = up.nodes.map((n) => n.name);
const subgridOf = Object.fromEntries(up.nodes.map((n) => [n.name, n.subgrid]));
const addressOf = Object.fromEntries(up.nodes.map((n) => [n.name, n.address]));
const linkOf = Object.fromEntries(state.nodes.map((n) => [n.name, n.link]));
const ssh = (node, command, timeoutMs = 30_000) => {
  const r = spawnSync('ssh', sshArgs(state, addressOf[node], command), { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
};
const gridops = (argv, timeoutMs) => spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...argv], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });

const results = { lab: { dir, nodes: nodes.length }, uptime: { start: uptime() } };
try {
  log('apply (plain: node-base, qos, agent)');
  const apply = gridops(['apply', up.topology, '--yes'], 600_000);
  if (apply.status !== 0) throw new Error(`apply failed (${apply.status}):\n${apply.stdout}\n${apply.stderr}`);
  log((apply.stdout.match(/Overlay: .*/) ?? ['overlay: ?'])[0]);

  // ---- sampling: every node polls its own /status every 100 ms ---------------------------------
  const sampler =
    "const f=()=>fetch('http://127.0.0.1:7950/status',{signal:AbortSignal.timeout(900)}).then((r)=>r.json()).then((s)=>console.log(JSON.stringify({t:Date.now(),r:s.role,sp:s.superPeer,term:s.term,rr:s.regionRole,rp:s.regionPeer,e:s.epoch,h:s.localHealth?.score??0,m:s.role==='leader'?s.members.map((x)=>[x.name,x.liveness,x.incarnation]):undefined}))).catch(()=>console.log(JSON.stringify({t:Date.now(),r:'down'})));setInterval(f,100)";
  const startSamplers = () => {
    for (const n of nodes) {
      ssh(n, `systemctl stop gridops-sampler 2>/dev/null; systemctl reset-failed gridops-sampler 2>/dev/null; rm -f /root/samples; systemd-run -q --unit=gridops-sampler -p CPUWeight=1000 -p Nice=-10 -p StandardOutput=file:/root/samples node -e ${JSON.stringify(sampler)}`);
    }
  };
  const readSamples = (n) =>
    ssh(n, 'cat /root/samples', 60_000)
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => {
        try {
          return { node: n, ...JSON.parse(line) };
        } catch {
          return null;
        }
      })
      .filter(Boolean);
  const allSamples = () => nodes.flatMap(readSamples).sort((a, b) => a.t - b.t);
  startSamplers();
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(250)) {
    if (nodes.every((n) => Number(ssh(n, 'wc -l < /root/samples 2>/dev/null || echo 0').stdout.trim()) > 0)) break;
  }

  /** The latest sample of each node at time t. */
  const snapshotAt = (samples, t) => {
    const latest = {};
    for (const s of samples) if (s.t <= t) latest[s.node] = s;
    return latest;
  };
  const current = () => {
    const latest = {};
    for (const n of nodes) {
      const line = ssh(n, 'tail -n 1 /root/samples').stdout.trim();
      try {
        latest[n] = JSON.parse(line);
      } catch {
        latest[n] = { r: 'down' };
      }
    }
    return latest;
  };
  const superPeerOf = (latest, subgrid) => nodes.find((n) => subgridOf[n] === subgrid && latest[n]?.r === 'leader');
  const regionPeerOf = (latest) => nodes.find((n) => latest[n]?.rr === 'leader');
  /** Waits until every sub-grid has one super peer named by all its nodes, and the region one region peer named by every super peer. */
  const settled = async (timeoutMs = 30_000) => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(500)) {
      const latest = current();
      const ok = [...new Set(Object.values(subgridOf))].every((g) => {
        const sp = superPeerOf(latest, g);
        return sp !== undefined && nodes.filter((n) => subgridOf[n] === g).every((n) => latest[n]?.sp === sp && latest[n]?.r !== 'down');
      });
      const rp = regionPeerOf(latest);
      const sps = nodes.filter((n) => latest[n]?.r === 'leader');
      if (ok && rp !== undefined && sps.every((n) => latest[n].rp === rp)) return latest;
    }
    throw new Error('the overlay did not settle within 30 s');
  };

  /** First time >= from at which every node in `who` names `name` (via key) and `name` says leader. */
  const agreedAt = (samples, from, who, key, leaderKey, exclude) => {
    const latest = {};
    for (const s of samples) {
      latest[s.node] = s;
      if (s.t < from) continue;
      const named = who.map((n) => latest[n]?.[key]);
      const first = named[0];
      if (first === null || first === undefined || first === exclude) continue;
      if (!named.every((x) => x === first)) continue;
      if (latest[first]?.[leaderKey] !== 'leader') continue;
      return { at: s.t, name: first };
    }
    return null;
  };

  /** The real start time (ms) of a node's agent process: /proc/PID/stat against /proc/uptime, 10 ms resolution. */
  const processStart = (n) => {
    const out = ssh(n, 'pid=$(systemctl show -p MainPID --value gridagent); read up _ < /proc/uptime; now=$(date +%s%N); echo $pid $up $now $(cut -d" " -f22 /proc/$pid/stat) $(getconf CLK_TCK)').stdout.trim().split(/\s+/).map(Number);
    const [pid, upSeconds, nowNs, startTicks, hz] = out;
    if (!pid) return null;
    return nowNs / 1e6 - (upSeconds - startTicks / hz) * 1000;
  };

  // ---- SIGKILL of super peers --------------------------------------------------------------------
  const faultRounds = async (kind, rounds) => {
    const agreement = [];
    const stoppedLeading = [];
    const rejoin = [];
    for (let round = 0; round < rounds; round++) {
      const before = await settled();
      const subgrid = round % 2 === 0 ? 'subgrid-1' : 'subgrid-2';
      const regionRound = kind === 'region';
      const victim = regionRound ? regionPeerOf(before) : superPeerOf(before, subgrid);
      const victimSubgrid = subgridOf[victim];
      let t0 = Date.now();
      if (kind === 'cut') {
        spawnSync('ip', ['link', 'set', 'dev', linkOf[victim], 'down']);
        await sleep(6_000);
        spawnSync('ip', ['link', 'set', 'dev', linkOf[victim], 'up']);
        await sleep(3_000);
      } else {
        // The kill's own moment, taken in the node (an ssh round trip takes 0.3 s or more on a loaded machine),
        // just before the shell's own kill: `systemctl kill` took up to 0.1 s more (a D-Bus round trip on a
        // loaded node) between the timestamp and the signal, and that time counted as failover time.
        t0 = Number(ssh(victim, 'pid=$(systemctl show -p MainPID --value gridagent); date +%s%N; kill -KILL "$pid"').stdout.trim().split('\n')[0]) / 1e6;
        await sleep(5_000);
      }
      const samples = allSamples();
      const survivors = nodes.filter((n) => n !== victim && subgridOf[n] === victimSubgrid);
      const sp = agreedAt(samples, t0, survivors, 'sp', 'r', victim);
      let line = `${kind} ${round + 1}/${rounds}: ${victim}`;
      if (regionRound) {
        // Every live super peer (the victim's successor included) names the new region peer.
        const latest = {};
        let found = null;
        for (const s of samples) {
          latest[s.node] = s;
          if (s.t < t0 || found) continue;
          const sps = nodes.filter((n) => n !== victim && latest[n]?.r === 'leader');
          if (sps.length !== 2) continue;
          const rp = latest[sps[0]].rp;
          if (rp && rp !== victim && sps.every((n) => latest[n].rp === rp) && latest[rp]?.rr === 'leader') found = { at: s.t, name: rp };
        }
        agreement.push(found ? found.at - t0 : null);
        line += ` -> region peer ${found?.name ?? 'NONE'} after ${found ? found.at - t0 : '?'} ms; super peer ${sp?.name ?? 'NONE'} after ${sp ? sp.at - t0 : '?'} ms`;
        stoppedLeading.push(sp ? sp.at - t0 : null);
      } else {
        agreement.push(sp ? sp.at - t0 : null);
        line += ` -> ${sp?.name ?? 'NONE'} after ${sp ? sp.at - t0 : '?'} ms`;
      }
      if (kind === 'cut') {
        const own = samples.filter((s) => s.node === victim && s.t >= t0);
        const last = own.filter((s) => s.r === 'leader' && s.term === before[victim].term).pop();
        stoppedLeading.push(last ? last.t - t0 : 0);
        line += `; the cut-off one last said leader at +${last ? last.t - t0 : 0} ms`;
      }
      if (kind === 'kill') {
        // Rejoin: from the new process's start until its super peer lists its new incarnation alive.
        const started = processStart(victim);
        const newEpoch = samples.filter((s) => s.node === victim && s.e !== undefined).pop()?.e;
        const listed = samples.find((s) => s.t >= (started ?? t0) && s.r === 'leader' && subgridOf[s.node] === victimSubgrid && s.m?.some(([name, liveness, inc]) => name === victim && liveness === 'alive' && inc === newEpoch));
        rejoin.push(started !== null && listed ? listed.t - started : null);
        line += `; rejoined ${started !== null && listed ? listed.t - started : '?'} ms after its process started (${started !== null ? Math.round(started - t0) : '?'} ms after the kill)`;
      }
      log(line);
      await sleep(1_000);
    }
    return { agreement, stoppedLeading, rejoin };
  };

  if (only.has('kill')) {
    const u0 = uptime();
    const r = await faultRounds('kill', kills);
    results.kill = { uptimeBefore: u0, uptimeAfter: uptime(), newSuperPeerAgreed: stats(r.agreement), rejoinAfterProcessStart: stats(r.rejoin), raw: r };
    log(`SIGKILL super peer -> every survivor names the new one: ${fmt(results.kill.newSuperPeerAgreed)}`);
    log(`rejoin after the restarted process's start: ${fmt(results.kill.rejoinAfterProcessStart)}`);
  }
  if (only.has('cut')) {
    const u0 = uptime();
    const r = await faultRounds('cut', cuts);
    results.cut = { uptimeBefore: u0, uptimeAfter: uptime(), newSuperPeerAgreed: stats(r.agreement), cutOffStoppedLeading: stats(r.stoppedLeading), raw: r };
    log(`network cut of the super peer -> every other node names the new one: ${fmt(results.cut.newSuperPeerAgreed)}`);
    log(`the cut-off super peer last said leader: ${fmt(results.cut.cutOffStoppedLeading)}`);
  }
  if (only.has('region')) {
    const u0 = uptime();
    const r = await faultRounds('region', regionKills);
    results.region = { uptimeBefore: u0, uptimeAfter: uptime(), newRegionPeerAgreed: stats(r.agreement), newSuperPeerAgreed: stats(r.stoppedLeading), raw: r };
    log(`SIGKILL region peer -> every super peer names the new region peer: ${fmt(results.region.newRegionPeerAgreed)}`);
  }

  // ---- a count of leader changes and leaderless samples over a window ------------------------------
  const calmness = (samples, from, to) => {
    let leaderless = 0;
    let changes = 0;
    let down = 0;
    const lastNamed = {};
    for (const s of samples) {
      if (s.t < from || s.t > to) continue;
      if (s.r === 'down') {
        down++;
        continue;
      }
      if (s.sp === null || s.sp === undefined) leaderless++;
      else if (lastNamed[s.node] !== undefined && lastNamed[s.node] !== s.sp) changes++;
      if (s.sp) lastNamed[s.node] = s.sp;
    }
    const terms = {};
    for (const s of samples) if (s.t >= from && s.t <= to && s.r === 'leader') (terms[subgridOf[s.node]] ??= new Set()).add(`${s.node}@${s.term}`);
    return { samples: samples.filter((s) => s.t >= from && s.t <= to).length, leaderless, leaderChanges: changes, unanswered: down, leaderships: Object.fromEntries(Object.entries(terms).map(([g, set]) => [g, [...set]])) };
  };
  const metricsOf = (n) => ssh(n, `node -e ${JSON.stringify("fetch('http://127.0.0.1:7950/metrics').then((r)=>r.text()).then((t)=>process.stdout.write(t))")}`).stdout;
  const metric = (text, name) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(name))
      .map((line) => line.split(' '))
      .reduce((acc, [key, value]) => ({ ...acc, [key]: Number(value) }), {});

  if (only.has('soak')) {
    await settled();
    startSamplers();
    await sleep(2_000);
    const u0 = uptime();
    for (const n of nodes) ssh(n, "systemd-run -q --unit=gridops-burn sh -c 'for i in 1 2; do (while :; do :; done) & done; wait'");
    const from = Date.now();
    log(`soak: a CPU burner (2 busy loops) in every node for ${soakMinutes} min, no fault | ${u0}`);
    await sleep(soakMinutes * 60_000);
    const to = Date.now();
    const uMid = uptime();
    for (const n of nodes) ssh(n, 'systemctl stop gridops-burn');
    const samples = allSamples();
    const late = Object.fromEntries(nodes.map((n) => [n, metric(metricsOf(n), 'gridagent_late_ticks_total')]));
    results.soak = { minutes: soakMinutes, uptimeBefore: u0, uptimeDuring: uMid, ...calmness(samples, from, to), lateTicks: late };
    log(`soak: ${results.soak.samples} samples, ${results.soak.leaderChanges} leader changes, ${results.soak.leaderless} leaderless samples, ${results.soak.unanswered} unanswered | ${uMid}`);
  }

  if (only.has('hostile')) {
    const before = await settled();
    startSamplers();
    await sleep(1_000);
    // The super peer: the node whose late ticks cost the sub-grid an election.
    const target = superPeerOf(before, 'subgrid-1');
    const lateTicks = () => metric(metricsOf(target), 'gridagent_late_ticks_total')['gridagent_late_ticks_total'];
    const lateBefore = lateTicks();
    const rss = () => metric(metricsOf(target), 'process_resident_memory_bytes')['process_resident_memory_bytes'];
    const u0 = uptime();
    const rssBefore = rss();
    const from = Date.now();
    // 1000 unauthenticated TCP connections, each announcing a 4 MiB frame and sending 64 KiB of it.
    const sockets = [];
    let refused = 0;
    await Promise.all(
      Array.from({ length: 1000 }, () =>
        new Promise((resolve) => {
          const socket = connect({ host: addressOf[target], port: 7946 });
          sockets.push(socket);
          socket.on('error', () => {
            refused++;
            resolve();
          });
          socket.on('connect', () => {
            const header = Buffer.alloc(4);
            header.writeUInt32BE(4 * 1024 * 1024);
            socket.write(Buffer.concat([header, randomBytes(65536)]), () => resolve());
          });
          socket.on('close', () => resolve());
          setTimeout(resolve, 5_000);
        }),
      ),
    );
    await sleep(1_000);
    const rssDuringTcp = rss();
    // Forged datagrams: random bytes would be dropped on their first byte (badMagic) and test nothing.
    const udp = createSocket('udp4');
    const forge = (bytes) => {
      const packet = randomBytes(bytes);
      packet.write('GA\x02\x00', 0, 'latin1');
      packet[20] = 0x7b; // '{': the payload of every message is a JSON object
      packet[bytes - 17] = 0x7d; // '}', before the 16-byte MAC
      return packet;
    };
    const junk = Array.from({ length: 64 }, (_, i) => forge(64 + i * 16));
    let sent = 0;
    const sendStarted = Date.now();
    while (sent < datagrams) {
      await new Promise((resolve) => {
        let pending = 0;
        for (let i = 0; i < 1000; i++, sent++) {
          pending++;
          udp.send(junk[sent % junk.length], 7946, addressOf[target], () => {
            if (--pending === 0) resolve();
          });
        }
      });
    }
    const sendMs = Date.now() - sendStarted;
    const rssDuringUdp = rss();
    udp.close();
    for (const socket of sockets) socket.destroy();
    await sleep(12_000);
    const rssAfter = rss();
    const to = Date.now();
    const drops = metric(metricsOf(target), 'gridagent_dropped_total');
    const samples = allSamples();
    results.hostile = {
      target,
      uptimeBefore: u0,
      uptimeAfter: uptime(),
      connectionsOpened: 1000 - refused,
      connectionsRefusedAtConnect: refused,
      datagrams: sent,
      datagramSendMs: sendMs,
      rssMiB: { before: rssBefore / 1048576, duringTcp: rssDuringTcp / 1048576, duringUdp: rssDuringUdp / 1048576, after: rssAfter / 1048576 },
      drops,
      lateTicks: lateTicks() - lateBefore,
      ...calmness(samples, from, to),
    };
    log(`hostile: RSS ${[rssBefore, rssDuringTcp, rssDuringUdp, rssAfter].map((x) => (x / 1048576).toFixed(1)).join(' -> ')} MiB; drops ${JSON.stringify(drops)}; ${results.hostile.lateTicks} late ticks at the super peer; ${results.hostile.leaderChanges} leader changes, ${results.hostile.leaderless} leaderless samples`);
  }
  for (const n of nodes) ssh(n, 'systemctl stop gridops-sampler 2>/dev/null');
} finally {
  results.uptime.end = uptime();
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(results, null, 2)}\n`);
  if (!keep) {
    log('lab down');
    await labDown(dir).catch((err) => console.error(String(err)));
  }
}
console.log(JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v && typeof v === 'object' && 'raw' in v ? { ...v, raw: undefined } : v])), null, 2));
