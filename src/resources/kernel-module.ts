import type { StepRecorder } from './step-recorder.js';
import { PlanningError } from '../errors/index.js';
import type { FieldChange, KernelModuleChange } from '../plan/change.js';
import { quote } from '../transport/quote.js';
import { fileProbe, parseFileState } from './file-state.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import type { PlanContext, Resource } from './resource.js';


/**
 * A kernel module loaded now and at boot (modules-load.d), with its options in modprobe.d.
 * A module built into the kernel needs nothing, and the plan says so. A kernel that cannot
 * load modules, asked for a module it does not have built in, is a planning error.
 */
export class KernelModuleResource implements Resource<KernelModuleChange> {
  readonly kind = 'kernel-module' as const;
  readonly id: string;
  private readonly name: string;
  readonly loadFile: string;
  readonly optionsFile: string;

  constructor(
    module: string,
    private readonly params: Record<string, string | number | boolean> = {},
  ) {
    this.name = module.replace(/-/g, '_');
    this.id = `kernel-module ${this.name}`;
    this.loadFile = `/etc/modules-load.d/gridops-${this.name}.conf`;
    // modprobe reads its config files sorted by name and the last options win; systemd ships
    // systemd.conf (e.g. `options dummy numdummies=0`), so ours must sort after it.
    this.optionsFile = `/etc/modprobe.d/zz-gridops-${this.name}.conf`;
  }

  private loadContent(): string {
    return `# managed by gridops\n${this.name}\n`;
  }

  private optionsContent(): string | null {
    const entries = Object.entries(this.params);
    if (entries.length === 0) return null;
    return `# managed by gridops\noptions ${this.name} ${entries.map(([k, v]) => `${k}=${v === true ? 'Y' : v === false ? 'N' : v}`).join(' ')}\n`;
  }

  probe(): string {
    return probeSections(
      `if [ -e ${quote(`/sys/module/${this.name}/initstate`)} ] || grep -q ${quote(`^${this.name} `)} /proc/modules 2>/dev/null; then echo loaded; else echo not-loaded; fi`,
      fileProbe(this.loadFile),
      fileProbe(this.optionsFile),
    );
  }

  diff(stdout: string, ctx: PlanContext): KernelModuleChange | null {
    const kernel = ctx.facts.kernel;
    const [loadedPart = '', loadPart = '', optionsPart = ''] = splitProbeSections(stdout);
    const loaded = loadedPart.trim() === 'loaded';
    const builtIn = kernel.builtinModules.includes(this.name) && !kernel.loadedModules.includes(this.name);
    if (builtIn) {
      const paramsNote = Object.keys(this.params).length ? '; its options must go on the kernel command line' : '';
      return { kind: 'kernel-module', id: this.id, action: 'none', module: this.name, steps: [], fields: [], summary: `${this.name} is built into kernel ${kernel.release}: nothing to load${paramsNote}` };
    }
    if (!kernel.loadableModules && !loaded) {
      throw new PlanningError(
        `${ctx.node.name}: kernel ${kernel.release} cannot load modules, and ${this.name} is not built in`,
        `remove ${this.name} from kernel.modules for this node, or boot a kernel that has it built in or supports loadable modules`,
      );
    }
    const steps: KernelModuleChange['steps'] = [];
    const fields: FieldChange[] = [];
    if (!loaded) (steps.push('load'), fields.push({ name: 'loaded', before: 'no', after: 'yes' }));
    const persisted = parseFileState(loadPart);
    if (persisted.content?.toString() !== this.loadContent()) (steps.push('persist'), fields.push({ name: this.loadFile, before: persisted.exists ? 'differs' : null, after: this.name }));
    const options = parseFileState(optionsPart);
    const wantOptions = this.optionsContent();
    if ((wantOptions === null && options.exists) || (wantOptions !== null && options.content?.toString() !== wantOptions)) {
      steps.push('options');
      fields.push({ name: this.optionsFile, before: options.content?.toString().trim().split('\n').pop() ?? null, after: wantOptions?.trim().split('\n').pop() ?? null });
    }
    if (steps.length === 0) return null;
    return { kind: 'kernel-module', id: this.id, action: loaded ? 'update' : 'create', module: this.name, steps, fields, summary: `${steps.includes('load') ? 'load' : 'configure'} module ${this.name}` };
  }

  async apply(change: KernelModuleChange, recorder: StepRecorder): Promise<void> {
    // Options first, so a module loaded now starts with them.
    if (change.steps.includes('options')) {
      const content = this.optionsContent();
      if (content === null) await recorder.run(`rm -f -- ${quote(this.optionsFile)}`, `remove ${this.optionsFile}`);
      else await recorder.write(this.optionsFile, Buffer.from(content), '0644');
    }
    if (change.steps.includes('persist')) await recorder.write(this.loadFile, Buffer.from(this.loadContent()), '0644');
    if (change.steps.includes('load')) await recorder.run(`modprobe -- ${quote(this.name)}`, `modprobe ${this.name}`);
  }
}
