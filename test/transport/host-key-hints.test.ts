import { changedHostKeyHint, missingKnownHostsHint, unknownHostKeyHint } from '../../src/transport/host-key-hints.js';

/** The commands a host key error's hint gives name the known_hosts file the run uses, each word quoted for the shell. */
describe('host key hints', () => {
  it('an unknown key: ssh-keyscan appends to the file in use (ssh.knownHosts), not ~/.ssh/known_hosts', () => {
    const hint = unknownHostKeyHint('10.0.0.5', 2222, '/grid/known_hosts');
    expect(hint).toContain('`ssh-keyscan -p 2222 10.0.0.5 >> /grid/known_hosts`');
    expect(hint).not.toContain('~/.ssh/known_hosts');
    expect(hint).toMatch(/--accept-new-host-keys/);
  });

  it('behind a jump host: ssh-keyscan runs on the jump host, its command quoted for that host\'s shell too; never a direct ssh-keyscan', () => {
    const hint = unknownHostKeyHint('10.0.1.11', 2200, '/grid/kh', { host: 'bastion.example.org', port: 2222, user: 'admin' });
    expect(hint).toContain("`ssh -p 2222 admin@bastion.example.org 'ssh-keyscan -p 2200 10.0.1.11' >> /grid/kh`");
    expect(hint).toMatch(/through the jump host admin@bastion\.example\.org:2222/);
    expect(hint).toMatch(/out of band.*--accept-new-host-keys/);
    expect(hint).not.toMatch(/`ssh-keyscan/);
    // The jump host as gridops reaches it: root and port 22 where the topology names neither.
    expect(unknownHostKeyHint('fd00::11', 22, '/my grid/kh', { host: 'fd00::ab' })).toContain("`ssh -p 22 root@fd00::ab 'ssh-keyscan -p 22 fd00::11' >> '/my grid/kh'`");
    const missing = missingKnownHostsHint('n1', 22, '/grid/kh', { host: 'gw', port: 22, user: 'ops' });
    expect(missing).toContain("`ssh -p 22 ops@gw 'ssh-keyscan -p 22 n1' >> /grid/kh`");
    expect(missing).not.toMatch(/`ssh-keyscan/);
  });

  it('quotes a file name the shell would split or expand', () => {
    expect(unknownHostKeyHint('n1', 22, "/my grid/it's known_hosts")).toContain(`>> '/my grid/it'\\''s known_hosts'\``);
    expect(missingKnownHostsHint('n1', 22, '/my grid/kh')).toContain("`ssh-keyscan -p 22 n1 >> '/my grid/kh'`");
  });

  it("a known_hosts file whose directory is not there: the hint's command makes the directory first, quoted", () => {
    expect(missingKnownHostsHint('127.0.0.5', 22222, '/tmp/x/my kh/known_hosts', undefined, false)).toContain("`mkdir -p '/tmp/x/my kh' && ssh-keyscan -p 22222 127.0.0.5 >> '/tmp/x/my kh/known_hosts'`");
    expect(missingKnownHostsHint('n1', 22, '/grid/kh/known_hosts', { host: 'gw', user: 'ops' }, false)).toContain("`mkdir -p /grid/kh && ssh -p 22 ops@gw 'ssh-keyscan -p 22 n1' >> /grid/kh/known_hosts`");
    // Where the directory is there, no mkdir.
    expect(missingKnownHostsHint('n1', 22, '/grid/kh/known_hosts', undefined, true)).toContain('`ssh-keyscan -p 22 n1 >> /grid/kh/known_hosts`');
  });

  it('a changed key: ssh-keygen -R names the host and the recording file, both quoted', () => {
    const hint = changedHostKeyHint('[10.0.0.5]:2222', '/my grid/kh');
    expect(hint).toContain("`ssh-keygen -R '[10.0.0.5]:2222' -f '/my grid/kh'`");
    expect(changedHostKeyHint('n1', '/grid/kh')).toContain('`ssh-keygen -R n1 -f /grid/kh`');
  });
});
