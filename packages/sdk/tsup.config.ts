import { defineConfig } from 'tsup';

/**
 * One explicit entry per subpath export (`testing/msw` is `src/testing/msw.ts`, kept apart so `/testing` loads
 * without msw; `integrity/check` is the browser-safe proof check, without node:crypto); scripts/check-exports.mjs keeps this list and package.json in sync.
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
  'integrity',
  'integrity/check',
] as const;

const common = {
  target: 'node20',
  external: ['better-sqlite3', 'pg', '@clickhouse/client', 'chdb', 'msw'],
} as const;

export default defineConfig([
  {
    ...common,
    entry: Object.fromEntries(entries.map((e) => [e, `src/${e}.ts`])),
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
  },
  // The `activity` bin: ESM only, no types; tsup keeps the source's shebang and marks the file executable.
  {
    ...common,
    entry: { 'cli/activity': 'src/cli/index.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    splitting: true,
  },
]);
