import { arch, cpus, loadavg, totalmem, uptime } from 'node:os';
import type { NodeAttributes } from '../core/types.js';

/** Reads this machine's attributes for the registry (arch, cores, memory, load, uptime) plus configured labels. */
export function readHostAttributes(labels: Record<string, string>): NodeAttributes {
  return {
    arch: arch(),
    cores: Math.max(1, cpus().length),
    memoryMiB: Math.round(totalmem() / (1024 * 1024)),
    labels,
    load: Math.round(loadavg()[0]! * 100) / 100,
    uptimeSec: Math.round(uptime()),
  };
}
