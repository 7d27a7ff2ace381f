import { quote } from '../transport/quote.js';

/** virsh against the system libvirtd, whatever the SSH user's default URI would be. */
export const VIRSH = 'virsh -q -c qemu:///system';

/** A probe that prints `no-libvirt` when virsh is missing (first run, before the packages), else runs `body`. */
export function whenVirsh(body: string): string {
  return `if ! command -v virsh >/dev/null 2>&1; then echo no-libvirt; else\n${body}\nfi`;
}

/** What whenLibvirtAnswers says in place of `body`, before virsh's reason. */
export const NOT_ANSWERING = 'libvirt not answering';

/**
 * After a virsh read failed: `otherwise` (shell) where virsh reaches the system libvirt (the
 * object is not there, or virsh's own error stands), else one line `unknown (libvirt not
 * answering: WHY)`, WHY virsh's last line (libvirtd stopped, its socket missing, access denied): a
 * virsh that cannot reach libvirt says nothing of what libvirt has, and taken for "none" it sent
 * status to say `absent` and plan to define a VM that may well be running. Asked only once a read
 * failed, so a host whose objects are there pays no second virsh call. LC_ALL=C: virsh's messages
 * are translated, and its not-found one is matched (domainOrAbsent).
 */
export function unlessLibvirtUnanswering(otherwise: string): string {
  return `if libvirt_err=$(LC_ALL=C ${virsh('uri')} 2>&1 >/dev/null); then ${otherwise}; else echo "unknown (${NOT_ANSWERING}: $(printf '%s\\n' "$libvirt_err" | tail -n 1))"; fi`;
}

/** `body` where virsh reaches the system libvirt, else the `unknown (libvirt not answering: WHY)` line of unlessLibvirtUnanswering. */
export function whenLibvirtAnswers(body: string): string {
  return `if ! libvirt_err=$(LC_ALL=C ${virsh('uri')} 2>&1 >/dev/null); then echo "unknown (${NOT_ANSWERING}: $(printf '%s\\n' "$libvirt_err" | tail -n 1))"; else\n${body}\nfi`;
}

/** A virsh read (`command`, its output printed) whose failure is `absent` where libvirt answers, else unknown (unlessLibvirtUnanswering). */
export function readOrAbsent(command: string): string {
  return `${command} 2>/dev/null || { ${unlessLibvirtUnanswering('echo absent')}; }`;
}

/**
 * Runs `command`, a virsh call about one domain, into the shell variable `variable` and prints its
 * output; where it fails, prints `absent` when libvirt says it has no such domain (older libvirt:
 * "failed to get domain", newer adds "Domain not found"), else `unknown (WHY)` with virsh's last line
 * (where libvirt does not answer, unlessLibvirtUnanswering's line).
 */
export function domainOrAbsent(command: string, variable: string): string {
  const v = `"$${variable}"`;
  return `if ${variable}=$(LC_ALL=C ${command} 2>&1); then printf '%s\\n' ${v}; else case ${v} in ${DOMAIN_NOT_FOUND}) echo absent ;; *) ${unlessLibvirtUnanswering(`echo "unknown ($(printf '%s\\n' ${v} | tail -n 1))"`)} ;; esac; fi`;
}

/** A `case` pattern for virsh's error (under LC_ALL=C) about a domain libvirt does not have. */
export const DOMAIN_NOT_FOUND = '*"failed to get domain"*|*"Domain not found"*';

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
