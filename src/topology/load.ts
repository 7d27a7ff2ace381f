import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputFileError, ValidationError } from '../errors/index.js';
import { inputFileTrouble } from '../fs/input-file.js';
import type { Grid } from './model.js';
import { inReadingOrder, withoutRepeats, type Problem } from '../errors/problem.js';
import { resolveTopology } from './resolve.js';
import { makeSchemaChecker } from './schema-check.js';
import type { RawTopology } from './schema.js';
import { PUBLISHED_SCHEMA_FILE } from './json-schema-file.js';
import { reservedNetworkProblems } from './reserved-network.js';
import { semanticProblems } from './semantic-check.js';
import { kernelSpellingProblems } from './kernel-spelling-check.js';
import { listenerProblems } from './listener-check.js';
import { agentPortProblems } from './agent-port-check.js';
import { agentVersionProblems } from './agent-version-check.js';
import { httpAddressProblems } from './http-address-check.js';
import { healthTimeoutProblems } from './health-timeout-check.js';
import { seedPortWarnings } from './seed-port-check.js';
import { gridWarnings } from './advice.js';
import { inertSettings } from './inert-settings.js';
import { unappliedSettings } from './unapplied-settings.js';
import { insideTagged, MAX_FILE_BYTES, parseSource, type SourceDocument } from './source.js';
import { soundPart } from './sound-part.js';
import { decodeTopology } from './file-text.js';
import { cachedTopology, keepTopology } from './validated-cache.js';

export interface TopologyCheck {
  grid?: Grid;
  problems: Problem[];
  /** A valid grid that is probably not what is meant (advice.ts), or asks for what gridops does not apply yet (unapplied-settings.ts). */
  warnings: Problem[];
  /**
   * The topology's own playbooks, each where it is written: the grid's, or for a topology with
   * problems the entries that have none of their own, so that they are checked in the same run.
   */
  playbooks: Grid['playbooks'];
  /**
   * For a topology with problems, what of it resolves (sound-part.ts): the checks a run makes after
   * loading (the key file, the sandbox images) run on it too, so one run reports every problem.
   */
  soundGrid?: Grid;
}

let checkSchema: ReturnType<typeof makeSchemaChecker> | undefined;

/**
 * Parses and checks a topology held in memory; `file` is only used in positions, and `bytes`, the
 * file's bytes the text was decoded from (a byte order mark included), only in the grid's
 * sourceHash (model.ts), so a state recorded by an earlier gridops still matches. Every problem
 * the file shows is reported at once: a check that needs an earlier one to have passed runs on
 * what did pass (sound-part.ts), and is skipped only where it could not know.
 */
export function checkTopologyText(file: string, text: string, bytes: string | Uint8Array = text): TopologyCheck {
  const { source, problems: parsed } = parseSource(file, text);
  // No value: a syntax error, or not a mapping. Nothing more can be known from the file.
  if (source.value === undefined) return { problems: inReadingOrder(parsed), warnings: [], playbooks: [] };
  // The committed JSON Schema (kept equal to the TypeBox definition by a test): loading it is
  // cheaper than building the TypeBox objects, which matters for a sub-second `validate`.
  checkSchema ??= makeSchemaChecker(JSON.parse(readFileSync(PUBLISHED_SCHEMA_FILE, 'utf8')), 'topology', {
    // Settings are inherited downwards: what a merge key would share is written once higher up.
    mergeKeyHint: 'write the keys out here, or put what several entries share once in `defaults`, a region or a sub-grid: the nodes below inherit it',
  });
  const shape = checkSchema(source);
  // A value written with a refused tag (a Buffer, a Set, a Date) breaks the schema too: its tag says why.
  const found = withoutRepeats([...parsed, ...shape.filter((p) => !insideTagged(source, p.line, p.column)), ...semanticProblems(source.value, source), ...kernelSpellingProblems(source.value, source)]);
  if (found.length === 0) {
    const grid = resolveTopology(source.value as RawTopology, source, bytes);
    // Listener clashes, one agent port grid-wide, the agent's version, the reserved network and the agent's HTTP address need the settings each node inherits, so they are checked on the resolved grid (and the rollout's health timeout, in milliseconds there: a warning, since only apply --rolling needs it).
    const clashes = resolvedProblems(grid, source);
    if (clashes.length) return { problems: inReadingOrder(withoutRepeats(clashes)), warnings: [], playbooks: grid.playbooks, soundGrid: grid };
    return { grid, problems: [], warnings: inReadingOrder(withoutRepeats([...gridWarnings(grid), ...unappliedSettings(grid, source), ...inertSettings(grid, source), ...healthTimeoutProblems(grid, source), ...seedPortWarnings(grid, source)])), playbooks: grid.playbooks };
  }
  const sound = soundPart(source.value, shape);
  if (!sound) return { problems: inReadingOrder(found), warnings: [], playbooks: [] };
  const partial = resolveTopology(sound.raw, source, bytes, sound.unsound);
  return { problems: inReadingOrder(withoutRepeats([...found, ...resolvedProblems(partial, source)])), warnings: [], playbooks: partial.playbooks, soundGrid: partial };
}

/**
 * The checks of a resolved grid (or of its sound part): they need the settings each node inherits.
 * The one key file and a sandbox's image are not here: only the runs that read them check them
 * (phases/local-files.ts, on the grid or on soundGrid), so reset, state and status commands are not held up.
 */
function resolvedProblems(grid: Grid, source: SourceDocument): Problem[] {
  return [...listenerProblems(grid, source), ...agentPortProblems(grid, source), ...agentVersionProblems(grid, source), ...reservedNetworkProblems(grid, source), ...httpAddressProblems(grid, source)];
}

/** How a file is checked: `cached`, from a validation of the same bytes by the same build where one was kept (validated-cache.ts). */
export interface CheckOptions {
  cached?: boolean;
}

/** Reads and checks a topology file, returning every problem found (never throwing for bad content). */
export async function checkTopologyFile(file: string, options: CheckOptions = {}): Promise<TopologyCheck> {
  let bytes: Buffer;
  // stat and read under one catch: a file stat can see but read(2) refuses (EACCES) is said as such too.
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw await directoryGiven(file);
    const trouble = inputFileTrouble(info);
    if (trouble) throw new InputFileError(`topology file ${file} ${trouble.why}`, trouble.hint);
    if (info.size > MAX_FILE_BYTES) {
      return { warnings: [], playbooks: [], problems: [{ file, line: 1, column: 1, path: '', message: `file is ${info.size} bytes, above the ${MAX_FILE_BYTES}-byte limit`, hint: 'split the grid or check that this is the right file' }] };
    }
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    const trouble = inputFileTrouble(err as NodeJS.ErrnoException);
    if (trouble) throw new InputFileError(`topology file ${file} ${trouble.why}`, trouble.hint, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? (err as Error).message})`;
    throw new InputFileError(`topology file ${file} ${what}`, 'check the path; `gridops lab up` writes a ready topology you can start from', { cause: err });
  }
  const decoded = decodeTopology(file, bytes);
  if ('problem' in decoded) return { problems: [decoded.problem], warnings: [], playbooks: [] };
  const { text } = decoded;
  // The cache is keyed by the text: a BOM added or removed keeps the text, not the bytes the hash is taken over.
  const kept = options.cached ? cachedTopology(file, text) : undefined;
  if (kept && kept.grid.sourceHash === createHash('sha256').update(bytes).digest('hex')) return { ...kept, problems: [], playbooks: kept.grid.playbooks };
  const checked = checkTopologyText(file, text, bytes);
  if (options.cached && checked.grid) keepTopology(file, text, { grid: checked.grid, warnings: checked.warnings });
  return checked;
}

/** The error for a directory given where a topology file belongs, naming the YAML files in it. */
async function directoryGiven(dir: string): Promise<InputFileError> {
  const yaml = (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/.test(f)).sort();
  const hint = yaml.length ? `give one of its YAML files, e.g. ${join(dir, yaml[0]!)}` : 'give the topology YAML file, not its folder';
  return new InputFileError(`${dir} is a directory, not a topology file`, hint);
}

/** The resolved grid, or a ValidationError listing every problem. Nothing touches a host before this returns. */
export async function loadTopology(file: string): Promise<Grid> {
  const { grid, problems } = await checkTopologyFile(file);
  if (!grid) throw new ValidationError(problems, file);
  return grid;
}
