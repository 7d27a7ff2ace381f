import { changedHostKeyHint, missingKnownHostsHint, unknownHostKeyHint } from '../../src/transport/host-key-hints.js';

/** The commands a host key error's hint gives name the known_hosts file the run uses, each word quoted for the shell. */
describe('host key hints', () => {
  it('an unknown key: ssh-keyscan appends to the file in use (ssh.knownHosts), not ~/.ssh/known_hosts', () => {
    const hint = unknownHostKeyHint('10.0.0.5', 2222, '/grid/known_hosts');
    expect(hint).toContain('`ssh-keyscan -p 2222 10.0.0.5 >> /grid/known_hosts`');
    expect(hint).not.toContain('~/.ssh/known_hosts');
    expect(hint).toMatch(/--accept-new-host-keys/);
  });

  it('quotes a file name the shell would split or expand', () => {
    expect(unknownHostKeyHint('n1', 22, "/my grid/it's known_hosts")).toContain(`>> '/my grid/it'\\''s known_hosts'\``);
    expect(missingKnownHostsHint('n1', 22, '/my grid/kh')).toContain("`ssh-keyscan -p 22 n1 >> '/my grid/kh'`");
  });

  it('a changed key: ssh-keygen -R names the host and the recording file, both quoted', () => {
    const hint = changedHostKeyHint('[10.0.0.5]:2222', '/my grid/kh');
    expect(hint).toContain("`ssh-keygen -R '[10.0.0.5]:2222' -f '/my grid/kh'`");
    expect(changedHostKeyHint('n1', '/grid/kh')).toContain('`ssh-keygen -R n1 -f /grid/kh`');
  });
});
