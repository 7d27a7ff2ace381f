import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkTopologyText } from '../../src/topology/load.js';
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

  it.each(readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml')))('examples/%s is valid', (file) => {
    const { grid, problems } = checkTopologyText(file, readFileSync(`${root}examples/${file}`, 'utf8'));
    expect(problems).toEqual([]);
    expect(grid).toBeDefined();
  });
});
