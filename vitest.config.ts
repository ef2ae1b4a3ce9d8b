import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// One runner, several suites. test/run-suites.mjs (npm test) runs each one and reports what it
// could not run; each can also be run alone with `npx vitest run --project <name>`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: [
            'test/unit/**/*.spec.ts',
            'test/exchange/**/*.spec.ts',
            'test/lint/**/*.spec.ts',
          ],
          testTimeout: 30_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          environment: 'happy-dom',
          include: ['test/renderer/**/*.spec.ts', 'test/renderer/**/*.spec.tsx'],
        },
      },
      {
        test: {
          name: 'ui',
          environment: 'node',
          include: ['test/ui/**/*.spec.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'interop',
          environment: 'node',
          // the benchmark's --quick smoke run lives with the suites that need root and strongSwan
          include: ['test/interop/**/*.spec.ts', 'test/bench/**/*.spec.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
