import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Problem } from '../../src/errors/problem.js';
import { gridWarnings } from '../../src/topology/advice.js';
import { agentAddressProblems } from '../../src/topology/agent-address-check.js';
import { imageFileProblems } from '../../src/topology/image-file-check.js';
import { keyFileProblems } from '../../src/topology/key-file-check.js';
import { checkTopologyText } from '../../src/topology/load.js';
import { allNodes } from '../../src/topology/model.js';
import { seedPortWarnings } from '../../src/topology/seed-port-check.js';
import { selectNodes } from '../../src/topology/select.js';
import { selectSite } from '../../src/topology/select-site.js';
import { parseSource } from '../../src/topology/source.js';
import { selectorRefusal } from '../support/refusal.js';

/**
 * A value of the topology shown in a message reaches the operator's terminal: the C1 controls
 * (U+009B is a CSI on many terminals), DEL and the characters that reorder text are written as
 * \uXXXX escapes, as JSON already writes the C0 ones, and a long value is still cut.
 */
const grid = (node: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r1
    subgrids:
      - name: s1
        discovery: { multicast: "239.192.10.1:7950" }
        nodes:
          - ${node}
`;

describe('a topology value in a message', () => {
  it('has its C1 controls, DEL and bidi characters escaped', () => {
    const { problems } = checkTopologyText('t.yaml', grid('{ name: a, address: "10.0.0.1\\u009b31m\\u202e\\u007f" }'));
    const messages = problems.map((p) => p.message).join('\n');
    expect(messages).toContain('"10.0.0.1\\u009b31m\\u202e\\u007f" is neither an IP address nor a hostname');
    expect(messages).not.toMatch(/[\u007f-\u009f\u202e]/);
  });

  it('is cut after 40 characters, saying how long it was', () => {
    const long = `${'\u202e'.repeat(45)}x`;
    const { problems } = checkTopologyText('t.yaml', grid(`{ name: a, address: "${long.replace(/\u202e/g, '\\u202e')}" }`));
    expect(problems.map((p) => p.message).join('\n')).toContain(`"${'\\u202e'.repeat(40)}… (46 chars)" is neither an IP address nor a hostname`);
  });
});

/**
 * The other checks show the values they name the same way: each is fed a value holding a CSI
 * (U+009B) and a right-to-left override, and must show both as escapes. Where the schema already
 * refuses such a value before the check runs (seeds, addresses, names on a valid grid), the check
 * is called on a loaded grid whose value the test then changes: what a check prints must not rest
 * on another check having run first.
 */
const RAW = '\u009b31m\u202e';
const SHOWN = '\\u009b31m\\u202e';
const YAML_RAW = '\\u009b31m\\u202e';

/** The check's words for the value, with no raw control or reordering character among them. */
function expectPrintable(sentences: Array<string | undefined>, expected: string): void {
  const text = sentences.join('\n');
  expect(text).toContain(expected);
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
}

const topology = ({ defaults = '', subgrid = '', nodes = ['{ name: n1, address: 10.0.0.1 }', '{ name: n2, address: 10.0.0.2 }', '{ name: n3, address: 10.0.0.3 }'], apiVersion = 'gridops/v1' } = {}) => `apiVersion: "${apiVersion}"
kind: Grid
metadata: { name: g }
defaults: { ${defaults} }
regions:
  - name: r1
    subgrids:
      - name: s1
        ${subgrid}
        nodes:
${nodes.map((n) => `          - ${n}`).join('\n')}
`;
const dir = mkdtempSync(join(tmpdir(), 'gridops-printable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** The topology checked as the file `name` in a directory of the test's, the file written (checks that read it again need it). */
const checked = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, check: checkTopologyText(file, text), source: parseSource(file, text).source };
};
const sentences = (problems: readonly Problem[]) => problems.flatMap((p) => [p.message, p.hint]);

describe('a value in the message of another check', () => {
  it("schema-check's `must be X, not Y`", () => {
    const { problems } = checkTopologyText('t.yaml', topology({ apiVersion: `gridops/v1${YAML_RAW}` }));
    expect(problems.map((p) => p.message)).toContain(`apiVersion must be "gridops/v1", not "gridops/v1${SHOWN}"`);
    expectPrintable(sentences(problems), SHOWN);
  });

  it("schema-check's field, when it is a key of the file's own (a label)", () => {
    const { problems } = checkTopologyText('t.yaml', topology({ nodes: [`{ name: n1, address: 10.0.0.1, labels: { "k${YAML_RAW}": 5 } }`] }));
    expect(problems.map((p) => `${p.message} (${p.hint})`)).toContain(`k${SHOWN} must be a string, not an integer (quote it: k${SHOWN}: "5")`);
    expectPrintable(sentences(problems), SHOWN);
  });

  it('kernel-spelling-check, for modules, module params and sysctls', () => {
    const { problems } = checkTopologyText('t.yaml', topology({ defaults: `kernel: { modules: ["kvm_intel${YAML_RAW}", "kvm-intel${YAML_RAW}"], params: { "kvm_amd${YAML_RAW}": { nested: 1 }, "kvm-amd${YAML_RAW}": { nested: 0 } }, sysctl: { "vm.swappiness${YAML_RAW}": 1, "vm/swappiness${YAML_RAW}": 2 } }` }));
    const messages = problems.map((p) => p.message);
    expect(messages).toContainEqual(expect.stringContaining(`kernel module "kvm-intel${SHOWN}" is "kvm_intel${SHOWN}" again`));
    expect(messages).toContainEqual(expect.stringContaining(`kernel.params names module kvm_amd${SHOWN} twice, as "kvm_amd${SHOWN}" and "kvm-amd${SHOWN}"`));
    expect(messages).toContainEqual(expect.stringContaining(`kernel.sysctl sets vm.swappiness${SHOWN} twice, as "vm.swappiness${SHOWN}" and "vm/swappiness${SHOWN}"`));
    expectPrintable(sentences(problems), SHOWN);
  });

  it('semantic-check, for a duplicate name and the node that has an address already', () => {
    const name = `a${YAML_RAW}`;
    const { problems } = checkTopologyText('t.yaml', topology({ nodes: [`{ name: "${name}", address: 10.0.0.1 }`, `{ name: "${name}", address: 10.0.0.1 }`] }));
    expect(problems.map((p) => p.message)).toContainEqual(expect.stringContaining(`duplicate node name "a${SHOWN}", already used at`));
    expect(problems.map((p) => p.hint)).toContainEqual(expect.stringContaining(`first used by a${SHOWN} at`));
    expectPrintable(sentences(problems), SHOWN);
  });

  it('key-file-check, for both key files', () => {
    const { check, source } = checked('keys.yaml', topology({ defaults: `agent: { keyFile: "a${YAML_RAW}.key" }`, nodes: ['{ name: n1, address: 10.0.0.1 }', `{ name: n2, address: 10.0.0.2, agent: { keyFile: "b${YAML_RAW}.key" } }`] }));
    const problems = keyFileProblems(check.grid!, source);
    expect(problems.map((p) => p.message)).toEqual([expect.stringContaining(`agent.keyFile "b${SHOWN}.key" is not the grid's key file "a${SHOWN}.key"`)]);
    expectPrintable(sentences(problems), SHOWN);
  });

  it('image-file-check, for the image as written and as found', () => {
    const { check, file } = checked('image.yaml', topology({ defaults: `hypervisor: { enabled: true, sandbox: { image: "img${YAML_RAW}\\e[2J.img" } }` }));
    const problems = imageFileProblems(check.grid!, allNodes(check.grid!));
    expect(problems.map((p) => p.message)).toEqual([`hypervisor.sandbox.image "img${SHOWN}\\u001b[2J.img" does not exist on this machine (${join(dirname(file), `img${SHOWN}\\u001b[2J.img`)})`]);
    expectPrintable(sentences(problems), SHOWN);
  });

  it('seed-port-check', () => {
    const { check, source } = checked('seeds.yaml', topology({ subgrid: 'discovery: { seeds: ["192.0.2.9:9999"] }' }));
    check.grid!.regions[0]!.subgrids[0]!.seeds[0] = `192.0.2.9${RAW}:9999`;
    const warnings = seedPortWarnings(check.grid!, source);
    expect(warnings.map((w) => w.message)).toEqual([`seed "192.0.2.9${SHOWN}:9999" is not at the grid's agent.port 7946, where every agent of the grid listens`]);
    expectPrintable(sentences(warnings), SHOWN);
  });

  it('agent-address-check', () => {
    const { check } = checked('ipv6.yaml', topology({ nodes: ['{ name: n1, address: "fd00::1" }'] }));
    const node = check.grid!.regions[0]!.subgrids[0]!.nodes[0]!;
    node.address = `fd00::1%${RAW}`;
    const problems = agentAddressProblems(check.grid!);
    expect(problems.map((p) => p.message)).toEqual([expect.stringContaining(`node n1's address "fd00::1%${SHOWN}" is an IPv6 address`)]);
    expectPrintable(sentences(problems), SHOWN);
  });

  it('advice, for a sub-grid that cannot fail over', () => {
    const { check } = checked('advice.yaml', topology({ nodes: ['{ name: n1, address: 10.0.0.1 }'] }));
    check.grid!.regions[0]!.subgrids[0]!.name = `s${RAW}`;
    const warnings = gridWarnings(check.grid!);
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining(`sub-grid "s${SHOWN}" has 1 node that may be its super peer`)]);
    expectPrintable(sentences(warnings), SHOWN);
  });

  it('--limit and --site, values from the command line, and a label value suggested for them', () => {
    const { check } = checked('limit.yaml', topology({ nodes: [`{ name: n1, address: 10.0.0.1, labels: { rack: "r1${YAML_RAW}" } }`] }));
    const limit = selectorRefusal(() => selectNodes(check.grid!, `label:rack=r2${RAW}`), '--limit');
    expect(limit.message).toBe(`--limit "label:rack=r2${SHOWN}" matches no node of grid g`);
    expect(limit.hint).toMatch(new RegExp(`^did you mean "label:rack=r1\\\\u009b31m\\\\u202e"\\? `));
    expectPrintable([limit.message, limit.hint], SHOWN);
    const site = selectorRefusal(() => selectSite(check.grid!, `r1${RAW}`), '--site');
    expect(site.message).toBe(`--site "r1${SHOWN}" is no region or sub-grid of grid g`);
    expectPrintable([site.message, site.hint], SHOWN);
  });
});
