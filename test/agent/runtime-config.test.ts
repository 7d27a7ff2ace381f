import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentConfigError, loadAgentConfig, normaliseAgentConfig } from '../../src/agent/runtime/config.js';
import { GridKeyError, readGridKey } from '../../src/agent/runtime/grid-key.js';
import { nextEpoch, readStateFile, StateFileError, writeStateFile } from '../../src/agent/runtime/state-file.js';
import { Metrics } from '../../src/agent/runtime/metrics.js';
import { AGENT_VERSION } from '../../src/agent/version.js';
import { MAX_LABEL_KEY, MAX_LABEL_VALUE, MAX_LABELS } from '../../src/agent/core/validate.js';

const minimal = { node: 'ra-01', region: 'eu-west', subgrid: 'rennes-a', bind: '10.0.1.11', keyFile: '/etc/gridagent/grid.key' };

describe('agent config', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridagent-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('labels: at most what the other agents take from a join (validate.ts), else the node could never sign in', () => {
    const widest = Object.fromEntries(Array.from({ length: MAX_LABELS }, (_, index) => [`${index}`.padStart(MAX_LABEL_KEY, 'k'), 'v'.repeat(MAX_LABEL_VALUE)]));
    expect(normaliseAgentConfig({ ...minimal, labels: widest }).labels).toEqual(widest);
    expect(() => normaliseAgentConfig({ ...minimal, labels: { ...widest, one: 'more' } })).toThrow(AgentConfigError);
    expect(() => normaliseAgentConfig({ ...minimal, labels: { rack: 'v'.repeat(MAX_LABEL_VALUE + 1) } })).toThrow(AgentConfigError);
    // Characters as the topology counts them (code points): 256 emoji are 512 UTF-16 units, and validate.
    expect(normaliseAgentConfig({ ...minimal, labels: { mood: '🙂'.repeat(MAX_LABEL_VALUE) } }).labels).toEqual({ mood: '🙂'.repeat(MAX_LABEL_VALUE) });
    expect(() => normaliseAgentConfig({ ...minimal, labels: { mood: '🙂'.repeat(MAX_LABEL_VALUE + 1) } })).toThrow(new AgentConfigError(`config: the value of label mood is longer than ${MAX_LABEL_VALUE} characters`));
    expect(() => normaliseAgentConfig({ ...minimal, labels: { ['k'.repeat(MAX_LABEL_KEY + 1)]: 'r1' } })).toThrow(
      new AgentConfigError(`config: the label ${'k'.repeat(MAX_LABEL_KEY + 1)} is longer than ${MAX_LABEL_KEY} characters`),
    );
  });

  test('applies defaults and converts timer milliseconds to ticks', () => {
    const config = normaliseAgentConfig({ ...minimal, timers: { tickMs: 50, heartbeatInterval: 500 } });
    expect(config).toMatchObject({ port: 7946, advertise: '10.0.1.11:7946', superPeer: 'auto', http: { bind: '127.0.0.1', port: 7950 }, mirrors: 4, tickMs: 50 });
    expect(config.timers.heartbeatInterval).toBe(10);
    // The defaults keep their wall time at another tick: 1 s and 2 s of heartbeat, 0.2 s of sync, 10 s of grace.
    expect(config.regionTimers.heartbeatInterval).toBe(40);
    expect(config.timers.syncInterval).toBe(4);
    expect(config.timers.bootstrapGrace).toBe(200);
    expect(config.timers.suspicionMultiplier).toBe(4);
  });

  test('tickMs is one setting for both tiers: under regionTimers it is refused, not ignored', () => {
    expect(() => normaliseAgentConfig({ ...minimal, regionTimers: { tickMs: 50 } })).toThrow(
      new AgentConfigError('config: regionTimers.tickMs is not a setting (both tiers tick together): move it to timers.tickMs'),
    );
    // A tick too coarse for the defaults (0.5 s election timeout, 0.2 s syncs) says it is the tick.
    expect(() => normaliseAgentConfig({ ...minimal, timers: { tickMs: 500 } })).toThrow(
      new AgentConfigError('config: timers.electionTimeoutMin must exceed syncInterval, or healthy leaders get deposed (in ticks of 500 ms: lower timers.tickMs)'),
    );
  });

  test('peerRegions: the other regions and their region-peer DNS names; our own region is ignored', () => {
    const config = normaliseAgentConfig({
      ...minimal,
      regionPeerPort: 7000,
      peerRegions: [
        { region: 'us-east', regionPeerName: 'region.us-east.grid.example.org' },
        { region: 'ap-south', regionPeerName: 'region.ap-south.grid.example.org', regionPeerPort: 7100 },
        { region: 'eu-west', regionPeerName: 'region.eu-west.grid.example.org' },
      ],
      regionTimers: { peerRegionInterval: 20_000 },
    });
    expect(config.peerRegions).toEqual([
      { region: 'us-east', regionPeerName: 'region.us-east.grid.example.org', regionPeerPort: 7000 },
      { region: 'ap-south', regionPeerName: 'region.ap-south.grid.example.org', regionPeerPort: 7100 },
    ]);
    expect(config.regionTimers.peerRegionInterval).toBe(200);
    expect(normaliseAgentConfig(minimal).regionTimers.peerRegionInterval).toBe(100);
    expect(() => normaliseAgentConfig({ ...minimal, peerRegions: [{ region: 'x' }] })).toThrow(AgentConfigError);
  });

  test('the bootstrap file gives the first electorates and the join list; without one the node signs in', () => {
    const bootstrap = join(dir, 'bootstrap.json');
    writeFileSync(bootstrap, JSON.stringify({ subgrid: ['ra-01', 'ra-02', 'ra-03'], region: ['rennes-a', 'rennes-b'], peerRegions: [{ region: 'us-east', regionPeerName: 'region.us-east.example.org' }] }));
    const path = join(dir, 'with-bootstrap.json');
    writeFileSync(path, JSON.stringify({ ...minimal, bootstrapFile: bootstrap }));
    expect(loadAgentConfig(path)).toMatchObject({ expect: 3, electorate: ['ra-01', 'ra-02', 'ra-03'], regionExpect: 2, regionElectorate: ['rennes-a', 'rennes-b'], peerRegions: [{ region: 'us-east', regionPeerName: 'region.us-east.example.org', regionPeerPort: 7946 }] });
    const without = join(dir, 'without-bootstrap.json');
    writeFileSync(without, JSON.stringify({ ...minimal, bootstrapFile: join(dir, 'absent.json') }));
    expect(loadAgentConfig(without)).toMatchObject({ expect: null, electorate: null, regionExpect: null, regionElectorate: null, peerRegions: [] });
    writeFileSync(bootstrap, JSON.stringify({ subgrid: [] }));
    expect(() => loadAgentConfig(path)).toThrow(AgentConfigError);
  });

  test('reads YAML with every documented field', () => {
    const path = join(dir, 'agent.yaml');
    writeFileSync(
      path,
      [
        'node: ra-02',
        'region: eu-west',
        'subgrid: rennes-a',
        'bind: 10.0.1.12',
        'port: 7946',
        'multicast: 239.192.10.1:7947',
        'seeds: [10.0.1.11:7946]',
        'regionPeerName: region.eu-west.grid.example.org',
        'superPeer: never',
        'labels: { rack: r1 }',
        'keyFile: /etc/gridagent/grid.key',
        'stateFile: /var/lib/gridagent/state.json',
        'http: { bind: 127.0.0.1, port: 7950 }',
        'expect: 3',
        'regionExpect: 2',
        'mirrors: 2',
        'timers: { electionTimeoutMin: 2000, electionTimeoutMax: 3000 }',
        'log: { level: debug }',
      ].join('\n'),
    );
    const config = loadAgentConfig(path);
    expect(config).toMatchObject({ superPeer: 'never', multicast: { group: '239.192.10.1', port: 7947 }, seeds: ['10.0.1.11:7946'], mirrors: 2, labels: { rack: 'r1' } });
    expect(config.timers.electionTimeoutMin).toBe(20);
  });

  test.each(['[fe80::1]:7946', '[fd00::2%eth0]:7946', '2001:db8::1:7946', 'fd00::2'])("refuses the IPv6 seed %s as it refuses bind '::' (exit 78): the agent's sockets are udp4 and could never send to it", (seed) => {
    const raw = { ...minimal, seeds: ['10.0.1.12:7946', seed] };
    expect(() => normaliseAgentConfig(raw, '/etc/gridagent/config.yaml')).toThrow(AgentConfigError);
    expect(() => normaliseAgentConfig(raw, '/etc/gridagent/config.yaml')).toThrow(
      `/etc/gridagent/config.yaml: seed ${seed} is an IPv6 address, and gridagent speaks IPv4 only; write the seed's IPv4 address or a DNS name as HOST:PORT (10.0.1.12:7946, n2.example.org:7946)`,
    );
  });

  test.each(['10.0.1.12', '10.0.1.12:0', '10.0.1.12:70000', 'n2.example.org:port', ':7946'])('refuses the seed %s, which is not HOST:PORT with a port from 1 to 65535, rather than never send to it', (seed) => {
    expect(() => normaliseAgentConfig({ ...minimal, seeds: [seed] })).toThrow(new AgentConfigError(`config: seed ${seed} is not HOST:PORT with a port from 1 to 65535; write it as 10.0.1.12:7946 or n2.example.org:7946`));
  });

  test.each(['10.0.0.1:7947', '240.0.0.1:7947', '239.192.10.1:0', '239.192.10.1:70000', '239.192.10.300:7947', '239.192.10.1', 'group:7947'])(
    'refuses the multicast value %s, which is not a multicast group (224.0.0.0/4) with a port from 1 to 65535: joining it failed with a stack, not a config error',
    (multicast) => {
      expect(() => normaliseAgentConfig({ ...minimal, multicast })).toThrow(AgentConfigError);
      expect(() => normaliseAgentConfig({ ...minimal, multicast })).toThrow(new RegExp(`^config: multicast ${multicast} is not GROUP:PORT .*239\\.192\\.10\\.1:7947`));
    },
  );

  test('an empty multicast value is no multicast, as before the group was checked (a hand-written config)', () => {
    expect(normaliseAgentConfig({ ...minimal, multicast: '' }).multicast).toBeNull();
  });

  test('takes a multicast group anywhere in 224.0.0.0/4', () => {
    expect(normaliseAgentConfig({ ...minimal, multicast: '224.0.0.251:5353' }).multicast).toEqual({ group: '224.0.0.251', port: 5353 });
    expect(normaliseAgentConfig({ ...minimal, multicast: '239.255.255.250:1900' }).multicast).toEqual({ group: '239.255.255.250', port: 1900 });
  });

  test.each(['10.0.1.11', '10.0.1.11:', '10.0.1.11:0', '10.0.1.11:70000', ':7946', '[fd00::11]:7946', 'fd00::11', '10.0.1.300:7946', 'n1 .example.org:7946', ''])(
    'refuses the advertise value %s, which is not an IPv4 address or DNS name with a port: every peer\'s send to it failed in silence',
    (advertise) => {
      expect(() => normaliseAgentConfig({ ...minimal, advertise })).toThrow(AgentConfigError);
      expect(() => normaliseAgentConfig({ ...minimal, advertise })).toThrow(new RegExp(`^config: advertise ${advertise.replace(/[.[\]]/g, '\\$&')} is not`));
    },
  );

  test('keeps an advertise of an IPv4 address or a DNS name with a port', () => {
    expect(normaliseAgentConfig({ ...minimal, advertise: '192.0.2.7:17946' }).advertise).toBe('192.0.2.7:17946');
    expect(normaliseAgentConfig({ ...minimal, bind: '0.0.0.0', advertise: 'n1.example.org:7946' }).advertise).toBe('n1.example.org:7946');
  });

  test('keeps IPv4 and DNS-name seeds as written (a name is resolved, for IPv4 only, when discovery asks the seeds)', () => {
    expect(normaliseAgentConfig({ ...minimal, seeds: ['10.0.1.12:7946', 'n2.example.org:7946'] }).seeds).toEqual(['10.0.1.12:7946', 'n2.example.org:7946']);
  });

  test.each([
    [{ ...minimal, port: 70000 }, /port/],
    [{ ...minimal, superPeer: 'always' }, /superPeer/],
    [{ ...minimal, mirrors: 7 }, /mirrors/],
    [{ ...minimal, surprise: 1 }, /surprise|additional/i],
    [{ ...minimal, bind: '0.0.0.0' }, /advertise/],
    [{ ...minimal, timers: { electionTimeoutMin: 300, syncInterval: 500 } }, /syncInterval/],
  ])('rejects bad config %#', (raw, message) => {
    expect(() => normaliseAgentConfig(raw)).toThrow(AgentConfigError);
    expect(() => normaliseAgentConfig(raw)).toThrow(message);
  });

  /**
   * Review finding: settings that passed the config check and failed only at start (EADDRINUSE with a
   * stack, and a restart every 2 s), or that the agent ran with something else than was written.
   */
  test.each([
    [{ ...minimal, http: { port: 0 } }, /\/http\/port: Expected integer to be greater or equal to 1/],
    [{ ...minimal, http: { bind: '10.0.1.11', port: 7946 } }, 'config: http.port 7946 is also port, the agent\'s own port: give the HTTP endpoint another port (7950 when http.port is left out)'],
    [{ ...minimal, bind: '127.0.0.1', port: 7950 }, 'config: http.port 7950 is also port, the agent\'s own port: give the HTTP endpoint another port (7950 when http.port is left out)'],
    [{ ...minimal, port: 7947, multicast: '239.192.10.1:7947' }, 'config: the port of multicast 239.192.10.1:7947 is also port, the agent\'s own port: give multicast another port'],
    [{ ...minimal, timers: { heartbeatInterval: 5000 } }, 'config: timers.heartbeatInterval (5000 ms) must be shorter than timers.suspectAfter (3000 ms), or the super peer suspects members between their heartbeats'],
    [{ ...minimal, timers: { heartbeatInterval: 1000, suspectAfter: 1000, leaderLostTimeout: 5000 } }, 'config: timers.heartbeatInterval (1000 ms) must be shorter than timers.suspectAfter (1000 ms), or the super peer suspects members between their heartbeats'],
    [{ ...minimal, timers: { heartbeatInterval: 1000, leaderLostTimeout: 800 } }, 'config: timers.heartbeatInterval (1000 ms) must be shorter than timers.leaderLostTimeout (800 ms), or members search for a new super peer between their heartbeats'],
    [{ ...minimal, regionTimers: { heartbeatInterval: 7000 } }, 'config: regionTimers.heartbeatInterval (7000 ms) must be shorter than regionTimers.suspectAfter (6000 ms), or the super peer suspects members between their heartbeats'],
    [{ ...minimal, timers: { syncInterval: 50 } }, 'config: timers.syncInterval is 50 ms, less than one tick (timers.tickMs, 100 ms), which the agent cannot count: write at least 100, or lower timers.tickMs'],
    [{ ...minimal, timers: { tickMs: 50, rankStep: 0 } }, /\/timers\/rankStep: Expected integer to be greater or equal to 1/],
    [{ ...minimal, timers: { stabilizationTime: 50 } }, 'config: timers.stabilizationTime is 50 ms, less than one tick (timers.tickMs, 100 ms), which the agent cannot count: write 0 or at least 100, or lower timers.tickMs'],
    [{ ...minimal, bind: '127.0.0.1', port: 7950, http: { bind: '0.0.0.0' } }, "config: http.port 7950 is also port, the agent's own port"],
    [{ ...minimal, bind: '0.0.0.0', advertise: '10.0.1.11:7950', port: 7950 }, "config: http.port 7950 is also port, the agent's own port"],
    [{ ...minimal, bind: 'ra-01.example.org', port: 7950 }, "config: http.port 7950 is also port, the agent's own port"],
    // Compared as they run, in whole ticks, and said as written.
    [{ ...minimal, timers: { heartbeatInterval: 250, suspectAfter: 260 } }, 'config: timers.heartbeatInterval (250 ms, 3 ticks of 100 ms) must be shorter than timers.suspectAfter (260 ms, 3 ticks of 100 ms), or the super peer suspects members between their heartbeats'],
    [{ ...minimal, regionTimers: { electionTimeoutMax: 99 } }, 'config: regionTimers.electionTimeoutMax is 99 ms, less than one tick (timers.tickMs, 100 ms), which the agent cannot count: write at least 100, or lower timers.tickMs'],
  ])('refuses a setting that would fail only at start, or run otherwise than written %#', (raw, message) => {
    expect(() => normaliseAgentConfig(raw)).toThrow(AgentConfigError);
    expect(() => normaliseAgentConfig(raw)).toThrow(message);
  });

  test('keeps ports that differ and timers of at least a tick that a heartbeat fits in', () => {
    const config = normaliseAgentConfig({ ...minimal, port: 7946, multicast: '239.192.10.1:7947', http: { port: 7948 }, timers: { tickMs: 50, heartbeatInterval: 50, suspectAfter: 100, leaderLostTimeout: 100, rankStep: 50 } });
    expect(config).toMatchObject({ port: 7946, multicast: { port: 7947 }, http: { port: 7948 } });
    expect(config.timers).toMatchObject({ heartbeatInterval: 1, suspectAfter: 2, leaderLostTimeout: 2, rankStep: 1 });
  });

  test('0 is a setting for the waits that mean "none" (stabilizationTime: a voter at once; bootstrapGrace: no wait for a better-ranked node), and the schema says what the check does', () => {
    const config = normaliseAgentConfig({ ...minimal, timers: { stabilizationTime: 0, bootstrapGrace: 0 }, regionTimers: { stabilizationTime: 0 } });
    expect(config.timers).toMatchObject({ stabilizationTime: 0, bootstrapGrace: 0 });
    expect(config.regionTimers.stabilizationTime).toBe(0);
  });

  test('http.port may equal port where both bind different specific IPv4 addresses (they bind side by side)', () => {
    const config = normaliseAgentConfig({ ...minimal, bind: '10.0.1.11', port: 7950, http: { bind: '127.0.0.1' } });
    expect(config).toMatchObject({ port: 7950, http: { bind: '127.0.0.1', port: 7950 } });
  });

  test('refuses a key file readable by group or others, accepts 0600', () => {
    const path = join(dir, 'grid.key');
    writeFileSync(path, 'e2e-grid-key-0123456789abcdef\n');
    chmodSync(path, 0o644);
    expect(() => readGridKey(path)).toThrow(GridKeyError);
    expect(() => readGridKey(path)).toThrow(/chmod 600/);
    chmodSync(path, 0o600);
    expect(readGridKey(path).toString()).toBe('e2e-grid-key-0123456789abcdef');
    writeFileSync(path, 'short');
    expect(() => readGridKey(path)).toThrow(/at least 16/);
  });

  test('state file round-trips and epochs only grow', () => {
    const path = join(dir, 'state', 'n1.json');
    expect(readStateFile(path)).toEqual({ epoch: 0, state: null });
    writeStateFile(path, { epoch: 7, state: null });
    expect(readStateFile(path).epoch).toBe(7);
    expect(nextEpoch(7, 1_000)).toBe(8);
    expect(nextEpoch(7, 1_700_000_000_000)).toBe(1_700_000_000);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test('a state file that is there but damaged or unreadable stops the start: taken as fresh, the node could vote twice in a term', () => {
    const path = join(dir, 'state', 'n2.json');
    writeStateFile(path, { epoch: 9, state: null });
    for (const damaged of ['{"epoch": 9, "state": {"subgrid"', '', 'null', '[]', '{"state": null}', '{"epoch": "9", "state": null}', '{"epoch": 9, "state": 3}']) {
      writeFileSync(path, damaged);
      expect(() => readStateFile(path)).toThrow(StateFileError);
      expect(() => readStateFile(path)).toThrow(/is damaged .*move it away \(mv .*n2\.json .*n2\.json\.damaged\)/);
    }
    // Written by hand with the epoch alone (a restore): a node with no protocol state yet.
    writeFileSync(path, '{"epoch": 5}');
    expect(readStateFile(path)).toEqual({ epoch: 5, state: null });
    rmSync(path);
    mkdirSync(path);
    expect(() => readStateFile(path)).toThrow(/cannot read the state file .*EISDIR/);
  });
});

test('metrics render in the Prometheus text format', () => {
  const metrics = new Metrics();
  metrics.counter('gridagent_dropped_total', 'Dropped packets.');
  metrics.inc('gridagent_dropped_total', { reason: 'badMac' }, 2);
  metrics.gauge('gridagent_term', 'Term.', () => 3);
  expect(metrics.render()).toBe(
    '# HELP gridagent_dropped_total Dropped packets.\n# TYPE gridagent_dropped_total counter\ngridagent_dropped_total{reason="badMac"} 2\n# HELP gridagent_term Term.\n# TYPE gridagent_term gauge\ngridagent_term 3\n',
  );
});

test('the version constant matches package.json', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  expect(AGENT_VERSION).toBe(pkg.version);
});
