import type { StepRecorder } from './step-recorder.js';
import { PlanningError } from '../errors/index.js';
import type { PackageChange } from '../plan/change.js';
import { packageManagerFor, packageProbe } from './package-managers.js';
import type { PlanContext, Resource } from './resource.js';
import { resourceId } from './resource-id.js';

/** OS packages that must be installed, through the host's package manager. */
export class PackageResource implements Resource<PackageChange> {
  readonly kind = 'package' as const;
  readonly id: string;

  constructor(private readonly packages: string[]) {
    this.id = resourceId.package(packages);
  }

  private manager(ctx: PlanContext) {
    const manager = packageManagerFor(ctx.facts);
    if (!manager) throw new PlanningError(`${ctx.node.name}: no supported package manager (found ${ctx.facts.packageManager ?? 'none'} on ${ctx.facts.os.id})`, 'gridops installs packages with apt or dnf; install them by hand or use a supported OS');
    return manager;
  }

  probe(): string {
    return packageProbe(this.packages);
  }

  diff(stdout: string, ctx: PlanContext): PackageChange | null {
    const states = new Map(
      stdout
        .split('\n')
        .map((l) => l.trim().split(' '))
        .filter((words): words is [string, string] => words.length === 2),
    );
    // No status line: the probe found neither dpkg-query nor rpm (it prints nothing then), so
    // nothing is known about the package; planning nothing would skip it without a word.
    const unknown = this.packages.filter((p) => !states.has(p));
    if (unknown.length) {
      const manager = this.manager(ctx);
      throw new PlanningError(`${ctx.node.name}: no package status for ${unknown.join(', ')} (the ${manager.name} query printed nothing for it)`, `check that ${manager.name === 'apt' ? 'dpkg-query' : 'rpm'} runs on ${ctx.node.name}`);
    }
    const missing = this.packages.filter((p) => states.get(p) === 'missing');
    if (missing.length === 0) return null;
    return {
      kind: 'package',
      id: this.id,
      action: 'create',
      summary: `install ${missing.join(', ')}`,
      manager: this.manager(ctx).name,
      packages: missing,
      fields: missing.map((p) => ({ name: p, before: null, after: 'installed' })),
    };
  }

  async apply(change: PackageChange, recorder: StepRecorder, ctx: PlanContext): Promise<void> {
    await this.manager(ctx).install(change.packages, recorder);
  }
}
