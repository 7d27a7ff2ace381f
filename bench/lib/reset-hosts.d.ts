import type { EventEmitter } from 'node:events';

export interface ResetHostsOptions {
  spawn: (cmd: string, argv: string[], options: { env: Record<string, string | undefined>; stdio: ['ignore', 'ignore', 'pipe'] }) => EventEmitter & { stderr?: EventEmitter | null };
  concurrency: number;
  sshArgv: (address: string) => string[];
  env: Record<string, string | undefined>;
}
export declare function resetHosts(addresses: readonly string[], options: ResetHostsOptions): Promise<void>;
