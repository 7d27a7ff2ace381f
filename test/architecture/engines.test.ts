import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** npm's own range rules (semver ships no types; these are the three calls the test makes). */
interface Semver {
  minVersion(range: string): { version: string } | null;
  satisfies(version: { version: string }, range: string): boolean;
  intersects(a: string, b: string): boolean;
}
const semver = createRequire(import.meta.url)('semver') as Semver;

const root = fileURLToPath(new URL('../../', import.meta.url));
const json = (file: string) => JSON.parse(readFileSync(`${root}${file}`, 'utf8'));

/**
 * package.json's `engines` is a promise: the oldest Node it accepts must run every package the
 * lock installs (execa 9 needs 20.5, dependency-cruiser 17 and its watskeburt 20.12). A range
 * lower than theirs lets npm install gridops where it then fails.
 */
describe('engines', () => {
  const range: string = json('package.json').engines.node;
  const oldest = semver.minVersion(range)!;

  it('accepts Node 20', () => {
    expect(semver.intersects(range, '20.x')).toBe(true);
  });

  it('accepts no Node that a locked package refuses', () => {
    const packages: Record<string, { engines?: { node?: string } | string[] }> = json('package-lock.json').packages;
    const refusing = Object.entries(packages).flatMap(([name, entry]) => {
      const wanted = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
      return name !== '' && wanted && !semver.satisfies(oldest, wanted) ? [`${name} wants ${wanted}`] : [];
    });
    expect([oldest.version, refusing]).toEqual([oldest.version, []]);
  });

  it('is what bin/run.js checks at start-up', () => {
    expect(readFileSync(`${root}bin/run.js`, 'utf8')).toContain(`gridops needs Node ${oldest.version.replace(/\.0$/, '')} or later`);
  });
});
