/**
 * `npm run test:faults`: the fault suite (test/faults/), one file, run alone. It makes and removes a
 * PostgreSQL cluster of its own, so it needs neither DATABASE_URL nor jest's global setup.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  maxWorkers: 1,
  testTimeout: 60000,
  verbose: true,
};
