import { Flags } from '@oclif/core';
import { GridopsCommand } from '../../src/base-command.js';

const root = new URL('../../', import.meta.url).pathname;

/** A command with apply's `-y`, that returns whether it runs verbose. */
class Probe extends GridopsCommand<{ verbose: boolean }> {
  static override flags = {
    yes: Flags.boolean({ char: 'y', default: false }),
  };

  async run(): Promise<{ verbose: boolean }> {
    await this.parse(Probe);
    return { verbose: this.isVerbose() };
  }
}

/**
 * `-v` is read as oclif parses it: grouped with other short flags (`apply -yv`, `--json -vy`) it
 * was ignored, since only an argument that was exactly `-v` or `--verbose` counted.
 */
describe('-v/--verbose as the parser reads it', () => {
  const verbose = async (...argv: string[]) => (await Probe.run(argv, root)).verbose;

  it('grouped with other short flags', async () => {
    expect(await verbose('-yv')).toBe(true);
    expect(await verbose('--json', '-vy')).toBe(true);
  });

  it('alone, or long', async () => {
    expect(await verbose('-v')).toBe(true);
    expect(await verbose('--verbose')).toBe(true);
    expect(await verbose('-y')).toBe(false);
    expect(await verbose('--json', '-y')).toBe(false);
  });
});
