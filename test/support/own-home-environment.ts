import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestEnvironment as NodeEnvironment } from 'jest-environment-node';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';

/**
 * The unit tests' environment (jest.config.js): each test file runs with a HOME of its own, an
 * empty temp directory, so that no unit test reads the developer's ~/.ssh/config, known_hosts or
 * keys, nor writes under their ~/.cache (as system-ssh-config-path.ts keeps /etc/ssh/ssh_config out).
 *
 * Set in this worker's real environment, not in a setup file: os.homedir(), which src/transport
 * reads, asks the process's own HOME, and a test's `process.env` is a copy of it (a test that sets
 * process.env.HOME changes only what its own code reads from there, as before). Set before the
 * sandbox is made, so that copy has it too, and what the test spawns inherits it.
 */
export default class OwnHomeEnvironment extends NodeEnvironment {
  private readonly home: string;
  private readonly savedHome: string | undefined;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    const savedHome = process.env.HOME;
    const home = mkdtempSync(join(tmpdir(), 'gridops-unit-home-'));
    process.env.HOME = home;
    super(config, context);
    this.home = home;
    this.savedHome = savedHome;
  }

  override async teardown(): Promise<void> {
    // Run in band, jest runs the next test file (maybe an e2e one) in this same process.
    if (this.savedHome === undefined) delete process.env.HOME;
    else process.env.HOME = this.savedHome;
    rmSync(this.home, { recursive: true, force: true });
    await super.teardown();
  }
}
