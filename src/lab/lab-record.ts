import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { labFiles, runRoot } from './paths.js';
import { SLOT_COUNT, labPrefix } from './plan.js';
import type { LabState } from './types.js';

/**
 * Why the lab directory cannot be trusted, or null. Root reads lab.json and then removes the node
 * directories, kills what is in the cgroups and namespaces and writes the files it names: a
 * directory that another user owns or may write to could hold a planted lab.json (`lab down --dir
 * /tmp/x` as root, with a lab.json naming `/etc`). Root trusts only root's; a user only root's or
 * their own.
 */
export function labDirProblem(dir: string): string | null {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return null; // no directory: nothing recorded to trust
  }
  const me = process.geteuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== me) return `${dir} belongs to uid ${st.uid}, not to root${me === 0 ? '' : ` or to you (uid ${me})`}`;
  if (st.mode & 0o022) return `${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)})`;
  return null;
}

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Why lab.json does not describe a lab of `dir`, or null. Every path and name it records must be
 * exactly the one `up` derives from the directory, the slot and the node's name; anything else
 * (a path outside the lab, a whole cgroup hierarchy, another slot's namespace) comes from a copied,
 * edited or planted file, and acting on it as root could destroy what is not the lab's.
 */
export function labRecordProblem(s: LabState, dir: string): string | null {
  if (s.dir !== dir) return `its directory ${String(s.dir)} is not ${dir}`;
  const slot = s.plan?.slot;
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) return `its slot ${String(slot)} is not one of 0 to ${SLOT_COUNT - 1}`;
  const prefix = labPrefix(slot);
  if (s.plan.prefix !== prefix || s.plan.bridge?.name !== `${prefix}br`) return `its names do not carry its slot's prefix ${prefix}`;
  const files = labFiles(dir);
  for (const key of ['topology', 'knownHosts', 'identity', 'publicKey', 'state'] as const) {
    if (s.files?.[key] !== files[key]) return `its ${key} file ${String(s.files?.[key])} is not ${files[key]}`;
  }
  const runDir = s.plan.shape?.kind === 'netns' ? join(runRoot(), String(slot)) : files.nodes;
  if (s.runDir !== runDir) return `its runtime directory ${String(s.runDir)} is not ${runDir}`;
  if (s.proxy && s.proxy.cacheDir !== join(files.proxy, 'cache')) return `its package proxy cache ${s.proxy.cacheDir} is not in ${files.proxy}`;
  if (s.dns && s.dns.hostsFile !== join(files.dns, 'hosts')) return `its name server's hosts file ${s.dns.hostsFile} is not in ${files.dns}`;
  for (const n of s.nodes ?? []) {
    if (typeof n.name !== 'string' || !PLAIN_NAME.test(n.name)) return `a node is named ${JSON.stringify(n.name)}`;
    if (n.dir !== join(runDir, n.name)) return `${n.name}'s directory ${String(n.dir)} is not ${join(runDir, n.name)}`;
    if (n.log !== undefined && dirname(n.log) !== n.dir) return `${n.name}'s log ${n.log} is not in its directory`;
    if (n.netns !== `${prefix}${n.name}` || n.cgroup !== `${prefix}${n.name}`) return `${n.name}'s namespace or cgroup is not ${prefix}${n.name}`;
    if (typeof n.link !== 'string' || !n.link.startsWith(prefix) || !PLAIN_NAME.test(n.link)) return `${n.name}'s link ${String(n.link)} is not the lab's`;
    for (const d of n.cgroupDirs ?? []) {
      if (basename(d) !== n.cgroup || !/^\/sys\/fs\/cgroup\/[^/]+$/.test(dirname(d)) || dirname(d).endsWith('/..')) return `${n.name}'s cgroup directory ${d} is not ${n.cgroup} in a cgroup hierarchy`;
    }
  }
  return null;
}
