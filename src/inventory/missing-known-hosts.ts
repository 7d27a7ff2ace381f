import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { namedFew } from '../named-few.js';
import type { Node } from '../topology/model.js';
import { rereadSourcesOnce } from '../topology/reread-source.js';
import { settingNamed } from '../topology/setting-named.js';
import { expandHome } from '../transport/expand-home.js';
import { sh } from '../transport/quote.js';

/**
 * One warning (by `warn`) per topology known_hosts file that is not there, naming its nodes: the
 * inventory has Ansible's ssh check host keys strictly against it, so each of those nodes would be
 * refused unless a global known_hosts file holds its key. Not a refusal: a run does not refuse the
 * missing file either, only each host whose key it cannot verify, and a global file may vouch for all.
 */
export function warnMissingKnownHosts(nodes: readonly Node[], topologyFile: string, warn: (message: string) => void): void {
  const byFile = new Map<string, Node[]>();
  for (const node of nodes) {
    const file = expandHome(node.settings.ssh.knownHosts);
    byFile.set(file, [...(byFile.get(file) ?? []), node]);
  }
  const sourceOf = rereadSourcesOnce();
  for (const [file, of] of byFile) {
    if (existsSync(file)) continue;
    const first = of[0]!;
    const named = settingNamed(first, 'ssh.knownHosts', sourceOf) ?? "gridops' default ssh.knownHosts";
    const directory = existsSync(dirname(file)) ? '' : `, nor its directory ${dirname(file)}`;
    // plan --accept-new-host-keys makes the file, and its directory, as it records the first key (append-line.ts).
    const record = sh(['gridops', 'plan', topologyFile, '--accept-new-host-keys']);
    warn(
      `the known_hosts file ${file} (${named}) is not there${directory}: Ansible's ssh checks host keys strictly against it and would refuse ${namedFew(of.map((n) => n.name))} unless a global known_hosts file holds their keys; check ssh.knownHosts, or verify their keys out of band and record them with \`${record}\`, which creates it`,
    );
  }
}
