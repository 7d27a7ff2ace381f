import { quote } from '../transport/quote.js';

/** virsh against the system libvirtd, whatever the SSH user's default URI would be. */
export const VIRSH = 'virsh -q -c qemu:///system';

/**
 * `virsh undefine`'s flags for replacing a domain's definition: libvirt refuses to undefine one that
 * has snapshots or checkpoints, or firmware variables (an NVRAM file: "cannot undefine domain with
 * nvram"), all of which a `virsh snapshot-create`, `checkpoint-create` or an added <loader>/<nvram>
 * behind gridops' back leaves; their metadata goes with the domain, and the NVRAM file with it
 * (gridops defines no firmware of the node's, so one there is drift: sandbox-confinement.ts). Not
 * --managed-save: a save image holds the guest's memory, which the plan refuses to lose by a replace
 * (sandbox-domain.ts), and libvirt refusing the undefine keeps it if one appeared since the plan.
 * libvirt 9.0's virsh has them all (--checkpoints-metadata since 5.6); it refuses --nvram only
 * beside --keep-nvram.
 */
export const DOMAIN_REPLACE_UNDEFINE_FLAGS = ['--nvram', '--snapshots-metadata', '--checkpoints-metadata'] as const;

/**
 * `virsh undefine`'s flags for removing a domain: DOMAIN_REPLACE_UNDEFINE_FLAGS, and its managed-save
 * image ("Refusing to undefine while domain managed save image exists"), which `virsh managedsave`
 * leaves and which is of no use once the domain is gone.
 */
export const DOMAIN_UNDEFINE_FLAGS = ['--managed-save', ...DOMAIN_REPLACE_UNDEFINE_FLAGS] as const;

/** A probe that prints `no-libvirt` when virsh is missing (first run, before the packages), else runs `body`. */
export function whenVirsh(body: string): string {
  return `if ! command -v virsh >/dev/null 2>&1; then echo no-libvirt; else\n${body}\nfi`;
}

/** What a read of a libvirt that does not answer says (NOT_ANSWERING_LINE), before virsh's reason. */
export const NOT_ANSWERING = 'libvirt not answering';

/** The unit of the grid network's input filter, which libvirtd requires (fail closed: templates/libvirt/libvirtd-sandbox-input.conf.hbs). */
export const SANDBOX_INPUT_UNIT = 'gridops-sandbox-input.service';

/** What follows NOT_ANSWERING where that unit failed: libvirtd cannot start (refuseUnreadLibvirt words it). */
export const INPUT_FILTER_FAILED = 'sandbox input filter failed';

/**
 * Shell printing `unknown (libvirt not answering: WHY)`, WHY virsh's last line in $libvirt_err,
 * or `unknown (libvirt not answering, sandbox input filter failed: WHY)` where the filter's unit
 * failed: libvirtd requires it, so no start of libvirtd (nor of its sockets, which pull it in again)
 * can succeed until the filter does. Only `is-failed`: a unit merely inactive is started with
 * libvirtd, which then can start.
 */
const NOT_ANSWERING_LINE = `if systemctl is-failed --quiet ${SANDBOX_INPUT_UNIT} 2>/dev/null; then libvirt_why="${NOT_ANSWERING}, ${INPUT_FILTER_FAILED}"; else libvirt_why="${NOT_ANSWERING}"; fi; echo "unknown ($libvirt_why: $(printf '%s\\n' "$libvirt_err" | tail -n 1))"`;

/**
 * After a virsh read failed: `otherwise` (shell) where virsh reaches the system libvirt (the
 * object is not there, or virsh's own error stands); where it does not, `absent` if libvirt has no
 * persistent `definition` of the object on disk (libvirt-definitions.ts: nothing there to start or
 * overwrite, as on a host whose libvirtd is disabled before the hypervisor playbook's first run,
 * which starts it), else one line `unknown (libvirt not answering: WHY)` (NOT_ANSWERING_LINE): a
 * virsh that cannot reach libvirt says nothing of what libvirt has, and taken for "none" it sent
 * status to say `absent` and plan to define a VM that may well be running. Asked only once a read
 * failed, so a host whose objects are there pays no second virsh call. LC_ALL=C: virsh's messages
 * are translated, and its not-found one is matched (objectOrAbsent).
 */
export function unlessLibvirtUnanswering(otherwise: string, definition: string): string {
  return `if libvirt_err=$(LC_ALL=C ${virsh('uri')} 2>&1 >/dev/null); then ${otherwise}; elif [ ! -e ${quote(definition)} ]; then echo absent; else ${NOT_ANSWERING_LINE}; fi`;
}

/**
 * Runs `command`, a virsh read of one libvirt object, into the shell variable `variable` and prints
 * its output; where it fails, prints `absent` when virsh's error matches `notFound` (a `case`
 * pattern of libvirt's words for an object it does not have: DOMAIN_NOT_FOUND, NETWORK_NOT_FOUND,
 * POOL_NOT_FOUND, VOL_NOT_FOUND), else `unknown (WHY)` with virsh's last line (where libvirt does not answer,
 * unlessLibvirtUnanswering's answer for the object's `definition`). Any other failure of a libvirt
 * that answers (access denied, a driver error) says nothing of whether the object is there.
 * `lookupFailed` (DOMAIN_LOOKUP_FAILED) is virsh's own line for a lookup that failed for any reason:
 * `absent` only where libvirt keeps no `definition` of the object (gridops defines nothing transient,
 * so libvirt has no such object), else `unknown (...)`, as any other failure.
 */
export function objectOrAbsent(command: string, variable: string, notFound: string, definition: string, lookupFailed?: string): string {
  const v = `"$${variable}"`;
  const ambiguous = lookupFailed ? ` ${lookupFailed}) ${absentWithoutDefinition(v, definition)} ;;` : '';
  return `if ${variable}=$(LC_ALL=C ${command} 2>&1); then printf '%s\\n' ${v}; else case ${v} in ${notFound}) echo absent ;;${ambiguous} *) ${unlessLibvirtUnanswering(`echo "unknown ($(printf '%s\\n' ${v} | tail -n 1))"`, definition)} ;; esac; fi`;
}

/** Shell for virsh's bare lookup failure in `v`: `absent` without libvirt's `definition` on disk, else `unknown (LINE: ...)` saying why it is not taken for absent. */
function absentWithoutDefinition(v: string, definition: string): string {
  return `if [ ! -e ${quote(definition)} ]; then echo absent; else echo "unknown ($(printf '%s\\n' ${v} | tail -n 1): virsh gives no reason, and libvirt keeps its definition)"; fi`;
}

/** objectOrAbsent for a domain. */
export function domainOrAbsent(command: string, variable: string, definition: string): string {
  return objectOrAbsent(command, variable, DOMAIN_NOT_FOUND, definition, DOMAIN_LOOKUP_FAILED);
}

/** A `case` pattern for libvirt's own words (under LC_ALL=C) for a domain it does not have (virerror.c VIR_ERR_NO_DOMAIN), which virsh versions that keep libvirt's error print after their own line. */
export const DOMAIN_NOT_FOUND = '*"Domain not found"*';
/**
 * virsh's own line for a domain lookup that failed. libvirt 9.0's virsh (Debian 12) prints it alone
 * whatever made the lookup fail (virsh-util.c virshLookupDomainInternal resets libvirt's error): a
 * domain libvirt does not have, an access denied and a driver error alike. So it means "absent" only
 * where libvirt keeps no persistent definition of the domain (objectOrAbsent's `lookupFailed`).
 */
export const DOMAIN_LOOKUP_FAILED = '*"failed to get domain"*';
/**
 * The same for a network: libvirt's "Network not found" (virerror.c VIR_ERR_NO_NETWORK), not virsh's
 * "failed to get network" before it, which virsh prints whatever made its lookup fail (access denied too).
 */
export const NETWORK_NOT_FOUND = '*"Network not found"*';
/** The same for a storage pool: libvirt's "Storage pool not found" (VIR_ERR_NO_STORAGE_POOL), not virsh's "failed to get pool", for the same reason. */
export const POOL_NOT_FOUND = '*"Storage pool not found"*';
/**
 * The same for a storage volume: virsh's "failed to get vol", libvirt's "Storage volume not found"
 * (VIR_ERR_NO_STORAGE_VOL; libvirt 9.0 names the path it looked up last). virsh's own line stays
 * enough here, unlike a domain's: a volume has no definition file to tell a failed read from a missing
 * volume by, and a volume taken for absent only plans a vol-create, which fails on one that is there
 * and loses nothing.
 */
export const VOL_NOT_FOUND = '*"failed to get vol"*|*"Storage volume not found"*';

/** virsh with quoted arguments. */
export function virsh(...args: Array<string | number>): string {
  return `${VIRSH} ${args.map(quote).join(' ')}`;
}

/** `KEY: value` lines (virsh net-info, pool-info, dominfo) as a map keyed by lower-cased KEY. */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!.trim().toLowerCase(), m[2]!.trim());
  }
  return out;
}
