/** Opens the store a URL names, loading only that store's driver. */
import { statSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { type OpenedStore, parseStoreUrl, type StoreUrl } from './storeUrl.js';

function fileBytes(path: string): number {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    try {
      total += statSync(path + suffix).size;
    } catch {
      // No WAL file: nothing to add.
    }
  }
  return total;
}

async function openSqlite(url: StoreUrl): Promise<OpenedStore> {
  const { createSqliteStore } = await import('../sqlite.js');
  const store = createSqliteStore({ path: url.target });
  return {
    kind: 'sqlite',
    store,
    label: url.label,
    migrate: async () => {},
    bytes: async () => {
      // Fold the WAL into the file first so the size is the data, not pending pages.
      store.db.pragma('wal_checkpoint(TRUNCATE)');
      return fileBytes(url.target);
    },
  };
}

async function openPostgres(url: StoreUrl): Promise<OpenedStore> {
  const { createPostgresStore } = await import('../postgres.js');
  const schema = url.namespace ?? 'activity';
  // Long work (a copy, a retention run) must not hit the store's default 10 s statement limit.
  const store = createPostgresStore({
    connectionString: url.target,
    schema,
    statementTimeoutMs: 0,
    queryTimeoutMs: 0,
  });
  return {
    kind: 'postgres',
    store,
    label: url.label,
    migrate: () => store.migrate(),
    // Copied entries are mostly old: their months are created first, or they would all land in DEFAULT.
    prepareRange: (from, to) => store.maintainPartitions({ from, to }),
    bytes: async () => {
      await store.migrate();
      // A partitioned table's size is the sum of its partitions' (pg_partition_tree is empty for a plain table).
      const { rows } = await store.pool.query<{ n: string }>(
        `WITH t AS (SELECT format('%I.entries', $1::text)::regclass AS r)
         SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree((SELECT r FROM t))),
                         pg_total_relation_size((SELECT r FROM t)))::bigint AS n`,
        [schema],
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}

async function openClickHouse(url: StoreUrl): Promise<OpenedStore> {
  const { createClient } = await import('@clickhouse/client');
  const { createClickHouseStore } = await import('../clickhouse.js');
  const { KEYS_SUFFIX, RUNS_SUFFIX } = await import('../clickhouse/schema.js');
  let client: ClickHouseClient;
  if (url.kind === 'chdb') {
    const { createChdbConnection } = await import('chdb/connection');
    type Connection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
    client = createClient({
      connection: createChdbConnection({ path: url.target }) as unknown as Connection,
    });
  } else {
    client = createClient({ url: url.target, request_timeout: 300_000 });
  }
  const database = url.namespace ?? 'activity';
  const table = url.table ?? 'entries';
  const store = createClickHouseStore({ client, database, table });
  return {
    kind: url.kind,
    store: {
      ...store,
      close: async () => {
        await store.close();
        await client.close();
      },
    },
    label: url.label,
    migrate: () => store.migrate(),
    bytes: async () => {
      await store.migrate();
      const rs = await client.query({
        // Every table the store keeps an entry in: the entries, the runs in progress and the id/key lookup.
        query: `SELECT sum(bytes_on_disk) AS n FROM system.parts
                WHERE active AND database = {db:String} AND table IN {tables:Array(String)}`,
        query_params: { db: database, tables: [table, `${table}${RUNS_SUFFIX}`, `${table}${KEYS_SUFFIX}`] },
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ n: string | number }>();
      return Number(rows[0]?.n ?? 0);
    },
  };
}

/**
 * Opens the store named by a URL (see {@link parseStoreUrl}).
 * @example const { store } = await openStore('sqlite:./activity.db');
 */
export async function openStore(url: string): Promise<OpenedStore> {
  const parsed = parseStoreUrl(url);
  switch (parsed.kind) {
    case 'sqlite':
      return openSqlite(parsed);
    case 'postgres':
      return openPostgres(parsed);
    default:
      return openClickHouse(parsed);
  }
}
