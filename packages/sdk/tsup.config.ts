import { defineConfig } from 'tsup';

/**
 * One explicit entry per subpath export (`testing/msw` is `src/testing/msw.ts`, kept apart so `/testing` loads
 * without msw); scripts/check-exports.mjs keeps this list and package.json in sync.
 */
export const entries = [
  'index',
  'client',
  'server',
  'sqlite',
  'postgres',
  'clickhouse',
  'testing',
  'testing/msw',
] as const;

export default defineConfig({
  entry: Object.fromEntries(entries.map((e) => [e, `src/${e}.ts`])),
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  external: ['better-sqlite3', 'pg', '@clickhouse/client', 'chdb', 'msw'],
});
