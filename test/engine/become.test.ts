import { becomeFor } from '../../src/engine/become.js';
import { nodesOf } from '../transport/connect-support.js';

/** `become`'s default (user != root) judged on the user the connection logged in as (engine/become.ts). */
describe('becomeFor', () => {
  const [plain, explicitOff, explicitOn, deploy] = nodesOf('port: 22', [
    '{ name: plain, address: 10.0.0.1 }',
    '{ name: off, address: 10.0.0.2, ssh: { user: deploy, become: false } }',
    '{ name: on, address: 10.0.0.3, ssh: { become: true } }',
    '{ name: deploy, address: 10.0.0.4, ssh: { user: deploy } }',
  ]);

  it('no ssh.user in the topology: sudo when ~/.ssh/config made the login another user than root', () => {
    expect(plain!.settings.ssh.become).toBe(false);
    expect(becomeFor(plain!, { loginUser: 'deploy' })).toBe(true);
    expect(becomeFor(plain!, { loginUser: 'root' })).toBe(false);
  });

  it("the topology's own become wins, whatever the login user", () => {
    expect(becomeFor(explicitOff!, { loginUser: 'deploy' })).toBe(false);
    expect(becomeFor(explicitOn!, { loginUser: 'root' })).toBe(true);
  });

  it('a transport that does not say: the topology default (user != root)', () => {
    expect(becomeFor(plain!, {})).toBe(false);
    expect(becomeFor(deploy!, {})).toBe(true);
  });
});
