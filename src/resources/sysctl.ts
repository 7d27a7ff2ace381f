import type { StepRecorder } from './step-recorder.js';
import { PlanningError } from '../errors/index.js';
import type { FieldChange, SysctlChange } from '../plan/change.js';
import { sysctlFile, sysctlFileKey } from '../topology/kernel-names.js';
import { quote } from '../transport/quote.js';
import { fileProbe, parseFileState } from './file-state.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import type { PlanContext, Resource } from './resource.js';
import { resourceId } from './resource-id.js';

/** The sysctl.d file gridops persists `key` in (named in topology/kernel-names.ts, which the topology's checks share). */
export { sysctlFile };

/**
 * The name an older gridops persisted `key` under, which 99-sysctl.conf overrode. A file of that
 * name is gridops' own: the next apply removes it (after the new one lands), and so do the sweeps.
 */
export const legacySysctlFile = (key: string) => `/etc/sysctl.d/90-gridops-${sysctlFileKey(key)}.conf`;

/** Both names gridops has written `key` under: what a sweep of a dropped key removes. */
export const sysctlFiles = (key: string) => [sysctlFile(key), legacySysctlFile(key)];

/**
 * The file under /proc/sys that holds `key`, by procps' rule: the first separator decides the
 * form. Slash form (`net/ipv4/conf/eth0.100/forwarding`) is the path as it is, so an interface
 * name with a dot keeps it; in dotted form dots and slashes swap (`net.ipv4.conf.eth0/100.forwarding`).
 */
export function sysctlProcPath(key: string): string {
  const path = key.startsWith('/', key.search(/[./]/)) ? key : key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
  return `/proc/sys/${path}`;
}

/**
 * What the probe prints for a parameter whose /proc/sys file is there but cannot be read, even by
 * root: a write-only one (mode 0200: net.ipv4.route.flush, vm.compact_memory), a trigger rather than
 * a setting. Its value cannot be read, so no plan could find it set.
 */
const WRITE_ONLY = '@@write-only@@';

/** A value as the kernel prints it and compares it: its words, single-spaced (multi-value parameters print with tabs). */
const words = (value: string) => value.trim().replace(/\s+/g, ' ');

/** A kernel parameter set now (sysctl -w) and persisted in /etc/sysctl.d. */
export class SysctlResource implements Resource<SysctlChange> {
  readonly kind = 'sysctl' as const;
  readonly ignoresFacts = true as const;
  readonly id: string;
  readonly writes: readonly string[];
  private readonly value: string;
  private readonly file: string;
  private readonly legacyFile: string;

  constructor(
    private readonly key: string,
    value: string | number,
  ) {
    this.value = String(value);
    this.id = resourceId.sysctl(key);
    this.file = sysctlFile(key);
    this.legacyFile = legacySysctlFile(key);
    // The old name too: this resource removes it, so nothing else may write it.
    this.writes = [this.file, this.legacyFile];
  }

  private fileContent(): string {
    return `# managed by gridops\n${this.key} = ${this.value}\n`;
  }

  probe(): string {
    const legacy = quote(this.legacyFile);
    const proc = quote(sysctlProcPath(this.key));
    return probeSections(`if [ -e ${proc} ] && [ ! -r ${proc} ]; then echo ${WRITE_ONLY}; else cat ${proc} 2>/dev/null || echo '@@missing@@'; fi`, fileProbe(this.file), `if [ -e ${legacy} ] || [ -L ${legacy} ]; then echo present; fi`);
  }

  diff(stdout: string, ctx: PlanContext): SysctlChange | null {
    const [livePart = '', filePart = '', legacyPart = ''] = splitProbeSections(stdout);
    const live = words(livePart);
    if (live === WRITE_ONLY) {
      throw new PlanningError(
        `${ctx.node.name}: write-only sysctl: ${this.key} cannot be read back (its ${sysctlProcPath(this.key)} is write-only), so gridops cannot keep it converged: every plan would set it again`,
        `remove ${this.key} from kernel.sysctl (or the playbook's sysctl entry) and set it with a command entry instead (run: sysctl -w ${this.key}=${this.value}), which runs when you choose`,
      );
    }
    const steps: SysctlChange['steps'] = [];
    const fields: FieldChange[] = [];
    // The kernel prints multi-value parameters with tabs; compare them word by word.
    if (live !== words(this.value)) (steps.push('set'), fields.push({ name: this.key, before: live === '@@missing@@' ? null : live, after: this.value }));
    if (parseFileState(filePart).content?.toString() !== this.fileContent()) (steps.push('persist'), fields.push({ name: this.file, before: null, after: `${this.key} = ${this.value}` }));
    if (legacyPart.trim() === 'present') (steps.push('remove-legacy'), fields.push({ name: this.legacyFile, before: 'present', after: null }));
    if (steps.length === 0) return null;
    const summary = steps.length === 1 && steps[0] === 'remove-legacy' ? `move ${this.key}'s sysctl.d file to ${this.file} (after 99-sysctl.conf)` : `set ${this.key} = ${this.value}`;
    return { kind: 'sysctl', id: this.id, action: 'update', key: this.key, value: this.value, steps, fields, summary };
  }

  /**
   * After `setting` (which sets the value): the kernel must read the value back as written, or every
   * run would plan it again; so the old value is put back (where there was one to read), the step
   * fails (a checked write then leaves the file as it was), and the error says what the kernel holds.
   * Some parameters are rewritten (ip_local_reserved_ports `8081,8080,9000` reads `8080-8081,9000`):
   * the error gives that form to write. Others keep less than asked (vm.nr_hugepages where memory is
   * short), and some read nothing back: writing what the kernel holds would be no fix there, so the
   * error says what it holds and what to do instead. A write-only parameter (the plan refuses it) is
   * refused before it is set.
   */
  private setAndReadBack(setting: string): string {
    const proc = quote(sysctlProcPath(this.key));
    const wrote = `${this.key} = ${JSON.stringify(this.value)}`;
    const writeOnly = quote(`gridops: ${this.key} is write-only (${sysctlProcPath(this.key)} cannot be read), so gridops cannot keep it converged: set it with a command entry instead`);
    const readsEmpty = quote(`gridops: the kernel reads ${this.key} back empty after writing ${wrote}, so every plan would set it again (`);
    const held = quote('gridops: the kernel holds ');
    const clamped = quote(` for ${this.key} after writing ${wrote}: it kept another amount than asked (vm.nr_hugepages does where memory is short), so every plan would set it again (`);
    const otherForm = quote(`gridops: the kernel reads ${this.key} back in another form than ${JSON.stringify(this.value)}, so every plan would set it again (`);
    // Only an integer can be kept as another amount; any other value read back differently is the kernel's form of it.
    const amount = /^-?\d+$/.test(this.value) ? `elif [ "$h" -ne ${quote(this.value)} ] 2>/dev/null; then printf '%s%s%s%s). %s\\n' ${held} "$h" ${clamped} "$kept" ${quote("Set a value this node's kernel keeps, or make room for it first, or remove the entry")} >&2; ` : '';
    return [
      `if [ -e ${proc} ] && [ ! -r ${proc} ]; then printf '%s\\n' ${writeOnly} >&2; exit 1; fi`,
      `o=$(cat -- ${proc} 2>/dev/null); ${setting} || exit 1`,
      // Word-split with globbing off (a subshell's), as the plan compares: tabs and runs of spaces are one space.
      `g=$(cat -- ${proc}); n=$(set -f; printf '%s ' $g)`,
      `if [ "$n" != ${quote(`${words(this.value)} `)} ]; then`,
      // An old value that read empty is not put back: `sysctl -w KEY=` would be one more write of nothing.
      `  if [ -n "$o" ]; then sysctl -q -w -- ${quote(`${this.key}=`)}"$o" >/dev/null 2>&1; kept='the old value was put back'; else kept='it read empty before, so nothing was put back'; fi`,
      `  h=$(set -f; printf '%s ' $g | sed 's/ $//')`,
      `  if [ -z "$h" ]; then printf '%s%s). %s\\n' ${readsEmpty} "$kept" ${quote('Check the key and value on the node by hand (sysctl -w, then read it), then fix or remove the entry')} >&2; ${amount}else printf '%s%s). %s%s\\n' ${otherForm} "$kept" ${quote("Write the kernel's form as the value: ")} "$h" >&2; fi`,
      '  exit 1',
      'fi',
    ].join('\n');
  }

  async apply(change: SysctlChange, recorder: StepRecorder): Promise<void> {
    if (change.steps.includes('persist')) {
      // Setting the value from the temp file is the check: a value the kernel refuses, or reads back
      // in another form, leaves no file behind.
      await recorder.write(this.file, Buffer.from(this.fileContent()), '0644', { check: this.setAndReadBack('sysctl -q -p "$t"'), checkName: 'sysctl -p' });
    } else if (change.steps.includes('set')) {
      // `--`: the key=value is an operand whatever it starts with (procps sysctl takes `--`).
      await recorder.run(this.setAndReadBack(`sysctl -q -w -- ${quote(`${this.key}=${this.value}`)}`), `sysctl ${this.key}`);
    }
    // Only once the new file is in place: a failed write leaves the old one, and the value at boot.
    if (change.steps.includes('remove-legacy')) await recorder.run(`rm -f -- ${quote(this.legacyFile)}`, `remove ${this.legacyFile}`);
  }
}
