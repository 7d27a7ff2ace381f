#!/usr/bin/env node
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commandWords } from './command-words.js';
import { requireCached } from './require-cached.js';

// oclif checks its own engines range with semver on every start (about 40 ms of CPU, 8% of a
// command's start-up); gridops' own requirement (package.json engines, Node 20.12: execa and
// dependency-cruiser need it) is checked here.
const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number);
if (nodeMajor < 20 || (nodeMajor === 20 && nodeMinor < 12)) process.emitWarning(`gridops needs Node 20.12 or later; this is Node ${process.versions.node}`);
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';

// The bundle's import() calls go through this module's import() (bundle-cli.js says why).
const bundle = fileURLToPath(new URL('../dist/cli/gridops.cjs', import.meta.url));
// The build this is, and where, for what gridops keeps between runs of the same build
// (src/topology/validated-cache.ts): scripts/build-id.js writes it after the bundle; one older than
// the bundle is from an earlier build, and none means no such keeping.
try {
  const idFile = fileURLToPath(new URL('../dist/build-id', import.meta.url));
  if (statSync(idFile).mtimeMs >= statSync(bundle).mtimeMs) globalThis[Symbol.for('gridops.build')] = `${readFileSync(idFile, 'utf8').trim()}|${bundle}`;
} catch {
  // no build id
}
// Where NODE_ENV is "development" or "test", oclif looks for a command's TypeScript source beside
// its compiled file, so that a plugin's author can run it uncompiled: it requires the typescript
// package (from a checkout's devDependencies) to read tsconfig.json, then finds neither tsx nor
// ts-node and runs the bundle anyway. That was 145 ms of every command for a user whose shell sets
// NODE_ENV=development, and of every CLI run in the tests. gridops runs only its built bundle.
globalThis.oclif = { ...globalThis.oclif, enableAutoTranspile: false };
const cli = requireCached(bundle, (specifier) => import(specifier));
const root = fileURLToPath(new URL('..', import.meta.url));
/** package.json, as oclif would read it, for a run that loads it here (ownCommandOnly). */
const packageJson = () => JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
/** The words the command line names its command with, found here (bin/command-words.js says why). */
const words = process.argv.slice(2);
const named = commandWords(words, Object.keys(cli.COMMANDS));
/**
 * `--help` before any `--` (after it, a word is an argument, as oclif reads it). `-h` is no help
 * flag: oclif has none by default, and gridops' commands refuse it naming `--help`.
 */
const helpFlag = (list) => {
  const end = list.indexOf('--');
  return (end < 0 ? list : list.slice(0, end)).includes('--help');
};
const helpAsked = helpFlag(words);

/**
 * oclif loads its core plugins (help, not-found, autocomplete: package.json oclif.plugins) on
 * every start, finding each package's root and manifest: 5 ms of a 50-host plan's start-up
 * (2026-12-06), before it connects. None of them has a hook a command of gridops' own runs
 * (not-found's runs only for an unknown command), so a run of one of those, without a help flag,
 * gets the root plugin alone. Anything else (help, autocomplete, a typo, `--help`) loads them all.
 * The command goes to oclif as found here, with ':' as its topic separator, so that oclif does not
 * search again: the words after it are the command's arguments (`schema extra` is then the
 * command's own "unexpected argument extra" usage error, exit 64).
 */
function ownCommandOnly() {
  if (!named?.known || helpAsked) return undefined;
  const pjson = packageJson();
  delete pjson.oclif.plugins;
  return asFound(pjson);
}

/** The command as found here, for oclif to run with ':' as its topic separator (so that it does not search again) and `pjson` as package.json. */
function asFound(pjson) {
  pjson.oclif.topicSeparator = ':';
  return { args: [named.id, ...named.rest], loadOptions: { root, pjson } };
}

/**
 * A command neither gridops nor its plugins have, named as typed without the words after it
 * (oclif glued them on: "valdate x is not a gridops command"). Off a terminal, said here in
 * gridops' error format with the command meant, which plugin-not-found only asks a terminal about;
 * on one, plugin-not-found asks "Did you mean validate?" and runs it, with the words after it.
 */
async function unknownCommand() {
  if (named === undefined || named.known) return undefined;
  let pjson;
  // One that cannot be read leaves the command to oclif, as a plugin manifest that cannot be read does.
  try {
    pjson = packageJson();
  } catch {
    return undefined;
  }
  const pluginIds = pluginCommandIds(pjson);
  if (pluginIds === undefined || pluginIds.includes(named.id)) return undefined;
  const spaced = (id) => id.replaceAll(':', ' ');
  // With --help, oclif shows help before plugin-not-found could ask, and says "Command valdate not found": said here on a terminal too.
  if (process.stdin.isTTY && !helpFlag(named.rest)) {
    // oclif takes an id with ':' as it is; one without, only with ':' as the separator.
    if (named.id.includes(':')) return { args: [named.id, ...named.rest], dir: import.meta.url };
    return asFound(pjson);
  }
  const { closest } = await import('fastest-levenshtein');
  const meant = spaced(closest(named.id, [...Object.keys(cli.COMMANDS), ...pluginIds]));
  const topic = named.id.includes(':') ? ` ${spaced(named.id.slice(0, named.id.lastIndexOf(':')))}` : '';
  const message = `${spaced(named.id)} is not a gridops command`;
  const hint = `Did you mean ${meant}? \`gridops help${topic}\` lists the commands`;
  if (named.rest.includes('--json')) process.stdout.write(`${JSON.stringify({ error: 'UnknownCommandError', code: 'UNKNOWN_COMMAND', message, hint }, null, 2)}\n`);
  else process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  process.exitCode = 127;
  return 'said';
}

/** The commands of the core plugins (`help`, `autocomplete`) that package.json (`pjson`) names, from their manifests; undefined where one cannot be read. */
function pluginCommandIds(pjson) {
  try {
    return pjson.oclif.plugins.flatMap((name) => Object.keys(JSON.parse(readFileSync(`${root}node_modules/${name}/oclif.manifest.json`, 'utf8')).commands));
  } catch {
    return undefined;
  }
}

/**
 * `--help` after a command and words it takes no argument for (`schema extra --help`), or the help
 * command before them (`help schema extra`): oclif's help search glues the words onto the
 * command's name ("command schema:extra not found", exit 64). The command's own help is what git
 * and kubectl give: the words after its name are left out.
 */
function helpOfCommand() {
  const ofHelp = words[0] === 'help' && named?.id === 'help' ? commandWords(words.slice(1), Object.keys(cli.COMMANDS)) : undefined;
  const command = ofHelp?.known ? ofHelp : named?.known && helpAsked ? named : undefined;
  return command && { args: [...command.id.split(':'), '--help'], dir: import.meta.url };
}

const own = ownCommandOnly() ?? helpOfCommand();
const unknown = own ? undefined : await unknownCommand();
if (unknown !== 'said') await cli.execute(own ?? unknown ?? { dir: import.meta.url });

// A finished command whose event loop holds nothing but the standard streams ends here, as Node
// would end it next, but without tearing down V8's heap page by page (a 50-host plan's heap is
// 20 MB: 10 -> 1.5 ms from its last output to its exit, 2026-12-06); the kernel frees it whole. Anything still pending (a
// socket closing, a timer, a child) keeps the natural exit, which waits for it.
const pending = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
if (pending.length === 0 && process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();

