import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          // no podman here: pure code only (the consumer test, which packs and proves, is a suite)
          sequence: { groupOrder: 0 },
        },
      },
      {
        // suites run podman for real, as both identities; they share the host, so one file at a time
        test: {
          name: 'suites',
          include: ['suites/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
