import { createRequire } from 'node:module';

// The bundle is ESM, but packages bundled from CommonJS (yaml) call require('process') and
// friends; esbuild routes those through a global `require`, which ESM lacks. Provide one
// before any such package is evaluated (main.ts imports this module first).
const globals = globalThis as { require?: NodeJS.Require };
globals.require ??= createRequire(import.meta.url);
