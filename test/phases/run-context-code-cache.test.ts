import { PACKAGE_ROOT } from '../../src/package-root.js';
import { RunContext } from '../../src/phases/run-context.js';

/**
 * What `-v`'s start-up line says of the CLI's code cache comes from what bin/require-cached.js
 * recorded for the CLI's bundle (its `gridops.codeCaches` map), the one record of it.
 */
describe("a run's profile: what became of the CLI bundle's code cache", () => {
  const key = Symbol.for('gridops.codeCaches');
  const globals = globalThis as Record<symbol, unknown>;
  const context = () => new RunContext({ topologyFile: 't.yaml', concurrency: 1, acceptNewHostKeys: false, progress: () => undefined });
  afterEach(() => delete globals[key]);

  it.each(['used', 'rejected', 'none'])('the loader recorded %s for the bundle: the profile says so', (state) => {
    globals[key] = new Map([
      [`${PACKAGE_ROOT}/dist/cli/ssh2-client.cjs`, 'other'],
      [`${PACKAGE_ROOT}/dist/cli/gridops.cjs`, state],
    ]);
    expect(context().profile.codeCache).toBe(state);
  });

  it('a run the CLI did not load (a test, a library user) has none', () => {
    expect(context().profile.codeCache).toBeUndefined();
    globals[key] = new Map([[`${PACKAGE_ROOT}/dist/cli/ssh2-client.cjs`, 'used']]);
    expect(context().profile.codeCache).toBeUndefined();
  });
});
