import { posix } from 'node:path';
import { loadPlaybook } from '../../src/playbooks/load.js';
import { SANDBOX_STAGING_PATH } from '../../src/resources/sandbox-names.js';

/** The paths a playbook's absent-paths entries remove. */
const removedPaths = (name: string): string[] =>
  loadPlaybook(name).resources.flatMap((r) => ((r as Record<string, { paths?: string[] }>)['absent-paths']?.paths ?? []));
const covers = (removed: string[], path: string) => removed.some((p) => p === path || path.startsWith(`${p}/`));

describe('the staging directory of the base image upload', () => {
  it('is removed by reset and by hypervisor-off, as the pool is', () => {
    expect(posix.dirname(SANDBOX_STAGING_PATH)).toBe('/var/lib/gridops');
    expect(covers(removedPaths('reset'), SANDBOX_STAGING_PATH)).toBe(true);
    expect(removedPaths('hypervisor-off')).toContain(SANDBOX_STAGING_PATH);
  });
});
