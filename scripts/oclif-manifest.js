// Writes oclif.manifest.json after each build, so start-up reads one JSON file instead of
// importing every command module (and their dependencies) just to list them.
import { Config } from '@oclif/core';
import { writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
rmSync(`${root}oclif.manifest.json`, { force: true }); // never build the new manifest from a stale one
const config = await Config.load(root);
const manifest = config.rootPlugin.manifest;
writeFileSync(`${root}oclif.manifest.json`, `${JSON.stringify(manifest)}\n`);
console.log(`oclif.manifest.json: ${Object.keys(manifest.commands).length} commands`);
