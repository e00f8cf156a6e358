import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const sdk = (p: string) => fileURLToPath(new URL(`./packages/sdk/src/${p}`, import.meta.url));

/** Tests run against the sources: `@activity/sdk/<entry>` resolves to `packages/sdk/src/<entry>.ts`. */
const alias = [
  { find: /^@activity\/sdk$/, replacement: sdk('index.ts') },
  {
    find: /^@activity\/sdk\/(client|server|sqlite|postgres|clickhouse|testing|testing\/msw|integrity|integrity\/check)$/,
    replacement: sdk('$1.ts'),
  },
  {
    find: /^@activity\/react$/,
    replacement: fileURLToPath(new URL('./packages/react/src/index.ts', import.meta.url)),
  },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'sdk',
          environment: 'node',
          include: ['packages/sdk/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          typecheck: {
            enabled: true,
            include: ['packages/sdk/**/*.test-d.ts'],
            tsconfig: 'packages/sdk/tsconfig.json',
          },
        },
      },
      {
        plugins: [react()],
        resolve: { alias },
        test: {
          name: 'react',
          environment: 'jsdom',
          include: ['packages/react/**/*.test.{ts,tsx}'],
          setupFiles: ['packages/react/test/setup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['examples/**/*.test.ts', 'packages/react/test/browser/**/*.e2e.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
