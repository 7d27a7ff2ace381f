/** Shell fragments that stop the sandbox VM and replace its definition, for sandbox-domain.ts. */
import { quote } from '../transport/quote.js';
import { DOMAIN_REPLACE_UNDEFINE_FLAGS, virsh } from './virsh.js';

/**
 * Stops the domain if it is active in any state (running, paused, pmsuspended, in shutdown,
 * blocked, crashed): `virsh start` fails on an active domain ("domain is already active"), so a
 * paused VM left as it is kept the old definition running for good. A running guest is asked first
 * (ACPI) and waited for, bounded, as one already in shutdown is; then the power cord. A paused or
 * suspended guest cannot answer ACPI, so it is destroyed at once. LC_ALL=C: virsh translates its states.
 */
export function stopOrderly(domain: string): string[] {
  const state = `"$(LC_ALL=C ${virsh('domstate', domain)})"`;
  return [
    `if [ ${state} != 'shut off' ]; then`,
    `  if [ ${state} = running ]; then ${virsh('shutdown', domain)} >/dev/null 2>&1 || true; fi`,
    `  case ${state} in running|'in shutdown')`,
    '    i=0; while [ $i -lt 20 ]; do',
    `      if [ ${state} = 'shut off' ]; then break; fi`,
    '      sleep 0.5; i=$((i + 1))',
    '    done ;;',
    '  esac',
    `  if [ ${state} != 'shut off' ]; then ${virsh('destroy', domain)} >/dev/null || [ ${state} = 'shut off' ]; fi`,
    'fi',
  ];
}

/**
 * Replaces the domain's definition with the one in `file` where libvirt will not redefine it in
 * place: a new UUID for a known name ("already exists with uuid"), as a renamed node's gets (its
 * UUID and MAC derive from the node's name). The old definition is kept in `previous` until the new
 * one is in; if libvirt refuses the new one, the old one is defined again and the step fails, so
 * the host keeps its VM (stopped: the next run starts it). Undefining keeps the disks: the new
 * definition names the same volumes. The domain comes back stopped, without its autostart link.
 * A managed-save image stops the undefine (libvirt refuses it without --managed-save) before
 * anything changed: the plan refuses such a replace, and one saved since then is kept.
 */
export function replaceDefinition(domain: string, file: string, previous: string): string {
  return [
    `${virsh('dumpxml', '--inactive', domain)} > ${quote(previous)}`,
    ...stopOrderly(domain),
    `if ! ${virsh('undefine', ...DOMAIN_REPLACE_UNDEFINE_FLAGS, domain)} >/dev/null; then rm -f -- ${quote(previous)}; exit 1; fi`,
    `if ! ${virsh('define', file)} >/dev/null; then ${virsh('define', previous)} >/dev/null; rm -f -- ${quote(previous)}; exit 1; fi`,
    `rm -f -- ${quote(previous)}`,
  ].join('\n');
}

/**
 * Restarts the domain on its current definition: stopped in order (stopOrderly), then booted with
 * --force-boot, which discards a managed-save image: a plain start would restore the saved guest,
 * old definition and all, and the restart would change nothing. The plan says so where there is one.
 */
export function restartDomain(domain: string): string {
  return [...stopOrderly(domain), `${virsh('start', '--force-boot', domain)} >/dev/null`].join('\n');
}
