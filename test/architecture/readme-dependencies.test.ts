import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The packages README's "Dependencies, and why each" names in backticks. */
function readmeDependencyNames(): Set<string> {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const section = readme.split(/^### Dependencies, and why each$/m)[1]?.split(/^#/m)[0] ?? '';
  return new Set([...section.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!));
}

describe('README dependency list', () => {
  it('names every dependency and dev dependency of package.json, so each has its reason', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const named = readmeDependencyNames();
    const missing = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)].filter((name) => !named.has(name));
    expect(missing).toEqual([]);
  });
});
