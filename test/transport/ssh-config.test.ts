import SSHConfig from 'ssh-config';
import { ConnectionError } from '../../src/errors/index.js';
import { connectionTarget, sshConfigFor } from '../../src/transport/ssh-config.js';
import { node } from '../resources/fixtures.js';

const config = SSHConfig.parse(`
Host 10.0.0.1
  HostName real-n1.example.org
Host n*
  User ops
  Port 2200
  IdentityFile ~/.ssh/grid_ed25519
  ProxyJump admin@bastion.example.org:22
Host *
  User fallback
  IdentityFile ~/.ssh/id_other
`);

describe('~/.ssh/config with the topology', () => {
  it('Host blocks match the address first, then the node name; the first value wins, as in OpenSSH', () => {
    expect(sshConfigFor(config, { name: 'n1', address: '10.0.0.1' })).toEqual({
      hostName: 'real-n1.example.org',
      user: 'fallback', // `Host *` matched the address before `Host n*` matched the name
      port: 2200,
      identityFiles: ['~/.ssh/id_other'],
      proxyJump: 'admin@bastion.example.org:22',
    });
    expect(sshConfigFor(undefined, { name: 'n1', address: '10.0.0.1' })).toEqual({});
  });

  it('fills what the topology leaves to the built-in defaults', () => {
    const target = connectionTarget(node('n2'), sshConfigFor(config, { name: 'n2', address: '10.0.0.2' }));
    expect(target).toEqual({ host: '10.0.0.2', port: 2200, user: 'fallback', identityFiles: ['~/.ssh/id_other'], jumpHost: 'admin@bastion.example.org:22', fromSshConfig: ['user', 'port', 'identityFile', 'jumpHost'] });
  });

  it('the topology wins wherever it wrote a value, at any level', () => {
    const n = node('n2', 'defaults: { ssh: { user: deploy, port: 22, identityFile: /keys/grid, jumpHost: gw.example.org } }');
    const target = connectionTarget(n, sshConfigFor(config, n));
    expect(target).toEqual({ host: '10.0.0.2', port: 22, user: 'deploy', identityFiles: ['/keys/grid'], jumpHost: 'gw.example.org', fromSshConfig: [] });
  });

  it('HostName redirects the connection; a multi-hop ProxyJump is refused clearly', () => {
    expect(connectionTarget(node('n1'), { hostName: 'real-n1.example.org' }).host).toBe('real-n1.example.org');
    expect(() => connectionTarget(node('n1'), { proxyJump: 'a@b,c@d' })).toThrow(ConnectionError);
  });
});
