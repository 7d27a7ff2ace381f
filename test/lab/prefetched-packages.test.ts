import { loadPlaybook } from '../../src/playbooks/load.js';
import { PREFETCHED_PACKAGES } from '../../src/lab/rootfs.js';

/** The lab image's apt cache holds exactly what gridops' own playbooks install, no more, no less. */
describe('the packages the lab image downloads ahead', () => {
  it('are the packages of the grid workflow\'s playbooks', () => {
    const installed = ['node-base', 'hypervisor', 'qos', 'agent'].flatMap((name) =>
      loadPlaybook(name).resources.flatMap((r) => ('package' in r ? (r as { package: { names: string[] } }).package.names : [])),
    );
    expect([...PREFETCHED_PACKAGES].sort()).toEqual([...new Set(installed)].sort());
  });
});
