import { startupSnapshot } from 'node:v8';
import { runCli } from './cli.js';

// Entry point of the V8 startup snapshot (experiment): `node --snapshot-blob B --build-snapshot`
// evaluates the whole bundle once; a start from the blob only deserializes it and calls this.
startupSnapshot.setDeserializeMainFunction(() => runCli(process.argv.slice(1)));
