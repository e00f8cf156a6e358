/**
 * Picks the store from the environment: ClickHouse when CLICKHOUSE_URL is set (`chdb:` or
 * `chdb:///path` for the in-process engine, no server), PostgreSQL when
 * ACTIVITY_PG_URL or DATABASE_URL is set, otherwise a SQLite file (the zero-setup default).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ActivityStore } from '@activity/sdk';

/** Folder of the example (`examples/wine-club`). */
export const EXAMPLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Default SQLite file of the demo (gitignored). */
export const DEFAULT_DB_PATH = resolve(EXAMPLE_DIR, 'data/activity.db');

type ClickHouseClient = NonNullable<
  Parameters<typeof import('@activity/sdk/clickhouse')['createClickHouseStore']>[0]['client']
>;

/**
 * A @clickhouse/client client over chdb's in-process engine. Both packages are resolved from the SDK's
 * dev dependencies here; a host app installs `@clickhouse/client` and `chdb` itself.
 */
async function createChdbClient(path: string): Promise<ClickHouseClient> {
  const require = createRequire(join(EXAMPLE_DIR, '../../packages/sdk/package.json'));
  const load = async <T>(name: string): Promise<T> =>
    (await import(pathToFileURL(require.resolve(name)).href)) as T;
  const { createClient } = await load<{
    createClient: (options: { connection: unknown }) => ClickHouseClient;
  }>('@clickhouse/client');
  const { createChdbConnection } = await load<{
    createChdbConnection: (options: { path: string }) => unknown;
  }>('chdb/connection');
  return createClient({ connection: createChdbConnection({ path }) });
}

/** The opened store and a line describing it for the startup banner. */
export interface OpenedStore {
  store: ActivityStore;
  kind: 'sqlite' | 'postgres' | 'clickhouse';
  /** Where the data lives, with any password hidden. */
  location: string;
}

function hidePassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Opens the store named by the environment (`env` defaults to `process.env`). Drivers are imported on
 * demand, so the SQLite default never loads pg or the ClickHouse client.
 */
export async function openStore(env: NodeJS.ProcessEnv = process.env): Promise<OpenedStore> {
  const clickhouse = env.CLICKHOUSE_URL;
  if (clickhouse?.startsWith('chdb:')) {
    // No server at hand: chdb runs the ClickHouse engine in-process, persisted in a folder.
    const { createClickHouseStore } = await import('@activity/sdk/clickhouse');
    const dir = resolve(clickhouse.slice(5).replace(/^\/\//, '') || join(EXAMPLE_DIR, 'data/chdb'));
    mkdirSync(dir, { recursive: true });
    const client = await createChdbClient(dir);
    const store = createClickHouseStore({ client, database: env.CLICKHOUSE_DATABASE ?? 'wine_club' });
    return {
      store: {
        ...store,
        // The store does not own a client it was given: close the chdb session too.
        async close() {
          await store.close();
          await client.close();
        },
      },
      kind: 'clickhouse',
      location: `chdb (in-process) at ${dir}`,
    };
  }
  if (clickhouse) {
    const { createClickHouseStore } = await import('@activity/sdk/clickhouse');
    return {
      store: createClickHouseStore({ url: clickhouse, database: env.CLICKHOUSE_DATABASE ?? 'wine_club' }),
      kind: 'clickhouse',
      location: hidePassword(clickhouse),
    };
  }
  const pg = env.ACTIVITY_PG_URL ?? env.DATABASE_URL;
  if (pg) {
    const { createPostgresStore } = await import('@activity/sdk/postgres');
    return {
      store: createPostgresStore({ connectionString: pg, schema: env.ACTIVITY_PG_SCHEMA ?? 'wine_club' }),
      kind: 'postgres',
      location: hidePassword(pg),
    };
  }
  const { createSqliteStore } = await import('@activity/sdk/sqlite');
  const path = resolve(env.ACTIVITY_DB ?? DEFAULT_DB_PATH);
  mkdirSync(dirname(path), { recursive: true });
  return { store: createSqliteStore({ path }), kind: 'sqlite', location: path };
}
