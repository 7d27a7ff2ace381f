#!/usr/bin/env node
// oclif checks its own engines range with semver on every start (about 40 ms of CPU, 8% of a
// command's start-up); gridops' own requirement (package.json engines, Node 20) is checked here.
if (Number(process.versions.node.split('.')[0]) < 20) process.emitWarning(`gridops needs Node 20 or later; this is Node ${process.versions.node}`);
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
// The runner comes from the commands' bundle (scripts/bundle-cli.js), which holds @oclif/core.
const { execute } = await import('../dist/cli/cli-main.js');
await execute({ dir: import.meta.url });
