import { FORMATS, showValue, type FormatVerdict } from '../topology/formats.js';
import type { PathSegment } from '../topology/source.js';
import { isLibvirtObjectName } from '../resources/absent-libvirt.js';

/**
 * The checks a playbook entry's values must pass as they reach the host, the same the topology
 * holds its own to: a path is a command's operand (a relative one such as `--help` would be read
 * as an option, and the write reported done), a sysctl key goes to `sysctl -w` (and its value into a
 * sysctl.d line), and a module name
 * into a modprobe.d file, where a newline would write lines of its own (`install X /bin/sh …`,
 * root's command at the next modprobe). A literal value is checked when the playbook is read
 * (load.ts), a substituted one once rendered for a node (instantiate.ts).
 */
type Checker = (value: string) => FormatVerdict | null;

function absolutePath(value: string): FormatVerdict | null {
  if (value.startsWith('/')) return null;
  return { message: `${showValue(value)} is not an absolute path`, hint: 'write the path from the root, e.g. /etc/app/app.conf or /home/{{node.name}}/app.conf' };
}

/**
 * A playbook's sysctl value: one line of printable characters. Wider than the topology's (words of
 * letters, digits and `. _ - : / , +`), which a playbook's author, not the grid's, would find too
 * narrow for values such as `kernel.core_pattern = |/usr/lib/systemd/systemd-coredump %P %u`: the
 * value goes quoted into `sysctl -w` and as the rest of one line into a sysctl.d file, so what it
 * must not hold is a line break or another control character, which would write a line of its own.
 */
function playbookSysctlValue(value: string): FormatVerdict | null {
  // eslint-disable-next-line no-control-regex
  if (value !== '' && value.trim() === value && value.length <= 4096 && !/[\u0000-\u001f\u007f]/.test(value)) return null;
  return { message: `${showValue(value)} is not a sysctl value`, hint: 'write the value on one line, without tabs or other control characters and without spaces around it (words separated by spaces), at most 4096 characters' };
}

/**
 * A file's `owner` or `group`: one name. The plan compares it with the name stat shows, so an id
 * (`1000`, or `+1000`, which chown also reads as one) or both in one (`app:app`) would differ at
 * every run and be planned, and applied, again and again.
 */
function ownerName(which: 'user' | 'group'): Checker {
  const field = which === 'user' ? 'owner' : 'group';
  return (value) => {
    if (/^\+?[0-9]+$/.test(value)) return { message: `${showValue(value)} is a ${which} id, not a ${which} name: the plan compares names, so it would change at every run`, hint: `write the ${which}'s name (the one ${which === 'user' ? '/etc/passwd' : '/etc/group'} gives id ${value.replace(/^\+/, '')}), e.g. ${field}: ${which === 'user' ? 'app' : 'www-data'}` };
    const colon = value.indexOf(':');
    if (colon >= 0) return { message: `${showValue(value)} names a user and a group in one ${field}: the plan compares it with one name, so it would change at every run`, hint: `write owner: ${value.slice(0, colon) || 'USER'} and group: ${value.slice(colon + 1) || 'GROUP'}` };
    return null;
  };
}

/** A libvirt object's name: it goes into virsh's arguments and the path of libvirt's definition of it (absent-libvirt.ts). */
function libvirtName(value: string): FormatVerdict | null {
  if (isLibvirtObjectName(value)) return null;
  return { message: `${showValue(value)} is not a libvirt object name`, hint: 'name the object as libvirt does, without / or control characters, not starting with -, not . or .., e.g. gridops-sandbox' };
}

/** The owner and group fields of a kind that takes them. */
const OWNERS = { owner: ownerName('user'), group: ownerName('group') };

/** Kind -> field -> its check, for every entry field whose value gridops checks beyond the schema. */
const ENTRY_VALUE_CHECKS: Readonly<Record<string, Readonly<Record<string, Checker>>>> = {
  file: { path: absolutePath, ...OWNERS },
  directory: { path: absolutePath, ...OWNERS },
  line: { path: absolutePath, ...OWNERS },
  sysctl: { key: FORMATS['sysctl-key'], value: playbookSysctlValue },
  'kernel-module': { name: FORMATS['module-name'] },
  'absent-libvirt': { domain: libvirtName, network: libvirtName, pool: libvirtName },
};

/** The fields of `kind` whose values are checked. */
export function checkedFields(kind: string): string[] {
  return Object.keys(ENTRY_VALUE_CHECKS[kind] ?? {});
}

/** Why `value` of `kind`'s `field` cannot reach a host, or null when it may (or the field is not checked). */
export function entryValueProblem(kind: string, field: string, value: string): FormatVerdict | null {
  return ENTRY_VALUE_CHECKS[kind]?.[field]?.(value) ?? null;
}

/**
 * The check of the entry field at `path` (`resources[i].KIND.FIELD`), if it has one: what the
 * schema check asks of a number written there (a playbook's `owner: 1000` is told to be a name,
 * since quoting it would only trade one refusal for another).
 */
export function entryValueCheckAt(kind: string, path: readonly PathSegment[]): Checker | undefined {
  const field = path[path.length - 1];
  return typeof field === 'string' && path[path.length - 2] === kind ? ENTRY_VALUE_CHECKS[kind]?.[field] : undefined;
}
