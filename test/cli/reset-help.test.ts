import Reset from '../../src/commands/reset.js';

describe('reset --help', () => {
  it('says everything reset destroys, as the README does: the sandbox VM and its disks, the grid network and pool, the ifb, the gridwork user', () => {
    const help = `${Reset.summary} ${Reset.description}`.replace(/\s+/g, ' ');
    for (const part of ['destroys the sandbox VM and deletes its disks', 'grid network', 'storage pool', 'ifb gs-sandbox-ifb', 'user gridwork', 'Debian packages stay']) expect(help).toContain(part);
  });
});
