/**
 * The system-wide OpenSSH client configuration, which ssh reads after the user's
 * (_PATH_HOST_CONFIG_FILE), and gridops with it where no file is named (loadSshConfig).
 *
 * Its own module so that the unit tests read a file of their own in its place, never this
 * machine's: jest.config.js maps it to test/support/system-ssh-config-path.ts for the unit project,
 * as HOME gives them a ~/.ssh/config of their own. A machine whose file sets a ProxyCommand or an
 * IdentityFile for every host would otherwise fail them.
 */
export const SYSTEM_SSH_CONFIG = '/etc/ssh/ssh_config';
