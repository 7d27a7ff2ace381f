import { namesRoot } from '../../src/resources/root-id.js';

describe('namesRoot: a user or group as libvirt reads it', () => {
  it.each(['root', '0', '00', '+0', '+00', '+000'])('%s is root (libvirt reads a number as an id)', (value) => {
    expect(namesRoot(value)).toBe(true);
  });

  it.each(['libvirt-qemu', '+64055', '100', '10', 'root2', '-0', '0x0', '', '+'])('%s is not', (value) => {
    expect(namesRoot(value)).toBe(false);
  });
});
