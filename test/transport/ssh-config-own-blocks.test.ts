import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSshConfig, sshConfigFor } from '../../src/transport/ssh-config.js';
import { sshClientMissing, sshDashG } from '../support/ssh-dash-g.js';

/**
 * A block of the address's own decides that the node gets the address's lookup (`ssh ADDRESS`),
 * not its name's, by matching the address: what the block sets does not matter.
 */
describe("a block of the node's address's own", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-own-blocks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  (sshClientMissing ? it.skip : it)("that sets nothing (no lines, or only lines gridops ignores) still gives the node the address's values, as ssh -G ADDRESS gives them; the name's block is not used", () => {
    const file = join(dir, 'config');
    writeFileSync(file, ['Host 10.0.0.5', 'Host 10.0.0.6', '  CanonicalizeHostName yes', 'Host web1 web2', '  Port 1001', '  User nameuser', 'Host *', '  IdentityFile /keys/fleet'].join('\n') + '\n', { mode: 0o600 });
    const warnings: string[] = [];
    const config = loadSshConfig(file, (m) => warnings.push(m), dir);
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^${file}:3: CanonicalizeHostName is not applied`))]);
    for (const [name, address] of [
      ['web1', '10.0.0.5'],
      ['web2', '10.0.0.6'],
    ] as const) {
      const ours = sshConfigFor(config, { name, address });
      const ssh = sshDashG(file, address);
      expect({ address, hostname: ours.hostName ?? address, port: ours.port ?? 22, identityfile: ours.identityFiles?.[0] }).toEqual({ address, hostname: ssh.hostname, port: ssh.port, identityfile: ssh.identityfile });
      // Not web1's Port 1001 and User nameuser, which `ssh web1` would take.
      expect(ours).toEqual({ identityFiles: ['/keys/fleet'], writtenAt: { identityFiles: { '/keys/fleet': `${file}:8` } } });
    }
  });
});
