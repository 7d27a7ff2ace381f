import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from './package-root.js';

/** The package version, read once from package.json. */
export const GRIDOPS_VERSION: string = JSON.parse(readFileSync(`${PACKAGE_ROOT}/package.json`, 'utf8')).version;
