import type { KernelModuleChange } from '../plan/change.js';
import type { KernelConfig } from '../topology/model.js';
import { KernelModuleResource } from './kernel-module.js';
import type { PlanContext, Resource } from './resource.js';
import type { StepRecorder } from './step-recorder.js';

/** A module's name as modprobe reads it: `-` and `_` are the same character (kvm-intel is kvm_intel). */
export const moduleKey = (name: string) => name.replace(/-/g, '_');

/**
 * The modprobe.d options of a module that kernel.params names and kernel.modules does not: the
 * same file, content and kmod check as a listed module's options (so listing the module later
 * changes nothing in it), but the module is neither loaded nor persisted in modules-load.d.
 * Options removed from kernel.params are removed from the file, as for a listed module.
 */
export class ModuleOptionsResource implements Resource<KernelModuleChange> {
  readonly kind = 'kernel-module' as const;
  readonly id: string;
  private readonly module: KernelModuleResource;

  constructor(
    private readonly name: string,
    params: KernelConfig['params'][string],
  ) {
    this.module = new KernelModuleResource(name, params);
    // Not the module's own id: a playbook's kernel-module entry for it plans the same file, content and all.
    this.id = `module-options ${moduleKey(name)}`;
  }

  probe(): string {
    return this.module.probe();
  }

  diff(stdout: string, ctx: PlanContext): KernelModuleChange | null {
    // Nothing is loaded here, so a kernel that cannot load modules is no planning error; a module
    // built into the kernel still gets the note that its options belong on the kernel command line.
    const change = this.module.diff(stdout, { ...ctx, facts: { ...ctx.facts, kernel: { ...ctx.facts.kernel, loadableModules: true } } });
    if (!change || change.action === 'none') return change;
    const options = change.fields.find((f) => f.name === this.module.optionsFile);
    if (!options) return null;
    const action = options.before === null ? 'create' : options.after === null ? 'delete' : 'update';
    const summary = `${action === 'delete' ? 'remove' : 'set'} options of module ${moduleKey(this.name)} (gridops does not load it; they apply when it is next loaded)`;
    return { ...change, id: this.id, action, steps: ['options'], fields: [options], summary };
  }

  /** Only the `options` step: the options file is written (checked by kmod) or removed. */
  async apply(change: KernelModuleChange, recorder: StepRecorder): Promise<void> {
    await this.module.apply(change, recorder);
  }
}
