import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { ConnectionError } from '../../src/errors/index.js';
import { DEFAULT_GLOBAL_KNOWN_HOSTS, knownHostsFilesOf, loadKnownHostsOf } from '../../src/transport/global-known-hosts.js';
import { KnownHosts, readKnownHostsTexts } from '../../src/transport/known-hosts.js';
import { node } from '../resources/fixtures.js';

/**
 * The known_hosts files a node's host key is checked against: the topology's (written to), then
 * the global files OpenSSH reads too (GlobalKnownHostsFile), so an organisation's `@revoked` or
 * `@cert-authority` line there counts as it does for `ssh`.
 */
describe('global known_hosts files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-globalkh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = (name: string) => {
    const file = join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
    const pub = readFileSync(`${file}.pub`, 'utf8').trim().split(' ');
    return { type: pub[0]!, b64: pub[1]!, blob: Buffer.from(pub[1]!, 'base64') };
  };
  const host = key('host');
  const ca = key('ca');
  const n1 = node('n1'); // address 10.0.0.1

  it("reads OpenSSH's default global files when ~/.ssh/config names none, and never writes them", () => {
    expect(DEFAULT_GLOBAL_KNOWN_HOSTS).toEqual(['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']);
    const files = knownHostsFilesOf(n1, undefined);
    expect(files.readOnly).toEqual(DEFAULT_GLOBAL_KNOWN_HOSTS);
    expect(files.writable).toMatch(/known_hosts$/);
  });

  it('honours GlobalKnownHostsFile from ~/.ssh/config (several files, ~/, none) for the node', () => {
    const config = SSHConfig.parse(['Host 10.0.0.1', '  GlobalKnownHostsFile /org/kh "/org/kh two"', 'Host 10.0.0.2', '  GlobalKnownHostsFile none', 'Host 10.0.0.3', '  GlobalKnownHostsFile ~/org_kh', ''].join('\n'));
    expect(knownHostsFilesOf(n1, config).readOnly).toEqual(['/org/kh', '/org/kh two']);
    expect(knownHostsFilesOf(node('n2'), config).readOnly).toEqual([]);
    expect(knownHostsFilesOf({ ...n1, address: '10.0.0.3' }, config).readOnly).toEqual([join(process.env.HOME ?? '', 'org_kh')]);
  });

  it("a global file's @revoked line refuses a key the user's file records; its @cert-authority is trusted", async () => {
    const user = join(dir, 'user_kh');
    const global = join(dir, 'global_kh');
    writeFileSync(user, `10.0.0.1 ${host.type} ${host.b64}\n`);
    writeFileSync(global, `@revoked 10.0.0.1 ${host.type} ${host.b64}\n@cert-authority 10.0.0.* ${ca.type} ${ca.b64}\n`);
    const config = SSHConfig.parse(`Host 10.0.0.1\n  GlobalKnownHostsFile ${global}\n`);
    const kh = await loadKnownHostsOf({ ...knownHostsFilesOf(n1, config), writable: user });
    expect(kh.check('10.0.0.1', 22, host.blob).kind).toBe('revoked');
    expect(kh.certificateAuthorities('10.0.0.1', 22).map((e) => e.file)).toEqual([global]);
    expect(kh.writableFile).toBe(user);
  });

  it('a global file that cannot be read stops the run with an error naming it, rather than going on without its @revoked lines', async () => {
    const user = join(dir, 'user_kh2');
    writeFileSync(user, '');
    const err = await loadKnownHostsOf({ writable: user, readOnly: [dir] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).message).toContain(`cannot read the known_hosts file ${dir}`);
    expect((err as ConnectionError).hint).toMatch(/GlobalKnownHostsFile/);
  });

  it('ssh.knownHosts naming a directory: the error says it is a directory, and the hint where to point it instead', async () => {
    const err = await loadKnownHostsOf({ writable: dir, readOnly: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).message).toBe(`${dir}: cannot read the known_hosts file ${dir}: it is a directory, not a file`);
    expect((err as ConnectionError).hint).toBe(`point ssh.knownHosts in the topology at a file, not a directory (such as ${join(dir, 'known_hosts')})`);
    expect((err as ConnectionError).hint).not.toMatch(/permissions/);
  });

  it('a global file that is a directory: the same words, and the hint names GlobalKnownHostsFile', async () => {
    const user = join(dir, 'user_kh3');
    writeFileSync(user, '');
    const err = await loadKnownHostsOf({ writable: user, readOnly: [dir] }).catch((e: unknown) => e);
    expect((err as ConnectionError).message).toContain(`cannot read the known_hosts file ${dir}: it is a directory, not a file`);
    expect((err as ConnectionError).hint).toMatch(/^name files, not a directory, with GlobalKnownHostsFile in ~\/\.ssh\/config/);
  });

  it("the keeper's KnownHosts, from the texts its run read: a global file's @revoked and @cert-authority count as in a direct run, and only the user's file is writable", () => {
    const user = join(dir, 'user_kh3');
    const global = join(dir, 'global_kh3');
    const kh = KnownHosts.fromTexts([
      { file: user, text: `10.0.0.1 ${host.type} ${host.b64}\n`, readOnly: false },
      { file: global, text: `@revoked 10.0.0.1 ${host.type} ${host.b64}\n@cert-authority 10.0.0.* ${ca.type} ${ca.b64}\n`, readOnly: true },
      { file: '/etc/ssh/ssh_known_hosts2', text: '', readOnly: true, missing: true },
    ]);
    expect(kh.check('10.0.0.1', 22, host.blob)).toMatchObject({ kind: 'revoked', entry: { file: global, line: 1 } });
    expect(kh.certificateAuthorities('10.0.0.2', 22).map((e) => [e.file, e.line])).toEqual([[global, 2]]);
    expect(kh.writableFile).toBe(user);
    expect(kh.files).toEqual([user, global, '/etc/ssh/ssh_known_hosts2']);
    expect(kh.missing).toEqual(['/etc/ssh/ssh_known_hosts2']);
  });

  it('reads the files for the keeper as a run does: a missing one as empty', () => {
    const user = join(dir, 'user_kh4');
    writeFileSync(user, 'x\n');
    expect(readKnownHostsTexts({ writable: user, readOnly: [join(dir, 'absent')] })).toEqual([
      { file: user, text: 'x\n', readOnly: false },
      { file: join(dir, 'absent'), text: '', readOnly: true, missing: true },
    ]);
  });
});
