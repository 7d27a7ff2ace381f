import type { StepRecorder } from './step-recorder.js';
import type { FieldChange, SysctlChange } from '../plan/change.js';
import { sysctlFileKey } from '../topology/kernel-names.js';
import { quote } from '../transport/quote.js';
import { fileProbe, parseFileState } from './file-state.js';
import { probeSections, splitProbeSections } from './probe-sections.js';
import type { Resource } from './resource.js';
import { resourceId } from './resource-id.js';

/** The sysctl.d file gridops persists `key` in. */
export const sysctlFile = (key: string) => `/etc/sysctl.d/90-gridops-${sysctlFileKey(key)}.conf`;

/**
 * The file under /proc/sys that holds `key`, by procps' rule: the first separator decides the
 * form. Slash form (`net/ipv4/conf/eth0.100/forwarding`) is the path as it is, so an interface
 * name with a dot keeps it; in dotted form dots and slashes swap (`net.ipv4.conf.eth0/100.forwarding`).
 */
export function sysctlProcPath(key: string): string {
  const path = key.startsWith('/', key.search(/[./]/)) ? key : key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
  return `/proc/sys/${path}`;
}

/** A kernel parameter set now (sysctl -w) and persisted in /etc/sysctl.d. */
export class SysctlResource implements Resource<SysctlChange> {
  readonly kind = 'sysctl' as const;
  readonly ignoresFacts = true as const;
  readonly id: string;
  readonly writes: readonly string[];
  private readonly value: string;
  private readonly file: string;

  constructor(
    private readonly key: string,
    value: string | number,
  ) {
    this.value = String(value);
    this.id = resourceId.sysctl(key);
    this.file = sysctlFile(key);
    this.writes = [this.file];
  }

  private fileContent(): string {
    return `# managed by gridops\n${this.key} = ${this.value}\n`;
  }

  probe(): string {
    return probeSections(`cat ${quote(sysctlProcPath(this.key))} 2>/dev/null || echo '@@missing@@'`, fileProbe(this.file));
  }

  diff(stdout: string): SysctlChange | null {
    const [livePart = '', filePart = ''] = splitProbeSections(stdout);
    const live = livePart.trim().replace(/\s+/g, ' ');
    const steps: SysctlChange['steps'] = [];
    const fields: FieldChange[] = [];
    // The kernel prints multi-value parameters with tabs; compare them word by word.
    if (live !== this.value.trim().replace(/\s+/g, ' ')) (steps.push('set'), fields.push({ name: this.key, before: live === '@@missing@@' ? null : live, after: this.value }));
    if (parseFileState(filePart).content?.toString() !== this.fileContent()) (steps.push('persist'), fields.push({ name: this.file, before: null, after: `${this.key} = ${this.value}` }));
    if (steps.length === 0) return null;
    return { kind: 'sysctl', id: this.id, action: 'update', key: this.key, value: this.value, steps, fields, summary: `set ${this.key} = ${this.value}` };
  }

  async apply(change: SysctlChange, recorder: StepRecorder): Promise<void> {
    if (change.steps.includes('persist')) {
      // Setting the value from the temp file is the check: a value the kernel refuses leaves no file behind.
      await recorder.write(this.file, Buffer.from(this.fileContent()), '0644', { check: 'sysctl -q -p "$t"', checkName: 'sysctl -p' });
    } else if (change.steps.includes('set')) {
      // `--`: the key=value is an operand whatever it starts with (procps sysctl takes `--`).
      await recorder.run(`sysctl -q -w -- ${quote(`${this.key}=${this.value}`)}`, `sysctl ${this.key}`);
    }
  }
}
