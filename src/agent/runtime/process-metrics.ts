import { readdirSync, readFileSync } from 'node:fs';
import type { Metrics } from './metrics.js';

/**
 * The process metrics every Prometheus client library exports, under their standard names, so
 * the usual dashboards and alerts work on gridagent: read from Node's own counters and /proc.
 */
export function defineProcessMetrics(metrics: Metrics): void {
  const startSeconds = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  metrics.sampledCounter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  });
  metrics.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss());
  metrics.gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', () => startSeconds);
  metrics.gauge('process_open_fds', 'Number of open file descriptors.', () => readdirSync('/proc/self/fd').length - 1); // less the one readdir opened
  metrics.gauge('process_max_fds', 'Maximum number of open file descriptors.', () => maxOpenFiles());
}

/** The soft limit on open files, from /proc/self/limits (NaN where there is no /proc). */
function maxOpenFiles(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    return Number(line?.split(/\s+/)[3]);
  } catch {
    return Number.NaN;
  }
}
