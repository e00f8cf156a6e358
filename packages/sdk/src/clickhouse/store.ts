import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { checkBucketMs, checkQuery, sortFacet, toMs } from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import type { IntegrityStore } from '../integrity/types.js';
// Shared with the PostgreSQL store (plain functions, no driver import).
import { applyJobUpdate } from '../postgres/rows.js';
import type {
  ActivityEntry,
  ActivityStore,
  AppendResult,
  FacetCount,
  Facets,
  HistogramBucket,
  JobUpdate,
  StorePage,
} from '../types.js';
import { appendEntries } from './append.js';
import { clickhouseClusterDDL } from './cluster.js';
import { clickhouseIntegrity } from './integrity.js';
import { type ChTableNames, MIGRATIONS } from './migrations.js';
import { readPage } from './page.js';
import { facetsSql, getSql, histogramSql, runningSql, whereClause } from './reads.js';
import { keyMs, rowValues } from './rows.js';
import { KEYS_SUFFIX, ROW_COLUMNS, RUNS_SUFFIX } from './schema.js';

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

function storeFailed(what: string, cause: unknown): ActivityError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new ActivityError('STORE_FAILED', `clickhouse store: ${what} failed${detail}`, { cause });
}

/** Settings of every mutation the store runs: it returns once the rows are gone. */
const SYNC = { lightweight_deletes_sync: '2', mutations_sync: '2' } as const;

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
  return { db, tables, migrations: named('_migrations'), cluster, deleteTargets };
}

/**
 * A ClickHouse {@link ActivityStore} on @clickhouse/client (an optional peer dependency), for
 * deployments that outgrow one PostgreSQL. ClickHouse has no unique constraint: `append` skips ids and
 * idempotency keys already stored, which is exact for one writer per org; concurrent writers of the same
 * key may both insert (see docs/stores.md).
 * @example const store = createClickHouseStore({ url: 'http://localhost:8123', database: 'activity' });
 */
export function createClickHouseStore(options: ClickHouseStoreOptions): ClickHouseStore {
  const { db, tables: t, migrations: migrationsTable, cluster, deleteTargets } = tableNames(options);
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
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
      await client.command({
        query: `CREATE TABLE IF NOT EXISTS ${migrationsTable}
                (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
                ENGINE = ReplacingMergeTree ORDER BY version`,
      });
      const rs = await client.query({
        query: `SELECT version FROM ${migrationsTable}`,
        format: 'JSONEachRow',
      });
      const applied = new Set((await rs.json<{ version: number | string }>()).map((r) => Number(r.version)));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        // Statements are idempotent, so two processes migrating at once both succeed. No deduplication:
        // a copy made by a migration is never a retried insert (and chdb keeps a session's last token).
        for (const query of m.statements(t)) {
          await client.command({ query, clickhouse_settings: { ...SYNC, insert_deduplicate: 0 } });
        }
        await client.insert({
          table: migrationsTable,
          values: [{ version: m.version, name: m.name }],
          format: 'JSONEachRow',
        });
      }
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

  async function select<R>(what: string, query: string, params: Record<string, unknown>): Promise<R[]> {
    await ready();
    try {
      const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
      return await rs.json<R>();
    } catch (err) {
      throw storeFailed(what, err);
    }
  }

  async function insert(what: string, table: string, rows: unknown[][], token: string): Promise<void> {
    try {
      await client.insert({
        table,
        values: rows,
        columns: [...ROW_COLUMNS],
        format: 'JSONCompactEachRow',
        // A retried insert (timeout after the server committed) is dropped by the server, not doubled.
        // On a cluster the insert returns once the shard has it, and the token travels with it there.
        clickhouse_settings: cluster
          ? { insert_deduplication_token: token, insert_distributed_sync: 1 }
          : { insert_deduplication_token: token },
      });
    } catch (err) {
      throw storeFailed(what, err);
    }
  }

  async function remove(what: string, target: string, where: string, params: Record<string, unknown>) {
    try {
      // Lightweight DELETE masks rows at once; waiting makes the count true when this returns.
      await client.command({
        query: `DELETE FROM ${target} WHERE ${where}`,
        query_params: params,
        clickhouse_settings: SYNC,
      });
    } catch (err) {
      throw storeFailed(what, err);
    }
  }

  return {
    migrate,
    ...clickhouseIntegrity({ client, table: t.main, ready }),

    async append(entries): Promise<AppendResult> {
      await ready();
      return appendEntries({ ...t, select, insert }, entries);
    },

    async updateJob(orgId: string, id: string, update: JobUpdate): Promise<boolean> {
      const [row] = await select<{ doc: string; version: number | string }>('updateJob', getSql(t), {
        org: orgId,
        id,
      });
      if (!row) return false;
      const current = JSON.parse(row.doc) as ActivityEntry;
      if (current.status !== 'IN_PROGRESS') return false;
      const version = Number(row.version) + 1;
      const values = [rowValues(applyJobUpdate(current, update), version)];
      const token = `job:${id}:${version}`;
      // A finish writes the final version to the entries table first, then to the runs table, where it
      // ends the run for FINAL; readers that see both in between take the entries table's.
      if (values[0]?.[6] !== 'IN_PROGRESS') await insert('updateJob', t.main, values, token);
      await insert('updateJob', t.runs, values, token);
      return true;
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
      const rows = await select<{
        type: string;
        status: string;
        actor_id: string;
        entity_type: string;
        label: string;
        n: number | string;
        g: number | string;
      }>('facets', facetsSql(t, whereClause(query, params, false)), params);
      const facets: Facets = { types: [], statuses: [], actors: [], entityTypes: [], total: 0 };
      for (const r of rows) {
        const n = Number(r.n);
        // grouping() sets a bit for each column that is NOT grouped in the row's set (first column = high bit).
        switch (Number(r.g)) {
          case 0b0111:
            facets.types.push({ value: r.type, count: n });
            break;
          case 0b1011:
            facets.statuses.push({ value: r.status, count: n });
            break;
          case 0b1101: {
            const c: FacetCount = { value: r.actor_id, count: n };
            if (r.label !== '') c.label = r.label;
            facets.actors.push(c);
            break;
          }
          case 0b1110:
            if (r.entity_type !== '') facets.entityTypes.push({ value: r.entity_type, count: n });
            break;
          case 0b1111:
            facets.total = n;
            break;
        }
      }
      sortFacet(facets.types);
      sortFacet(facets.statuses);
      sortFacet(facets.actors);
      sortFacet(facets.entityTypes);
      return facets;
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

    async deleteBefore(before, orgId) {
      const cutoff = toMs(before, 'before');
      const params: Record<string, unknown> = { before: cutoff, beforeKey: keyMs(cutoff) };
      const org = orgId === undefined ? '' : 'org_id = {org:String} AND ';
      if (orgId !== undefined) params.org = orgId;
      const where = `${org}occurred_ms < {before:Int64} AND occurred_at <= fromUnixTimestamp64Milli({beforeKey:Int64}, 'UTC')`;
      // Retention is not a hot path: FINAL makes the count exact even with a racing duplicate unmerged.
      const counted = await select<{ n: number | string }>(
        'deleteBefore',
        `SELECT count() AS n FROM (SELECT id FROM ${t.main} FINAL WHERE ${where}
           UNION ALL ${runningSql(t, 'id', where, orgId !== undefined)})`,
        params,
      );
      const n = Number(counted[0]?.n ?? 0);
      if (n === 0) return 0;
      await remove('deleteBefore', deleteTargets.main, where, params);
      await remove('deleteBefore', deleteTargets.runs, where, params);
      // The deleted entries' ids and keys may be used again, as on the other stores.
      await remove('deleteBefore', deleteTargets.keys, `${org}occurred_ms < {before:Int64}`, params);
      return n;
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
