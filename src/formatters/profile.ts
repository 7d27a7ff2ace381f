import type { RunProfile } from '../phases/run-profile.js';

/**
 * The run's profile on stderr with `-v`: `gridops: profile: ...` lines, or one JSON line with --json
 * that says what they say: the CLI bundle's code cache (`codeCache`) and where ssh2 came from
 * (`ssh2`: `{from: 'bundle', codeCache}` or `{from: 'node_modules'}`), each left out where the run does not know it.
 */
export function profileText(profile: RunProfile, json: boolean): string {
  if (json) {
    const { startupMs, codeCache, phases, hosts, readWithoutShell, ssh2 } = profile;
    return `${JSON.stringify({ type: 'profile', startupMs, ...(codeCache === undefined ? {} : { codeCache }), phases, hosts: Object.fromEntries(hosts), ...(readWithoutShell === undefined ? {} : { readWithoutShell }), ...(ssh2 === undefined ? {} : { ssh2 }) })}\n`;
  }
  return profile
    .lines()
    .map((l) => `gridops: profile: ${l}\n`)
    .join('');
}
