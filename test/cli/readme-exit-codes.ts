import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** README's exit-code table: the `| 64 | ... |` rows under the "Exit codes" heading. */
export function readmeExitCodes(): number[] {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const section = readme.split(/^### Exit codes$/m)[1]?.split(/^#/m)[0] ?? '';
  return [...section.matchAll(/^\| `?(\d+)`? \|/gm)].map((m) => Number(m[1]));
}
