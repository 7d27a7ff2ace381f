import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabState } from '../../../src/lab/types.js';

/** Everything carrying the lab's prefix or living in its directories that still exists. */
export function leftovers(st: LabState) {
  const prefix = st.plan.prefix;
  const cgroups: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    try {
      for (const e of readdirSync(join('/sys/fs/cgroup', h))) if (e.startsWith(prefix)) cgroups.push(join(h, e));
    } catch {
      /* not a directory */
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(st.runDir) || m.startsWith(st.dir) || m.includes(prefix));
  const processes: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (cmd.includes(prefix) || cmd.includes(st.dir) || (st.runDir && cmd.includes(st.runDir))) processes.push(`${p} ${cmd.slice(0, 80)}`);
  }
  let links: string[] = [];
  let netns: string[] = [];
  try {
    links = readdirSync('/sys/class/net').filter((l) => l.startsWith(prefix));
  } catch {
    /* none */
  }
  try {
    netns = readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    /* none */
  }
  return { links, netns, cgroups, mounts, processes };
}
