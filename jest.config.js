// Two layers, as in STYLE.md: hermetic unit tests, and e2e tests against real parts (the lab).
const tsJest = ['ts-jest', { useESM: true, diagnostics: false }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};
export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/test/e2e/'],
      // Hermetic: each unit test file runs with a HOME of its own, never reading the developer's ~/.ssh.
      testEnvironment: '<rootDir>/test/support/own-home-environment.ts',
      // Hermetic: a unit test that names no system-wide ssh_config reads one of its own, never this machine's /etc/ssh/ssh_config.
      moduleNameMapper: { '(^|/)ssh-config-system-path\\.js$': '<rootDir>/test/support/system-ssh-config-path.ts', ...common.moduleNameMapper },
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/e2e/support/default-timeout.ts'] },
  ],
};
