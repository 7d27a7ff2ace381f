/**
 * Whether a kernel's nftables matches sockets by cgroup v2 inside a cgroup namespace (a
 * container's). nft_socket looks the rule's `level N` ancestor up in the kernel's whole tree,
 * where a container's grid.slice sits deeper than level 1, so the rule matched no socket until
 * commit 7f3287db6543 ("netfilter: nft_socket: make cgroupsv2 matching work with namespaces"),
 * which counts levels from the namespace's root. It came with mainline 6.12 and the stable
 * releases 6.10.12, 6.6.53 and 6.1.112; 5.15 and older were not given it. `nft -c` cannot tell
 * (the rule loads either way), so the release is all there is: one that does not say its stable
 * level (Debian's `6.1.0-25-amd64`) or a distribution's own line (RHEL's 5.14) counts as without.
 */

/** The first stable release of each line that has the fix; lines not named here never got it. */
const FIXED_STABLE: Readonly<Record<string, number>> = { '6.10': 12, '6.6': 53, '6.1': 112 };

/** The first mainline release with the fix. */
const FIXED_MAINLINE = { major: 6, minor: 12 };

export function matchesCgroupInNamespace(release: string): boolean {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (major !== FIXED_MAINLINE.major) return major > FIXED_MAINLINE.major;
  if (minor >= FIXED_MAINLINE.minor) return true;
  const fixedAt = FIXED_STABLE[`${major}.${minor}`];
  return fixedAt !== undefined && patch >= fixedAt;
}
