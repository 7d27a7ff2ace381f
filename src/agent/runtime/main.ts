import './require-shim.js';
import { runCli } from './cli.js';

// Entry point of the bundled dist/gridagent.mjs (require-shim first: bundled CommonJS needs `require`).
runCli(process.argv.slice(2));
