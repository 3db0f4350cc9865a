/** Tests run against one real Temporal dev server per run (started in globalSetup) and real HTTP servers. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  testTimeout: 120000,
  // Two cores: Temporal workers and the dev server compete with test files for CPU.
  maxWorkers: 2,
};
