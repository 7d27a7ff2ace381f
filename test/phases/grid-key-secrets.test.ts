import { jest } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ConnectionError, StalePlanError } from '../../src/errors/index.js';
import { runApply } from '../../src/phases/apply.js';
import { runPlan } from '../../src/phases/plan.js';
import type { ApplyOptions } from '../../src/phases/run-options.js';
import type { FileChange } from '../../src/plan/change.js';
import type { Plan } from '../../src/plan/plan.js';
import { renderPlan } from '../../src/plan/render.js';
import { LocalTransport } from '../../src/transport/local-transport.js';

jest.setTimeout(60_000);

// Every "host" is this machine's shell: the playbook places the grid key under out/ in the test's directory.
const local = new LocalTransport('local');
const connect = async () => local;

let dir: string;
let topology: string;
let playbook: string;
let said: string[];
const KEY = `${'0123456789abcdef'.repeat(4)}\n`;

function options(extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return { topologyFile: topology, playbooks: [playbook], concurrency: 5, acceptNewHostKeys: false, progress: (m) => void said.push(m), failFast: false, confirm: async () => true, emit: () => undefined, onPlan: () => undefined, connect, ...extra };
}

function writeTopology(defaults = ''): void {
  writeFileSync(
    topology,
    `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
${defaults}regions:
  - name: r1
    subgrids:
      - name: s1
        nodes:
          - { name: n1, address: 10.0.0.1 }
          - { name: n2, address: 10.0.0.2 }
`,
  );
}

/** Runs `fn` with the process in `cwd`, as a person who ran gridops from there. */
async function inDirectory<T>(cwd: string, fn: () => Promise<T>): Promise<T> {
  const before = process.cwd();
  process.chdir(cwd);
  try {
    return await fn();
  } finally {
    process.chdir(before);
  }
}

const keyChanges = (plan: Plan) => plan.hosts.flatMap((h) => h.changes).filter((c): c is FileChange => c.kind === 'file');
const placed = (node: string) => readFileSync(join(dir, 'out', `${node}.key`), 'utf8');
const modeOf = (path: string) => statSync(path).mode & 0o777;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-secrets-'));
  said = [];
  mkdirSync(join(dir, 'topo'));
  mkdirSync(join(dir, 'elsewhere'));
  mkdirSync(join(dir, 'out'));
  topology = join(dir, 'topo', 'grid.yaml');
  writeTopology();
  playbook = join(dir, 'place-key.yaml');
  writeFileSync(playbook, `name: place-key\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.key')}", secret: grid-key, mode: "0600" }\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a relative agent.keyFile is relative to the topology file, not to where gridops runs', () => {
  beforeEach(() => {
    writeTopology('defaults: { agent: { keyFile: keys/grid.key } }\n');
    mkdirSync(join(dir, 'topo', 'keys'));
    writeFileSync(join(dir, 'topo', 'keys', 'grid.key'), KEY, { mode: 0o600 });
  });

  it('applied from another directory, the nodes get the key beside the topology, and no new key is made', async () => {
    await inDirectory(join(dir, 'elsewhere'), () => runApply(options()));
    expect(placed('n1')).toBe(KEY);
    expect(placed('n2')).toBe(KEY);
    expect(existsSync(join(dir, 'elsewhere', 'keys'))).toBe(false);
    expect(said.filter((m) => m.includes('created the grid key'))).toEqual([]);
  });

  it('so too with the topology named by a relative path', async () => {
    await inDirectory(dir, () => runApply(options({ topologyFile: relative(dir, topology) })));
    expect(placed('n1')).toBe(KEY);
    expect(existsSync(join(dir, 'keys'))).toBe(false);
  });

  it('a node that names no key file gets the one another node names, also in a --limit run without that node', async () => {
    writeTopology();
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('{ name: n2, address: 10.0.0.2 }', '{ name: n2, address: 10.0.0.2, agent: { keyFile: keys/grid.key } }'));
    await inDirectory(join(dir, 'elsewhere'), () => runApply(options({ limit: ['n1'] })));
    expect(placed('n1')).toBe(KEY);
    expect(existsSync(join(dir, 'topo', '.gridops', 'g.key'))).toBe(false);
  });

  it('`keys/grid.key` and `./keys/grid.key` on different nodes are one key file', async () => {
    writeFileSync(topology, readFileSync(topology, 'utf8').replace('{ name: n2, address: 10.0.0.2 }', '{ name: n2, address: 10.0.0.2, agent: { keyFile: ./keys/grid.key } }'));
    await inDirectory(join(dir, 'elsewhere'), () => runApply(options()));
    expect(placed('n2')).toBe(KEY);
  });
});

describe('the grid key gridops makes stays out of git', () => {
  it('a plan that creates .gridops writes .gridops/.gitignore (`*`) and the key with mode 0600, the directory as mkdir makes it', async () => {
    await runPlan(options());
    const stateDir = join(dir, 'topo', '.gridops');
    expect(readFileSync(join(stateDir, '.gitignore'), 'utf8').split('\n')).toContain('*');
    expect(modeOf(join(stateDir, 'g.key'))).toBe(0o600);
    expect(modeOf(join(stateDir, 'g.plan-digest.key'))).toBe(0o600);
    expect(modeOf(stateDir)).toBe(0o777 & ~process.umask());
    expect(said.filter((m) => m.includes('created the grid key'))).toHaveLength(1);
  });

  it('so does an apply (whose lock makes the directory first)', async () => {
    await runApply(options());
    expect(readFileSync(join(dir, 'topo', '.gridops', '.gitignore'), 'utf8').split('\n')).toContain('*');
    expect(placed('n1')).toBe(readFileSync(join(dir, 'topo', '.gridops', 'g.key'), 'utf8'));
  });
});

describe('a plan names the grid key without its hash', () => {
  beforeEach(() => {
    writeTopology(`defaults: { agent: { keyFile: ${JSON.stringify(join(dir, 'topo', 'keys', 'grid.key'))} } }\n`);
    mkdirSync(join(dir, 'topo', 'keys'));
    writeFileSync(join(dir, 'topo', 'keys', 'grid.key'), KEY, { mode: 0o600 });
  });

  it('plan --out and --json hold an HMAC under the key beside the state, never the plain sha256', async () => {
    const plan = await runPlan(options());
    const json = JSON.stringify(plan);
    expect(json).not.toContain(KEY.trim());
    expect(json).not.toContain(createHash('sha256').update(KEY).digest('hex'));
    const digestKey = readFileSync(join(dir, 'topo', '.gridops', 'g.plan-digest.key'));
    const expected = `hmac-sha256:${createHmac('sha256', digestKey).update(KEY).digest('hex')}`;
    expect(keyChanges(plan).map((c) => [c.sensitive, c.contentSha256, c.secret])).toEqual([
      [true, expected, 'grid-key'],
      [true, expected, 'grid-key'],
    ]);
  });

  it('a saved plan still applies while the key is unchanged', async () => {
    const saved = JSON.parse(JSON.stringify(await runPlan(options()))) as Plan;
    const result = await runApply(options({ savedPlan: saved }));
    expect(result.hosts.map((h) => h.status)).toEqual(['applied', 'applied']);
    expect(placed('n1')).toBe(KEY);
  });

  it('a saved plan is refused once the key changed, and nothing is written', async () => {
    writeFileSync(join(dir, 'out', 'n1.key'), 'old\n', { mode: 0o600 });
    const saved = JSON.parse(JSON.stringify(await runPlan(options()))) as Plan;
    writeFileSync(join(dir, 'topo', 'keys', 'grid.key'), `${'fedcba9876543210'.repeat(4)}\n`);
    await expect(runApply(options({ savedPlan: saved }))).rejects.toBeInstanceOf(StalePlanError);
    expect(readFileSync(join(dir, 'out', 'n1.key'), 'utf8')).toBe('old\n');
    expect(existsSync(join(dir, 'out', 'n2.key'))).toBe(false);
  });

  it('applied with another state directory (another digest key), a saved plan is refused, not applied blind', async () => {
    const saved = JSON.parse(JSON.stringify(await runPlan(options()))) as Plan;
    await expect(runApply(options({ savedPlan: saved, stateDir: join(dir, 'other-state') }))).rejects.toBeInstanceOf(StalePlanError);
    expect(existsSync(join(dir, 'out', 'n1.key'))).toBe(false);
  });
});

describe('a file the playbook marks sensitive', () => {
  const OLD = 'API_TOKEN=old-hunter2-0123\n';
  const NEW = 'API_TOKEN=new-hunter2-4567\n';
  beforeEach(() => {
    writeFileSync(playbook, `name: place-token\nresources:\n  - file: { path: "${join(dir, 'out', '{{node.name}}.env')}", content: ${JSON.stringify(NEW)}, mode: "0600", sensitive: true }\n`);
    writeFileSync(join(dir, 'out', 'n1.env'), OLD, { mode: 0o600 });
  });

  it('is never shown: no diff, no content, no plain hash in the plan, its text or --json; an HMAC under the state\'s digest key', async () => {
    const plan = await runPlan(options());
    const shown = `${JSON.stringify(plan)}\n${renderPlan(plan)}\n${said.join('\n')}`;
    for (const secret of ['old-hunter2', 'new-hunter2', createHash('sha256').update(NEW).digest('hex')]) expect(shown).not.toContain(secret);
    const digestKey = readFileSync(join(dir, 'topo', '.gridops', 'g.plan-digest.key'));
    expect(keyChanges(plan).map((c) => [c.sensitive, c.contentSha256, c.diff])).toEqual([
      [true, `hmac-sha256:${createHmac('sha256', digestKey).update(NEW).digest('hex')}`, undefined],
      [true, `hmac-sha256:${createHmac('sha256', digestKey).update(NEW).digest('hex')}`, undefined],
    ]);
    expect(renderPlan(plan)).toContain('(sensitive)');
    // Not the grid key: a rolling apply replaces it like any file.
    expect(keyChanges(plan).map((c) => c.secret)).toEqual([undefined, undefined]);
  });

  it('a saved plan of it applies (the digest key is the state directory\'s, not the process\'s own)', async () => {
    const saved = JSON.parse(JSON.stringify(await runPlan(options()))) as Plan;
    const result = await runApply(options({ savedPlan: saved }));
    expect(result.hosts.map((h) => h.status)).toEqual(['applied', 'applied']);
    expect(readFileSync(join(dir, 'out', 'n1.env'), 'utf8')).toBe(NEW);
  });
});

describe('what the review of the key handling found', () => {
  it('a new key for a grid whose agents already run is a loud warning, not the first-run note', async () => {
    mkdirSync(join(dir, 'topo', '.gridops'));
    const host = { topologyHash: '', playbooks: ['agent'], gridopsVersion: '0.1.0', agentVersion: '0.1.0', appliedAt: 'then', changesApplied: 1, lastOutcome: 'applied' };
    writeFileSync(join(dir, 'topo', '.gridops', 'g.state.json'), JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: host, n2: host } }));
    await runPlan(options());
    expect(said.filter((m) => m.includes('grid key'))).toEqual([expect.stringMatching(/^warning: created a NEW grid key .*g\.key \(mode 0600\), but 2 nodes of this grid already run gridagent .* point agent\.keyFile at it/)]);
  });

  it('so is an apply of part of the grid with it refused, even where its nodes get a first key; the new key is removed again, so the next run sees it is new too', async () => {
    mkdirSync(join(dir, 'topo', '.gridops'));
    const host = { topologyHash: '', playbooks: ['agent'], gridopsVersion: '0.1.0', agentVersion: '0.1.0', appliedAt: 'then', changesApplied: 1, lastOutcome: 'applied' };
    writeFileSync(join(dir, 'topo', '.gridops', 'g.state.json'), JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: host, n2: host } }));
    for (let run = 0; run < 2; run++) {
      const err = await runApply(options({ limit: ['n2'] })).catch((e: unknown) => e);
      expect(err).toMatchObject({ message: expect.stringContaining('created a new grid key'), hint: expect.stringContaining('a plain `gridops apply` of the whole grid') });
      expect((err as Error).message).toContain('leaves out n1 (not selected by --limit)');
      expect(existsSync(join(dir, 'topo', '.gridops', 'g.key'))).toBe(false);
      expect(existsSync(join(dir, 'out', 'n2.key'))).toBe(false);
    }
  });

  it('a state directory that cannot be written still plans (the topology names the key), and says a saved plan would not apply', async () => {
    writeTopology(`defaults: { agent: { keyFile: ${join(dir, 'grid.key')} } }\n`);
    writeFileSync(join(dir, 'grid.key'), KEY, { mode: 0o600 });
    // sysfs refuses mkdir even to root (EPERM), as a read-only checkout would.
    const plan = await runPlan(options({ stateDir: '/sys/gridops-test-state' }));
    expect(keyChanges(plan)).toHaveLength(2);
    expect(said).toContainEqual(expect.stringMatching(/^warning: cannot write the plan digest key \/sys\/gridops-test-state\/g\.plan-digest\.key \(EPERM\): a plan this run saves \(--out\) cannot be applied/));
  });
});

describe('no secret is made for a run that reaches no host', () => {
  it('a plan stopped by the pre-flight checks (an identity file that is not there) creates no state directory and no key', async () => {
    writeTopology(`defaults: { ssh: { identityFile: ${join(dir, 'no-such-key')}, knownHosts: ${join(dir, 'known_hosts')} } }\n`);
    const err = await runPlan(options({ connect: undefined })).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^cannot read the identity file .*no-such-key \(ENOENT\).*; no host was contacted$/);
    expect(existsSync(join(dir, 'topo', '.gridops'))).toBe(false);
    expect(said.filter((m) => m.includes('grid key'))).toEqual([]);
  });

  it('a plan whose every host is unreachable creates no key either; the first host reached makes it, once', async () => {
    const down = async () => {
      throw new ConnectionError('n', 'cannot connect to 10.0.0.1:22: connect ECONNREFUSED', 'check that the host is up');
    };
    const plan = await runPlan(options({ connect: down }));
    expect(plan.hosts.every((h) => h.error?.kind === 'unreachable')).toBe(true);
    expect(existsSync(join(dir, 'topo', '.gridops'))).toBe(false);
    await runPlan(options());
    expect(existsSync(join(dir, 'topo', '.gridops', 'g.key'))).toBe(true);
    expect(said.filter((m) => m.includes('created the grid key'))).toHaveLength(1);
  });
});
