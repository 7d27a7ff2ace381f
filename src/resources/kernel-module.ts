import type { StepRecorder } from './step-recorder.js';
import { PlanningError } from '../errors/index.js';
import type { FieldChange, KernelModuleChange } from '../plan/change.js';
import { moduleKey } from '../topology/kernel-names.js';
import { quote } from '../transport/quote.js';
import { fileProbe, parseFileState } from './file-state.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import type { PlanContext, Resource } from './resource.js';
import { builtinModuleLine } from './module-presence.js';
import { resourceId } from './resource-id.js';


/** The files gridops writes for a module: its modules-load.d file (loaded at boot) and its modprobe.d options. */
export function moduleFiles(module: string): { loadFile: string; optionsFile: string } {
  const name = moduleKey(module);
  // modprobe reads its config files sorted by name and the last options win; systemd ships
  // systemd.conf (e.g. `options dummy numdummies=0`), so ours must sort after it.
  return { loadFile: `/etc/modules-load.d/gridops-${name}.conf`, optionsFile: `/etc/modprobe.d/zz-gridops-${name}.conf` };
}

/**
 * A kernel module loaded now and at boot (modules-load.d), with its options in modprobe.d.
 * A module built into the kernel needs nothing, and the plan says so. A kernel that cannot
 * load modules, asked for a module it does not have built in, is a planning error.
 *
 * With `load: false` (kernel.params naming a module kernel.modules does not list), only its
 * options: the same file, content and kmod check as a listed module's (so listing the module later
 * changes nothing in it), applied whenever something else loads it (udev for its hardware, a
 * dependency, an operator); the module is neither loaded nor persisted, so a kernel that cannot
 * load modules is no planning error. Its id is not the module's own: a playbook's kernel-module
 * entry for the same module plans the same file, content and all.
 */
export class KernelModuleResource implements Resource<KernelModuleChange> {
  readonly kind = 'kernel-module' as const;
  readonly id: string;
  private readonly name: string;
  readonly loadFile: string;
  readonly optionsFile: string;
  /** Both files (the options file is removed when there are none); options-only, that one. */
  readonly writes: readonly string[];

  private readonly load: boolean;

  constructor(
    module: string,
    private readonly params: Record<string, string | number | boolean> = {},
    options: { load?: boolean } = {},
  ) {
    this.name = moduleKey(module);
    this.load = options.load ?? true;
    this.id = resourceId.kernelModule(this.name, this.load);
    ({ loadFile: this.loadFile, optionsFile: this.optionsFile } = moduleFiles(this.name));
    this.writes = this.load ? [this.loadFile, this.optionsFile] : [this.optionsFile];
  }

  private loadContent(): string {
    return `# managed by gridops\n${this.name}\n`;
  }

  /** `key=value` for each option, booleans as Y/N (validate allows one word per value). */
  private optionWords(): string[] {
    return Object.entries(this.params).map(([k, v]) => `${k}=${v === true ? 'Y' : v === false ? 'N' : v}`);
  }

  private optionsContent(): string | null {
    const words = this.optionWords();
    if (words.length === 0) return null;
    return `# managed by gridops\noptions ${this.name} ${words.join(' ')}\n`;
  }

  probe(): string {
    if (!this.load) return fileProbe(this.optionsFile);
    return probeSections(
      // `loaded`: in the running kernel, loaded (/proc/modules) or built in (modules.builtin: one
      // without parameters has no /sys/module/NAME/initstate, nor any /sys/module entry). Else the
      // names it resolves to: a built-in alias's module from modules.builtin.alias (crc32c is
      // crc32c_generic), then modprobe's (an alias of a loadable module: /proc/modules lists the
      // module), or `absent` where modprobe finds nothing (module-presence.ts: only where this root
      // has the kernel's modules tree). So a module loaded or built in, by its name or an alias's,
      // runs no modprobe: it loads the kernel's whole module index each time.
      [
        `kr=; read -r kr < /proc/sys/kernel/osrelease; m="/lib/modules/$kr"`,
        `if [ -e ${quote(`/sys/module/${this.name}/initstate`)} ] || grep -qs -e ${quote(`^${this.name} `)} -e ${quote(builtinModuleLine(this.name))} /proc/modules "$m/modules.builtin"; then echo loaded; else echo not-loaded`,
        `kb=$(sed -n ${quote(`s/^alias ${this.name.replace(/[-_]/g, '[-_]')} //p`)} "$m/modules.builtin.alias" 2>/dev/null)`,
        `if [ -n "$kb" ]; then for km in $kb; do echo "resolves $km"; done; elif command -v modprobe >/dev/null 2>&1; then kres=$(modprobe -R -- ${quote(this.name)} 2>/dev/null) && for km in $kres; do echo "resolves $km"; done; [ -n "$kres" ] || modprobe -n -q -- ${quote(this.name)} 2>/dev/null || { [ -e "$m/modules.dep" ] && echo absent; }; fi; fi`,
      ].join('\n'),
      fileProbe(this.loadFile),
      fileProbe(this.optionsFile),
    );
  }

  diff(stdout: string, ctx: PlanContext): KernelModuleChange | null {
    const kernel = ctx.facts.kernel;
    const builtIn = kernel.builtinModules.includes(this.name) && !kernel.loadedModules.includes(this.name);
    if (builtIn) {
      const paramsNote = Object.keys(this.params).length ? '; its options must go on the kernel command line' : '';
      return { kind: 'kernel-module', id: this.id, action: 'none', module: this.name, steps: [], fields: [], summary: `${this.name} is built into kernel ${kernel.release}: nothing to load${paramsNote}` };
    }
    if (!this.load) return this.optionsOnlyDiff(stdout);
    const [loadedPart = '', loadPart = '', optionsPart = ''] = splitProbeSections(stdout);
    const [state = '', ...resolution] = loadedPart.trim().split('\n').map((l) => l.trim());
    // An alias is loaded when a module it resolves to is (or is built in): its literal name never shows in /proc/modules.
    const resolved = resolution.flatMap((l) => (l.startsWith('resolves ') ? [moduleKey(l.slice('resolves '.length))] : []));
    const loaded = state === 'loaded' || resolved.some((m) => m !== this.name && (kernel.loadedModules.includes(m) || kernel.builtinModules.includes(m)));
    if (!kernel.loadableModules && !loaded) {
      throw new PlanningError(
        `${ctx.node.name}: kernel ${kernel.release} cannot load modules, and ${this.name} is not built in`,
        `remove ${this.name} from kernel.modules for this node, or boot a kernel that has it built in or supports loadable modules`,
      );
    }
    if (!loaded && resolution.includes('absent')) {
      throw new PlanningError(
        `${ctx.node.name}: kernel ${kernel.release} has no module ${this.name} (modprobe finds none, nor an alias of that name)`,
        `check the name in kernel.modules (or the playbook's kernel-module entry), install this kernel's extra modules (e.g. Ubuntu's linux-modules-extra-${kernel.release}), or remove ${this.name} for this node`,
      );
    }
    const steps: KernelModuleChange['steps'] = [];
    const fields: FieldChange[] = [];
    if (!loaded) (steps.push('load'), fields.push({ name: 'loaded', before: 'no', after: 'yes' }));
    const persisted = parseFileState(loadPart);
    if (persisted.content?.toString() !== this.loadContent()) (steps.push('persist'), fields.push({ name: this.loadFile, before: persisted.exists ? 'differs' : null, after: this.name }));
    const options = this.optionsField(optionsPart);
    if (options) (steps.push('options'), fields.push(options));
    if (steps.length === 0) return null;
    // modprobe.d is read when a module loads: one loaded now keeps the values it was loaded with.
    const notLive = loaded && options ? ' (loaded now: its options change when it is next loaded, at the next boot or after modprobe -r)' : '';
    return { kind: 'kernel-module', id: this.id, action: loaded ? 'update' : 'create', module: this.name, steps, fields, summary: `${steps.includes('load') ? 'load' : 'configure'} module ${this.name}${notLive}` };
  }

  /** The options file's change (its `options` line before and after), or null when it is as wanted. */
  private optionsField(probed: string): FieldChange | null {
    const options = parseFileState(probed);
    const wantOptions = this.optionsContent();
    if (wantOptions === null ? !options.exists : options.content?.toString() === wantOptions) return null;
    return { name: this.optionsFile, before: options.content?.toString().trim().split('\n').pop() ?? null, after: wantOptions?.trim().split('\n').pop() ?? null };
  }

  private optionsOnlyDiff(probed: string): KernelModuleChange | null {
    const options = this.optionsField(probed);
    if (!options) return null;
    const action = options.before === null ? 'create' : options.after === null ? 'delete' : 'update';
    const summary = `${action === 'delete' ? 'remove' : 'set'} options of module ${this.name} (gridops does not load it; they apply when it is next loaded)`;
    return { kind: 'kernel-module', id: this.id, action, module: this.name, steps: ['options'], fields: [options], summary };
  }

  async apply(change: KernelModuleChange, recorder: StepRecorder): Promise<void> {
    // Load first, with the new options on the command line (they override any in modprobe.d):
    // a module that cannot load leaves no file behind.
    if (change.steps.includes('load')) await recorder.run(['modprobe', '--', this.name, ...this.optionWords()].map(quote).join(' '), `modprobe ${this.name}`);
    if (change.steps.includes('options')) {
      const content = this.optionsContent();
      if (content === null) await recorder.run(`rm -f -- ${quote(this.optionsFile)}`, `remove ${this.optionsFile}`);
      // kmod reports a line it cannot parse on stderr and still exits 0.
      else await recorder.write(this.optionsFile, Buffer.from(content), '0644', { check: 'e=$(modprobe -C "$t" --showconfig 2>&1 >/dev/null); [ -z "$e" ] || { echo "$e" >&2; false; }', checkName: 'modprobe --showconfig' });
    }
    if (change.steps.includes('persist')) await recorder.write(this.loadFile, Buffer.from(this.loadContent()), '0644');
  }
}
