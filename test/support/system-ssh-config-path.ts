import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What unit tests read as the system-wide ssh_config where they name none (jest.config.js maps
 * src/transport/ssh-config-system-path.ts here): a path of this jest worker's own, not there
 * unless a test writes it, so no test reads the machine's /etc/ssh/ssh_config by default.
 */
export const SYSTEM_SSH_CONFIG = join(tmpdir(), `gridops-unit-system-ssh-config-${process.pid}`, 'ssh_config');
