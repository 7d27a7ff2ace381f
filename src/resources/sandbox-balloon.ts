import { quote } from '../transport/quote.js';
import { virsh } from './virsh.js';

/** How long apply waits for the guest to reach a new memory size, and how often it looks. */
export const BALLOON_WAIT_S = 60;
const BALLOON_POLL_S = 0.5;

/**
 * `virsh setmem` on the running VM, then a bounded wait until the guest's balloon has reached the
 * size. The live XML's currentMemory is the balloon's actual size, which the guest's virtio-balloon
 * driver moves over seconds (more on a loaded host, under TCG): without the wait, a plan right after
 * apply would see the same drift again.
 */
export function setMemoryLive(domain: string, kib: number, scope: string[], waitS = BALLOON_WAIT_S): string {
  const tries = Math.ceil(waitS / BALLOON_POLL_S);
  const failure = [
    quote(`the sandbox's memory balloon is at `),
    '"${cur:-an unknown size}"',
    quote(` KiB after ${waitS} s, asked ${kib} KiB: the guest moves its memory through its virtio-balloon driver, which may be missing or busy${scope.includes('--config') ? '; the definition already has the new size' : ''}. Check the guest, then run apply again`),
  ].join('');
  return [
    `${virsh('setmem', domain, `${kib}KiB`, ...scope)} || exit $?`,
    ...(scope.includes('--live')
      ? [
          'i=0',
          'while :; do',
          `  cur=$(${virsh('dumpxml', domain)} | sed -n 's:.*<currentMemory[^>]*>\\([0-9]*\\)</currentMemory>.*:\\1:p')`,
          `  [ "$cur" = ${kib} ] && break`,
          `  [ $i -ge ${tries} ] && { echo ${failure} >&2; exit 1; }`,
          `  sleep ${BALLOON_POLL_S}; i=$((i + 1))`,
          'done',
        ]
      : []),
  ].join('\n');
}
