import { defineConfig } from 'vitest/config';

// Two projects: unit tests run anywhere; lab tests need root and the namespaces that
// e2e/lab sets up, so `make test` runs them inside the lab's workstation host.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['electron/**/*.test.ts', 'renderer/**/*.test.ts', 'e2e/lab/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'lab',
          include: ['e2e/**/*.lab.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
