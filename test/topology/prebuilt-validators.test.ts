import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { schemaHash, validatorFileName } from '../../src/topology/schema-check.js';

// The build compiles every schema to its own file (scripts/compile-schemas.js); a run loads only
// the ones it uses. A stale or missing file is not an error at run time (ajv compiles instead,
// about 0.5 s slower), so this test is what notices it.
describe('the validators compiled at build time', () => {
  const topology = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schema/topology.schema.json'), 'utf8'));
  const playbook = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schema/playbook.schema.json'), 'utf8'));
  const schemas: Record<string, unknown> = { topology, playbook: playbook.playbook, ...Object.fromEntries(Object.entries(playbook.kinds as Record<string, unknown>).map(([k, s]) => [`kind:${k}`, s])) };

  it.each(Object.keys(schemas))('%s has its own file, made from the schema as it is now', (name) => {
    const entry = createRequire(import.meta.url)(join(PACKAGE_ROOT, 'dist/schema-validators', validatorFileName(name))) as { hash: string };
    expect(entry.hash).toBe(schemaHash(schemas[name] as object));
  });

  it('file names never collide', () => {
    const files = Object.keys(schemas).map(validatorFileName);
    expect(new Set(files).size).toBe(files.length);
  });
});
