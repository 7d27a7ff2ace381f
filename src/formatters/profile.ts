import type { RunProfile } from '../phases/run-profile.js';

/** The run's profile on stderr with `-v`: `gridops: profile: ...` lines, or one JSON line with --json. */
export function profileText(profile: RunProfile, json: boolean): string {
  if (json) return `${JSON.stringify({ type: 'profile', startupMs: profile.startupMs, phases: profile.phases, hosts: Object.fromEntries(profile.hosts), ...(profile.readWithoutShell === undefined ? {} : { readWithoutShell: profile.readWithoutShell }) })}\n`;
  return profile
    .lines()
    .map((l) => `gridops: profile: ${l}\n`)
    .join('');
}
