import type { AbsentPathsChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import { presentLoop } from './file-queries.js';
import type { Resource } from './resource.js';
import type { StepRecorder } from './step-recorder.js';
import { resourceId } from './resource-id.js';

/** A pattern with `*` kept as a shell wildcard and every other character quoted. */
function shellPattern(pattern: string): string {
  return pattern
    .split('*')
    .map((part) => (part === '' ? '' : quote(part)))
    .join('*');
}

/** A pattern as a whole-line regular expression; `*` matches within one path segment. */
function globMatcher(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/\\n]*')}$`);
}

/**
 * Files and directories gridops made, removed (`gridops reset`, decommission). Patterns may hold
 * `*` for the files gridops names per item (`/etc/sysctl.d/90-gridops-*.conf`); the plan lists
 * the literal paths found, and apply removes exactly those.
 */
export class AbsentPathsResource implements Resource<AbsentPathsChange> {
  readonly kind = 'absent-paths' as const;
  readonly ignoresFacts = true as const;
  readonly id: string;

  /** `why`: for a sweep (retired), why each path goes; the plan says it for the paths found. */
  constructor(
    private readonly patterns: readonly string[],
    private readonly why: ReadonlyMap<string, string> = new Map(),
  ) {
    for (const p of patterns) if (!p.startsWith('/') || p === '/' || p.includes('..')) throw new RangeError(`not a removable absolute path: ${p}`);
    this.id = resourceId.absentPaths(patterns);
  }

  /**
   * A sweep: the files of items the topology no longer has (playbooks/retired-kernel.ts), literal
   * paths (so a read without a shell can serve its probe), each with why it goes and what its
   * removal leaves as it is.
   */
  static retired(why: ReadonlyMap<string, string>): AbsentPathsResource {
    for (const p of why.keys()) if (p.includes('*')) throw new RangeError(`a retired path is literal: ${p}`);
    return new AbsentPathsResource([...why.keys()], why);
  }

  /** Whether this is a sweep of retired items (retired()). */
  get sweeps(): boolean {
    return this.why.size > 0;
  }

  /** A sweep's literal paths (none for removals a playbook lists). */
  get retiredPaths(): string[] {
    return [...this.why.keys()];
  }

  /** The sweep without the paths in `kept` (another resource of the run writes them), or undefined when none is left. */
  without(kept: ReadonlySet<string>): AbsentPathsResource | undefined {
    const why = new Map([...this.why].filter(([p]) => !kept.has(p)));
    if (why.size === this.why.size) return this;
    return why.size ? AbsentPathsResource.retired(why) : undefined;
  }

  probe(): string {
    return this.patterns.map((p) => presentLoop(shellPattern(p))).join('\n');
  }

  diff(stdout: string): AbsentPathsChange | null {
    // One path a line. Only whole lines that match a pattern count: a name with a newline in it
    // (say `90-gridops-a<NL>/etc<NL>.conf`) splits into fragments that match none, and is left alone.
    const matchers = this.patterns.map(globMatcher);
    const paths = [...new Set(stdout.split('\n'))].filter((l) => l !== '' && matchers.some((m) => m.test(l)));
    if (paths.length === 0) return null;
    const why = [...new Set(paths.flatMap((p) => this.why.get(p) ?? []))];
    const summary = `remove ${paths.join(', ')}${why.length ? ` (${why.join('; ')})` : ''}`;
    return { kind: 'absent-paths', id: this.id, action: 'delete', summary, paths, fields: paths.map((p) => ({ name: p, before: 'present', after: null })), ...(why.length ? { why } : {}) };
  }

  async apply(change: AbsentPathsChange, recorder: StepRecorder): Promise<void> {
    for (const p of change.paths) await recorder.run(`rm -rf -- ${quote(p)}`, `remove ${p}`);
  }
}
