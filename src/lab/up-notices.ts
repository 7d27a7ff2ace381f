import type { LimitRaise } from './host-limits.js';
import type { Progress } from './progress.js';

/**
 * What `lab up` changed on the host, or could not do, told as steps: shown without --verbose, since
 * the user should know of a sysctl changed behind their back, and of a cold package proxy (the
 * nodes' first apt-get is slower, or fails if the mirror is unreachable).
 */

/** One line per host setting `up` raised (host-limits.ts). */
export function reportRaisedLimits(progress: Progress, raises: readonly LimitRaise[]): void {
  for (const r of raises) progress.step(`host: raised ${r.key.replaceAll('/', '.')} from ${r.from} to ${r.to} (each systemd container holds several inotify instances)`);
}

/** One warning per package index the proxy could not prefetch (proxy.ts warmProxy). */
export function reportPrefetchProblems(progress: Progress, problems: readonly string[]): void {
  for (const p of problems) progress.step(`warning: package proxy: could not prefetch ${p} (nodes will fetch it themselves)`);
}
