import { Args, Flags, Parser } from '@oclif/core';
import { commandLineError, type RefusedCommand } from '../src/command-line-error.js';
import { ExitCode, UsageError } from '../src/errors/index.js';

/**
 * The errors come from oclif's real parser, run on a command shaped like gridops' own (a topology
 * argument, --out, an integer --concurrency, --site/--limit/--allow-existing-changes as `apply`
 * relates them), so a wording oclif changes shows up here rather than in front of a user.
 */
const flags = {
  out: Flags.string({ description: 'save the plan as JSON' }),
  concurrency: Flags.integer({ description: 'hosts worked on at once', default: 50, min: 1, max: 1000 }),
  format: Flags.string({ description: 'output format', options: ['dot', 'svg'], default: 'dot' }),
  wait: Flags.string({ description: 'wait up to this long (e.g. 30s) until every agent answers' }),
  limit: Flags.string({ description: 'only these nodes', multiple: true, multipleNonGreedy: true }),
  site: Flags.string({ description: 'bootstrap a new site', exclusive: ['limit'] }),
  'allow-existing-changes': Flags.boolean({ description: 'with --site', relationships: [{ type: 'all', flags: ['site'] }] }),
};
const args = { file: Args.string({ required: true, description: 'topology file' }) };
const command: RefusedCommand = {
  id: 'plan',
  flags,
  args,
  examples: ['<%= config.bin %> plan topology.yaml', '<%= config.bin %> plan topology.yaml --out plan.json'],
  otherExamples: ['<%= config.bin %> reset topology.yaml --limit node-06 --yes'],
};

/** The UsageError gridops reports for `argv`, parsed as `command` is. */
async function refused(argv: string[], refusedCommand = command): Promise<UsageError> {
  const parse = Parser.parse(argv, { flags: refusedCommand.flags as typeof flags, args: refusedCommand.args as typeof args, strict: true });
  const err = await parse.then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error(`oclif's parser took ${argv.join(' ')}`);
  return commandLineError(err, refusedCommand);
}

describe("commandLineError: oclif's parse errors in gridops' words (exit 64)", () => {
  it('a flag with no value names the flag and shows one, from the examples', async () => {
    const err = await refused(['t.yaml', '--out']);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.exitCode).toBe(ExitCode.USAGE);
    expect(err.message).toBe('--out needs a value');
    expect(err.hint).toBe('put a value after --out, e.g. --out plan.json');
  });

  it("takes a shown value from the flag itself where the examples give none: an integer's default, an (e.g. …), another command's example", async () => {
    expect((await refused(['t.yaml', '--concurrency'])).hint).toBe('put a value after --concurrency, e.g. --concurrency 50');
    expect((await refused(['t.yaml', '--wait'])).hint).toBe('put a value after --wait, e.g. --wait 30s');
    expect((await refused(['t.yaml', '--limit'])).hint).toBe('put a value after --limit, e.g. --limit node-06');
    // A flag right after is not taken as the value.
    expect((await refused(['t.yaml', '--out', '--wait', '30s'])).message).toBe('--out needs a value');
  });

  it('points at the help where no value is known', async () => {
    const bare: RefusedCommand = { ...command, examples: [], otherExamples: [] };
    expect((await refused(['t.yaml', '--out'], bare)).hint).toBe('put a value after --out; see `gridops plan --help` for what it takes');
  });

  it("an integer flag's value outside its range, or not a number, says which and what it takes", async () => {
    const low = await refused(['t.yaml', '--concurrency', '0']);
    expect(low.message).toBe('--concurrency 0 is less than 1, the least it takes');
    expect(low.hint).toBe('give --concurrency a whole number from 1 to 1000, e.g. --concurrency 50');
    expect((await refused(['t.yaml', '--concurrency', '5000'])).message).toBe('--concurrency 5000 is more than 1000, the most it takes');
    expect((await refused(['t.yaml', '--concurrency', 'many'])).message).toBe('--concurrency many is not a whole number');
  });

  it('a value outside the options, and an option flag with none, list the options', async () => {
    const png = await refused(['t.yaml', '--format', 'png']);
    expect(png.message).toBe('--format png is not one of dot, svg');
    expect(png.hint).toBe('use one of dot, svg, e.g. --format dot');
    expect((await refused(['t.yaml', '--format'])).message).toBe('--format needs a value: one of dot, svg');
  });

  it('a flag given twice, an unknown flag, an extra argument', async () => {
    expect((await refused(['t.yaml', '--out', 'a', '--out', 'b'])).message).toBe('--out is given more than once: it takes one value');
    const unknown = await refused(['t.yaml', '--bogus']);
    expect(unknown.message).toBe('gridops plan has no flag --bogus');
    expect(unknown.hint).toBe('leave it out; see `gridops plan --help` for the flags it takes');
    const extra = await refused(['t.yaml', 'b']);
    expect(extra.message).toBe('unexpected argument b: gridops plan takes FILE only');
    expect(extra.hint).toBe('leave it out, as in: gridops plan topology.yaml');
  });

  it("a command that takes no argument says so (schema's `extra`)", async () => {
    const schema: RefusedCommand = { id: 'schema', flags: {}, args: {}, examples: [] };
    const err = commandLineError(await Parser.parse(['extra'], { flags: {}, args: {}, strict: true }).then(() => new Error('taken'), (e: Error) => e), schema);
    expect(err.message).toBe('unexpected argument extra: gridops schema takes no argument');
    expect(err.hint).toBe('leave it out: gridops schema');
  });

  it("flag relationships: what goes with what, and a hint that adds or removes one (no oclif 'must be provided when using')", async () => {
    const alone = await refused(['t.yaml', '--allow-existing-changes']);
    expect(alone.message).toBe('--allow-existing-changes works only with --site');
    expect(alone.hint).toBe('add --site, or leave out --allow-existing-changes');
    const both = await refused(['t.yaml', '--site', 'r1', '--limit', 'n1']);
    expect(both.message).toBe('--site and --limit cannot be used together');
    expect(both.hint).toBe('leave out --limit or --site');
    expect(`${both.message} ${both.hint}`).not.toMatch(/provided|n1/);
  });

  it('a missing argument names it, with an example that works', async () => {
    const err = await refused([]);
    expect(err.message).toBe('gridops plan: missing FILE, the topology file');
    expect(err.hint).toBe('for example: gridops plan topology.yaml');
  });

  it("keeps a flag's own UsageError, without oclif's wrapping", async () => {
    const own = { ...command, flags: { ...flags, dir: Flags.string({ parse: async (v) => Promise.reject(new UsageError(`--dir ${v} is not a directory`, 'give --dir a directory')) }) } };
    const err = await refused(['t.yaml', '--dir', '/etc/passwd'], own);
    expect(err.message).toBe('--dir /etc/passwd is not a directory');
    expect(err.hint).toBe('give --dir a directory');
  });
});
