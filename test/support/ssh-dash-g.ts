import { spawnSync } from 'node:child_process';

/** Whether an OpenSSH client is here to ask: tests comparing with it are skipped where it is not. */
export const sshClientMissing = spawnSync('ssh', ['-V']).error !== undefined;

/** What OpenSSH's `ssh -G -F FILE HOST` makes of `host` (parsed, not connected): the values gridops reads from ~/.ssh/config. */
export function sshDashG(file: string, host: string): { hostname?: string; user?: string; port: number; identityfile?: string; proxyjump?: string } {
  const out = spawnSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8' }).stdout;
  const value = (key: string) => new RegExp(`^${key} (.*)$`, 'm').exec(out)?.[1];
  return { hostname: value('hostname'), user: value('user'), port: Number(value('port')), identityfile: value('identityfile'), proxyjump: value('proxyjump') };
}
