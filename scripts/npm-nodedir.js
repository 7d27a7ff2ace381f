// Prints the directory for npm_config_nodedir, so that `npm ci` never downloads Node's headers:
// ssh2's install script (and cpu-features') runs node-gyp, which, with no nodedir, fetches the
// headers of the running Node from nodejs.org before it even looks for a compiler. Node's own
// tarball and the distributions' packages put the headers beside the binary (PREFIX/include/node):
// when those are the running Node's own, the bindings build against them. Otherwise this prints a
// directory that does not exist: node-gyp then fails at configure, without a download, and since
// both bindings are optional ssh2 falls back to Node's crypto (its install script exits 0) and
// npm drops cpu-features.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

// The prefix to look in: the running Node's (an argument names another, for the tests).
const prefix = process.argv[2] ?? dirname(dirname(realpathSync(process.execPath)));
const NO_HEADERS = '/nonexistent/gridops-no-node-headers';

function headersVersion(dir) {
  try {
    const h = readFileSync(join(dir, 'include', 'node', 'node_version.h'), 'utf8');
    const part = (name) => new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(h)?.[1];
    return `v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  } catch {
    return undefined;
  }
}

console.log(headersVersion(prefix) === process.version ? prefix : NO_HEADERS);
