import { benchChildEnv } from '../../bench/lib/child-env.js';

/** What the bench's children (gridops, ssh, ansible-playbook) inherit: nothing that changes what is measured. */
describe('benchChildEnv', () => {
  const parent = {
    PATH: '/usr/bin:/bin',
    HOME: '/root',
    GRIDOPS_PERSIST: '60s',
    GRIDOPS_CACHE_DIR: '/var/cache/elsewhere',
    GRIDOPS_KEEPER_DIR: '/tmp/someone-else',
    SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
    ANSIBLE_CALLBACKS_ENABLED: 'profile_tasks',
    NODE_OPTIONS: '--inspect',
  };

  it('drops GRIDOPS_PERSIST (it would make every fresh run a kept one), and every other GRIDOPS_ variable', () => {
    const env = benchChildEnv(parent);
    expect(env).not.toHaveProperty('GRIDOPS_PERSIST');
    expect(env).not.toHaveProperty('GRIDOPS_CACHE_DIR');
    expect(env).not.toHaveProperty('GRIDOPS_KEEPER_DIR');
  });

  it("drops the ssh-agent, Ansible's own settings and NODE_OPTIONS; keeps PATH and HOME; colour off", () => {
    expect(benchChildEnv(parent)).toEqual({ PATH: '/usr/bin:/bin', HOME: '/root', NO_COLOR: '1' });
  });

  it('sets what the bench sets on purpose, over anything inherited', () => {
    expect(benchChildEnv(parent, { GRIDOPS_KEEPER_DIR: '/tmp/keeper-50-0', ANSIBLE_FORKS: '50' })).toEqual({ PATH: '/usr/bin:/bin', HOME: '/root', NO_COLOR: '1', GRIDOPS_KEEPER_DIR: '/tmp/keeper-50-0', ANSIBLE_FORKS: '50' });
  });
});
