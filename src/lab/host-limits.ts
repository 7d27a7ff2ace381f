import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Every systemd container holds several inotify instances (PID 1, journald, logind, sshd's
 * systemd hooks). With the kernel's default of 128 per user, about twenty container nodes on one
 * machine (a grown lab, or two labs side by side) exhaust it, and the next container's systemd
 * dies at boot with "Failed to allocate manager object". kind raises the same two limits for the
 * same reason.
 */
export const INOTIFY_MINIMUMS: Readonly<Record<string, number>> = {
  'fs/inotify/max_user_instances': 8192,
  'fs/inotify/max_user_watches': 524288,
};

/** A host setting the lab raises before it boots container nodes. */
export interface LimitRaise {
  key: string;
  from: number;
  to: number;
}

/** Which settings are below their minimum (never lowers one an operator set higher). Pure. */
export function limitRaises(current: Readonly<Record<string, number>>, minimums: Readonly<Record<string, number>> = INOTIFY_MINIMUMS): LimitRaise[] {
  return Object.entries(minimums)
    .filter(([key, min]) => Number.isFinite(current[key]) && current[key]! < min)
    .map(([key, min]) => ({ key, from: current[key]!, to: min }));
}

/** Raises the inotify limits of this machine where they are below the minimums; returns what changed. */
export function raiseInotifyLimits(procSys = '/proc/sys'): LimitRaise[] {
  const current: Record<string, number> = {};
  for (const key of Object.keys(INOTIFY_MINIMUMS)) {
    try {
      current[key] = Number(readFileSync(`${procSys}/${key}`, 'utf8').trim());
    } catch {
      /* not on this kernel: nothing to raise */
    }
  }
  const raises = limitRaises(current);
  for (const r of raises) writeFileSync(`${procSys}/${r.key}`, `${r.to}\n`);
  return raises;
}
