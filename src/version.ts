import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (the same relative path from src/ and dist/). */
export const GRIDOPS_VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
