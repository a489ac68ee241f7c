import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'platform/**/*.test.ts',
      'modules/**/*.test.ts',
      'src/**/*.test.ts',
      'test/**/*.test.ts',
      'web/src/**/*.test.ts',
    ],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { NODE_ENV: 'test' },
  },
});
