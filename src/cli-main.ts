/**
 * What bin/run.js starts: oclif's runner, from the same bundle as the commands
 * (scripts/bundle-cli.js), so one copy of @oclif/core serves both.
 */
export { execute } from '@oclif/core';
