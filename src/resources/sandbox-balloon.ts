import { quote } from '../transport/quote.js';
import { virsh } from './virsh.js';

/** How long apply waits for the guest to reach a new memory size, and how often it looks. */
export const BALLOON_WAIT_S = 60;
const BALLOON_POLL_S = 0.5;

/**
 * `virsh setmem` on the running VM, then a bounded wait until the guest's balloon has reached the
 * size. The live XML's currentMemory is the balloon's actual size (libvirt's copy of QEMU's
 * balloon events), which the guest's virtio-balloon driver moves over seconds (more on a loaded
 * host, under TCG): without the wait, a plan right after apply would see the same drift again.
 * The bound is a deadline on the host's clock (whole seconds: waitS to waitS + 1 s), so slow
 * polls do not stretch it. A VM that stops meanwhile fails the step: its stopped definition would
 * show the new size and pass for done.
 */
export function setMemoryLive(domain: string, kib: number, scope: string[], waitS = BALLOON_WAIT_S): string {
  const wanted = quote(kib);
  const stopped = quote(`the sandbox VM stopped while its memory was being set to ${kib} KiB: run apply again, which starts it`);
  const late = [
    quote("the sandbox's memory balloon is at "),
    '"${cur:-an unknown size}${cur:+ KiB}"',
    quote(` after ${waitS} s, asked ${kib} KiB: the guest moves its memory through its virtio-balloon driver, and a guest that is hung, paused or busy does not${scope.includes('--config') ? '; the definition already has the new size' : ''}. Check the guest, then run apply again`),
  ].join('');
  return [
    `${virsh('setmem', domain, `${kib}KiB`, ...scope)} || exit $?`,
    ...(scope.includes('--live')
      ? [
          `end=$(( $(date +%s) + ${quote(waitS)} ))`,
          'while :; do',
          `  [ "$(${virsh('domstate', domain)} 2>/dev/null)" = running ] || { echo ${stopped} >&2; exit 1; }`,
          `  cur=$(${virsh('dumpxml', domain)} 2>/dev/null | sed -n 's:.*<currentMemory[^>]*>\\([0-9]*\\)</currentMemory>.*:\\1:p')`,
          `  [ "$cur" = ${wanted} ] && break`,
          `  [ "$(date +%s)" -gt "$end" ] && { echo ${late} >&2; exit 1; }`,
          `  sleep ${quote(BALLOON_POLL_S)}`,
          'done',
        ]
      : []),
  ].join('\n');
}
