/** One Jest run for unit specs (beside the code), e2e and browser tests (under test/). */
// Packages published as ES modules only: jose, and the OpenID Connect provider and relying party.
const ESM_ONLY = ['jose', 'oidc-provider', 'openid-client', 'oauth4webapi'];

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // These ship ES modules only (Node loads them through require); Jest needs them as CommonJS.
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: [
      'ts-jest',
      { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleNameMapper: {
    '^@portico/core/(.*)$': '<rootDir>/libs/core/src/$1',
    '^@portico/server$': '<rootDir>/apps/server/src',
    '^@portico/(.*)$': '<rootDir>/libs/$1/src',
  },
  setupFiles: ['<rootDir>/test/support/jest-setup.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
