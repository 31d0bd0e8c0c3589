/**
 * Three projects, each with its own npm script: `unit` (pure code, no Java, no emulators),
 * `integration` (the real local twins: DynamoDB Local and s3rver, started once by the global setup),
 * `infra` (CDK assertions and cdk-nag on synthesized templates). `npm test` runs all three.
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '\\.[cm]?[jt]s$': '<rootDir>/test/support/esbuild-transform.cjs' },
  // middy 5+ ships ESM only: let the transformer turn it into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  moduleFileExtensions: ['ts', 'js', 'cjs', 'mjs', 'json'],
  setupFilesAfterEnv: ['<rootDir>/test/support/after-env.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    { ...shared, displayName: 'infra', roots: ['<rootDir>/test/infra'] },
  ],
  // a timeout catches hangs, not slowness: integration tests spawn the CLI and emulators on 2 shared cores
  testTimeout: 180000,
  maxWorkers: 2,
};
