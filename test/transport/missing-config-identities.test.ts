/**
 * withoutMissingConfigIdentities on its own: which missing IdentityFiles of an ssh_config file are
 * skipped (for the target and its jump host alike), which are left for the pre-flight to refuse,
 * and that each IdentityFile line is warned about once.
 */
import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkIdentityFiles, recordedIdentityErrors } from '../../src/transport/identity-files-check.js';
import { identityFileStats } from '../../src/transport/identity-file-stats.js';
import { withoutMissingConfigIdentities, type IdentitySourcesOf } from '../../src/transport/missing-config-identities.js';
import type { SshHostSpec } from '../../src/transport/ssh-host-spec.js';

describe('withoutMissingConfigIdentities', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridops-missing-config-id-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const there = (name: string) => {
    const file = join(dir, name);
    writeFileSync(file, 'key');
    return file;
  };

  function run(specs: SshHostSpec[], sourcesOf: IdentitySourcesOf<string>): { kept: Map<string, SshHostSpec>; said: string[] } {
    const said: string[] = [];
    const kept = withoutMissingConfigIdentities(new Map(specs.map((s) => [s.name!, s])), sourcesOf, (m) => said.push(m));
    return { kept, said };
  }

  it("a ProxyJump bastion reached with the target's keys does not get the skipped one either", () => {
    const key = there('id_there');
    const gone = join(dir, 'id_corp');
    const at = { [gone]: '/etc/ssh/ssh_config:2', [key]: '/etc/ssh/ssh_config:3' };
    const { kept } = run([{ name: 'n1', host: '10.0.0.1', identityFiles: [gone, key], jumpHost: { host: 'bastion', identityFile: [gone, key] } }], () => ({ target: at, jump: at }));
    expect(kept.get('n1')).toEqual({ name: 'n1', host: '10.0.0.1', identityFiles: [key], jumpHost: { host: 'bastion', identityFile: [key] } });
  });

  it("a bastion's own missing key from an ssh_config file is skipped beside its other key, though the topology names the target's", () => {
    const key = there('id_there');
    const gone = join(dir, 'id_bastion');
    const { kept, said } = run([{ name: 'n1', host: '10.0.0.1', identityFiles: [key], jumpHost: { host: 'bastion', identityFile: [gone, key] } }], () => ({ target: undefined, jump: { [gone]: '/home/u/.ssh/config:7' } }));
    expect(kept.get('n1')!.jumpHost).toEqual({ host: 'bastion', identityFile: [key] });
    expect(said).toEqual([`/home/u/.ssh/config:7: IdentityFile ${gone} is not there (ENOENT); skipped for n1's jump host bastion, as ssh skips it; create it or remove that line to silence this`]);
  });

  it('a host whose every configured key is missing keeps them, for the pre-flight to refuse (ssh would not fall back to the default keys)', () => {
    const gone = join(dir, 'id_corp');
    const at = { [gone]: '/etc/ssh/ssh_config:2' };
    const spec: SshHostSpec = { name: 'n1', host: '10.0.0.1', identityFiles: [gone], jumpHost: { host: 'bastion', identityFile: [gone] } };
    const { kept, said } = run([spec], () => ({ target: at, jump: at }));
    expect(kept.get('n1')).toEqual(spec);
    expect(said).toEqual([]);
  });

  it('one warning per IdentityFile line, naming every path it expanded to and every host', () => {
    const key = there('id_there');
    const at = '/home/u/.ssh/config:2';
    const specs = ['a', 'b', 'c', 'd', 'e'].map((h): SshHostSpec => ({ name: h, host: h, identityFiles: [join(dir, `${h}.key`), key] }));
    const { said } = run(specs, (name) => ({ target: { [join(dir, `${name}.key`)]: at, [key]: '/home/u/.ssh/config:3' } }));
    expect(said).toEqual([`${at}: IdentityFile ${join(dir, 'a.key')}, ${join(dir, 'b.key')}, ${join(dir, 'c.key')} and 2 more files are not there (ENOENT); skipped for a, b, c and 2 more hosts, as ssh skips it; create it or remove that line to silence this`]);
  });

  it("a run's skip and pre-flight stat each config-named key once, and judge it as before: there, missing, a directory", () => {
    const key = there('id_there');
    const gone = join(dir, 'id_gone');
    const folder = join(dir, 'id_folder');
    mkdirSync(folder);
    const stat = jest.fn((path: string) => statSync(path));
    const statOf = identityFileStats(stat);
    const at = { [key]: '/home/u/.ssh/config:2', [gone]: '/home/u/.ssh/config:3', [folder]: '/home/u/.ssh/config:4' };
    const specs = new Map<string, SshHostSpec>([
      ['a', { name: 'a', host: 'a', identityFiles: [key, gone] }],
      ['b', { name: 'b', host: 'b', identityFiles: [folder] }],
    ]);
    const kept = withoutMissingConfigIdentities(specs, () => ({ target: at }), () => undefined, statOf);
    expect(kept.get('a')!.identityFiles).toEqual([key]);
    expect(() => checkIdentityFiles([kept.get('a')!], () => undefined, undefined, statOf)).not.toThrow();
    expect(() => checkIdentityFiles([kept.get('b')!], () => undefined, undefined, statOf)).toThrow(`cannot read the identity file ${folder} (EISDIR: a directory, not a key)`);
    expect(recordedIdentityErrors([specs.get('a')!], () => 'x', statOf).get('a')?.message).toContain(`${gone} (ENOENT)`);
    expect(stat.mock.calls.map(([path]) => path).sort()).toEqual([key, gone, folder].sort());
  });
});
