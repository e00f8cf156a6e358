import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { checkBucketMs, checkQuery } from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import type { IntegrityStore } from '../integrity/types.js';
import type {
  ActivityEntry,
  ActivityStore,
  AppendResult,
  Facets,
  HistogramBucket,
  JobUpdate,
  StorePage,
} from '../types.js';
import { appendEntries } from './append.js';
import { clickhouseClusterDDL } from './cluster.js';
import { clickhouseIntegrity } from './integrity.js';
import { chIo, storeFailed } from './io.js';
import { updateRun } from './jobs.js';
import { applyMigrations, type ChTableNames } from './migrations.js';
import { readPage } from './page.js';
import { type FacetRow, facetsOf, facetsSql, getSql, histogramSql, whereClause } from './reads.js';
import { deleteEntriesBefore } from './retention.js';
import { KEYS_SUFFIX, RUNS_KEYS_VIEW_SUFFIX, RUNS_SUFFIX } from './schema.js';

/** Options of {@link createClickHouseStore}. Give either a `client` (yours; never closed by the store) or a `url`. */
export interface ClickHouseStoreOptions {
  /** An existing @clickhouse/client client (a server connection, or chdb's in-process one in tests). */
  client?: ClickHouseClient | undefined;
  /** Used to create a client the store owns (closed by `close()`), e.g. `http://default@localhost:8123`. */
  url?: string | undefined;
  /**
   * Database holding the table; created when missing.
   * @default 'activity'
   */
  database?: string | undefined;
  /**
   * Table name.
   * @default 'entries'
   */
  table?: string | undefined;
  /**
   * Create the database and table before the first operation.
   * @default true
   */
  migrate?: boolean | undefined;
  /**
   * Longest time one request may take, in ms, connecting included (@clickhouse/client `request_timeout`);
   * a server that accepts and never answers fails the call by then. Applies to the client the store
   * creates from `url`; set `request_timeout` on your own `client` yourself.
   * @default 15000
   */
  requestTimeoutMs?: number | undefined;
  /**
   * Cluster name (from the servers' `remote_servers`): the store creates the tables with
   * {@link clickhouseClusterDDL} (replicated `<table>_local` on every node, Distributed `<table>` sharded by
   * `cityHash64(org_id)`), reads and writes through the Distributed table with synchronous inserts, and
   * deletes on the local tables `ON CLUSTER`. See docs/scaling.md.
   */
  cluster?: string | undefined;
}

/** A ClickHouse {@link ActivityStore}, for scale-out deployments. */
export interface ClickHouseStore extends ActivityStore, IntegrityStore {
  /** Creates the database and table when missing and applies pending migrations. */
  migrate(): Promise<void>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function identifier(value: string, field: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new ActivityError(
      'CONFIG',
      `${field}: "${value}" must be a plain identifier (letters, digits, underscore)`,
      {
        field,
      },
    );
  }
  return `\`${value}\``;
}

/** Quoted table names of a single node, or of a cluster's Distributed tables and their local tables. */
function tableNames(options: ClickHouseStoreOptions) {
  const db = identifier(options.database ?? 'activity', 'database');
  const tableName = options.table ?? 'entries';
  const named = (suffix: string) => `${db}.${identifier(`${tableName}${suffix}`, 'table')}`;
  const tables: ChTableNames = {
    main: named(''),
    runs: named(RUNS_SUFFIX),
    keys: named(KEYS_SUFFIX),
    keysView: named(`${KEYS_SUFFIX}_mv`),
    runsKeysView: named(RUNS_KEYS_VIEW_SUFFIX),
  };
  const cluster =
    options.cluster === undefined
      ? undefined
      : clickhouseClusterDDL({
          cluster: options.cluster,
          database: options.database,
          table: tableName,
          shards: 1,
        });
  // On a cluster, deletes run on the replicated tables of every node; reads and inserts go through the
  // Distributed ones.
  const onCluster = (local: string) =>
    `${local} ON CLUSTER ${identifier(options.cluster as string, 'cluster')}`;
  const deleteTargets = cluster
    ? {
        main: onCluster(cluster.locals.entries),
        runs: onCluster(cluster.locals.runs),
        keys: onCluster(cluster.locals.keys),
      }
    : { main: tables.main, runs: tables.runs, keys: tables.keys };
  // The integrity side's deletes (its inserts go through the Distributed tables).
  const integrityDeletes = cluster
    ? { digests: onCluster(cluster.locals.digests), seals: onCluster(cluster.locals.seals) }
    : undefined;
  return { db, tables, migrations: named('_migrations'), cluster, deleteTargets, integrityDeletes };
}

/**
 * A ClickHouse {@link ActivityStore} on @clickhouse/client (an optional peer dependency), for
 * deployments that outgrow one PostgreSQL. ClickHouse has no unique constraint: `append` skips ids and
 * idempotency keys already stored, which is exact for one writer per org; concurrent writers of the same
 * key may both insert (see docs/stores.md).
 * @example const store = createClickHouseStore({ url: 'http://localhost:8123', database: 'activity' });
 */
export function createClickHouseStore(options: ClickHouseStoreOptions): ClickHouseStore {
  const {
    db,
    tables: t,
    migrations: migrationsTable,
    cluster,
    deleteTargets,
    integrityDeletes,
  } = tableNames(options);
  if (!options.client && !options.url) {
    throw new ActivityError('CONFIG', 'url: give a url or a @clickhouse/client client (client)', {
      field: 'url',
    });
  }
  const ownsClient = !options.client;
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs <= 0) {
    throw new ActivityError('CONFIG', 'requestTimeoutMs: must be a whole number of milliseconds > 0', {
      field: 'requestTimeoutMs',
    });
  }
  const client = options.client ?? createClient({ url: options.url, request_timeout: requestTimeoutMs });
  let migrated: Promise<void> | undefined;
  let closed = false;

  async function runMigrations(): Promise<void> {
    try {
      if (cluster) {
        // Every statement is ON CLUSTER and IF NOT EXISTS: any node may run them, any number of times.
        for (const query of cluster.statements) await client.command({ query });
        return;
      }
      await applyMigrations(client, db, migrationsTable, t);
    } catch (err) {
      throw storeFailed('migration', err);
    }
  }

  function migrate(): Promise<void> {
    if (!migrated) {
      migrated = runMigrations();
      migrated.catch(() => {
        migrated = undefined;
      });
    }
    return migrated;
  }

  async function ready(): Promise<void> {
    if (closed) throw new ActivityError('STORE_FAILED', 'clickhouse store: closed');
    if (options.migrate !== false) await migrate();
  }

  const { select, insert, remove } = chIo(client, { distributed: cluster !== undefined, ready });

  return {
    migrate,
    ...clickhouseIntegrity({
      client,
      table: t.main,
      ready,
      cluster: integrityDeletes,
    }),

    async append(entries): Promise<AppendResult> {
      await ready();
      return appendEntries({ ...t, select, insert }, entries);
    },

    updateJob(orgId: string, id: string, update: JobUpdate): Promise<boolean> {
      return updateRun({ select, insert }, t, orgId, id, update);
    },

    async get(orgId, id) {
      const [row] = await select<{ doc: string }>('get', getSql(t), { org: orgId, id });
      return row ? (JSON.parse(row.doc) as ActivityEntry) : undefined;
    },

    async query(query): Promise<StorePage> {
      const limit = checkQuery(query);
      const rows = await readPage(select, t, query, limit);
      const entries: ActivityEntry[] = [];
      // A duplicate stored by two racing writers sits next to its twin (same key) until merges drop it.
      for (const [i, r] of rows.slice(0, limit).entries()) {
        if (i === 0 || r.id !== rows[i - 1]?.id) entries.push(JSON.parse(r.doc) as ActivityEntry);
      }
      const last = entries[entries.length - 1];
      return rows.length > limit && last
        ? { entries, next: { occurredAt: last.occurredAt, id: last.id } }
        : { entries };
    },

    async facets(query): Promise<Facets> {
      checkQuery({ ...query, limit: undefined, after: undefined });
      const params: Record<string, unknown> = {};
      const rows = await select<FacetRow>('facets', facetsSql(t, whereClause(query, params, false)), params);
      return facetsOf(rows);
    },

    async histogram(query): Promise<HistogramBucket[]> {
      checkQuery({ ...query, limit: undefined, after: undefined });
      checkBucketMs(query.bucketMs);
      const params: Record<string, unknown> = { bucket: query.bucketMs };
      const rows = await select<{ b: number | string; n: number | string; failures: number | string }>(
        'histogram',
        histogramSql(t, whereClause(query, params, false)),
        params,
      );
      return rows.map((r) => ({
        start: new Date(Number(r.b) * query.bucketMs).toISOString(),
        count: Number(r.n),
        failures: Number(r.failures),
      }));
    },

    deleteBefore(before, orgId) {
      return deleteEntriesBefore({ select, remove }, t, deleteTargets, before, orgId);
    },

    async listOrgs() {
      const rows = await select<{ org_id: string }>(
        'listOrgs',
        `SELECT DISTINCT org_id FROM (SELECT org_id FROM ${t.main}
           UNION ALL SELECT org_id FROM ${t.runs} WHERE status = 'IN_PROGRESS') ORDER BY org_id`,
        {},
      );
      return rows.map((r) => r.org_id);
    },

    async flush() {},

    async close() {
      if (closed) return;
      closed = true;
      await migrated?.catch(() => {});
      if (ownsClient) await client.close();
    },
  };
}
