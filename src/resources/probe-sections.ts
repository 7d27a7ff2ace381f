/**
 * Several probe snippets printed one after the other, with a separator line between them, so a
 * resource that reads a few things (a file, a unit state, a live value) still uses one probe.
 */
const SEPARATOR = '@@gridops-probe-section@@';

export function probeSections(...snippets: string[]): string {
  return snippets.join(`\necho ${SEPARATOR}\n`);
}

/** The stdout of each snippet given to probeSections, in order. */
export function splitProbeSections(stdout: string): string[] {
  return stdout.split(`${SEPARATOR}\n`);
}
