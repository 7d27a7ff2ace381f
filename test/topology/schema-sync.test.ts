import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandboxImageProblems } from '../../src/phases/sandbox-images.js';
import { checkTopologyText } from '../../src/topology/load.js';
import { allNodes } from '../../src/topology/model.js';
import { topologyJsonSchema } from '../../src/topology/json-schema.js';
import { playbookJsonSchema } from '../../src/playbooks/schema.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('published artefacts', () => {
  it('schema/topology.schema.json is what `gridops schema` prints (run `./bin/run.js schema > schema/topology.schema.json` after changing src/topology/schema.ts)', () => {
    const committed = JSON.parse(readFileSync(`${root}schema/topology.schema.json`, 'utf8'));
    expect(committed).toEqual(topologyJsonSchema());
  });

  it('schema/playbook.schema.json is what `gridops schema --playbook` prints (regenerate it after changing src/playbooks/schema.ts)', () => {
    const committed = JSON.parse(readFileSync(`${root}schema/playbook.schema.json`, 'utf8'));
    expect(committed).toEqual(playbookJsonSchema());
  });

  it('the README topology reference mentions every key of the schema', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const keys = new Set<string>();
    const walk = (node: unknown) => {
      if (!node || typeof node !== 'object') return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      if (props) for (const [k, v] of Object.entries(props)) (keys.add(k), walk(v));
      for (const v of Object.values(node)) if (typeof v === 'object') walk(v);
    };
    walk(topologyJsonSchema());
    const missing = [...keys].filter((k) => !readme.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });

  it("the README topology reference's example is valid", () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const reference = readme.slice(readme.indexOf('## Topology reference'));
    const example = /```yaml\n([\s\S]*?)```/.exec(reference)?.[1];
    expect(example).toContain('kind: Grid');
    // As `validate` takes it: its sandbox image (relative to the file) must be there too.
    const dir = mkdtempSync(join(tmpdir(), 'gridops-readme-example-'));
    try {
      const file = join(dir, 'topology.yaml');
      writeFileSync(file, example!);
      const { grid, problems } = checkTopologyText(file, example!);
      expect(problems).toEqual([]);
      mkdirSync(join(dir, 'images'));
      writeFileSync(join(dir, 'images', 'sandbox.img'), Buffer.alloc(4096));
      expect(sandboxImageProblems(grid!, allNodes(grid!))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml')))('examples/%s is valid', (file) => {
    const { grid, problems } = checkTopologyText(file, readFileSync(`${root}examples/${file}`, 'utf8'));
    expect(problems).toEqual([]);
    expect(grid).toBeDefined();
  });
});
