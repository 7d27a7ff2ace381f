import { loadPlaybook } from '../../src/playbooks/load.js';
import { SANDBOX_SERIAL_LOG } from '../../src/resources/sandbox-names.js';

/** The paths a playbook's absent-paths entries remove. */
const removedPaths = (name: string): string[] =>
  loadPlaybook(name).resources.flatMap((r) => ((r as Record<string, { paths?: string[] }>)['absent-paths']?.paths ?? []));

/**
 * The sandbox's serial console log is a file gridops names (the domain's definition points QEMU at
 * it), and what a remote user typed on that console is in it: it goes with the VM, as its disks do.
 * (libvirt's own log of the domain, beside it, is kept, as the journal's logs are.)
 */
describe('the sandbox VM\'s serial console log', () => {
  it.each(['reset', 'hypervisor-off'])('is removed by %s, after the VM is destroyed', (name) => {
    expect(removedPaths(name)).toContain(SANDBOX_SERIAL_LOG);
    // Its rotated copies too (virtlogd's and logrotate's): the same sessions, older.
    expect(removedPaths(name)).toContain(`${SANDBOX_SERIAL_LOG}.*`);
    const ids = loadPlaybook(name).resources.map((r) => Object.keys(r)[0] === 'command' ? `command ${(r as { command: { name: string } }).command.name}` : Object.keys(r)[0]);
    expect(ids.indexOf('absent-paths')).toBeGreaterThan(ids.indexOf('absent-libvirt'));
  });
});
