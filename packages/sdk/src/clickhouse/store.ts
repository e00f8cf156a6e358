import { createHash } from 'node:crypto';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { checkBucketMs, checkQuery, sortFacet, toMs } from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import type { IntegrityStore } from '../integrity/types.js';
// Shared with the PostgreSQL store (plain functions, no driver import).
import { applyJobUpdate, likePattern, safeText } from '../postgres/rows.js';
import type {
  ActivityEntry,
  ActivityStore,
  AppendResult,
  FacetCount,
  Facets,
  HistogramBucket,
  JobUpdate,
  StorePage,
  StoreQuery,
} from '../types.js';
import { clickhouseClusterDDL } from './cluster.js';
import { clickhouseIntegrity } from './integrity.js';
import { keyMs, rowOf } from './rows.js';
import { ENGINE_CLAUSE, entryColumns } from './schema.js';

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

interface ClickHouseMigration {
  version: number;
  name: string;
  statements(table: string): string[];
}

/**
 * ReplacingMergeTree keyed (org_id, occurred_at, id): a job update is a new row version with the same
 * key, and reads use FINAL so only the newest version counts. `doc` is the exact entry as JSON.
 * DateTime64 holds only 1900-2299, so `occurred_ms` (epoch ms, Int64) is the exact time every filter,
 * sort and bucket uses, and `occurred_at` is that time clamped into DateTime64's range: still a sort
 * and partition key that prunes parts, and ordered like `occurred_ms` (clamping never reorders).
 */
const MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    version: 1,
    name: 'entries',
    statements: (table) => [
      `CREATE TABLE IF NOT EXISTS ${table} (
        ${entryColumns({ occurredMs: false })}
      )
      ENGINE = ReplacingMergeTree(version)
      ${ENGINE_CLAUSE}
      SETTINGS non_replicated_deduplication_window = 1000`,
    ],
  },
  {
    version: 2,
    name: 'occurred_ms',
    // Rows written before keep their time from occurred_at, which was exact for 1900-2299.
    statements: (table) => [
      `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS occurred_ms Int64
         DEFAULT toUnixTimestamp64Milli(occurred_at) AFTER occurred_at`,
    ],
  },
];

/** Values per existence lookup in `append`; keeps the request URL far below ClickHouse's limit. */
const LOOKUP_CHUNK = 1000;

function chunks<T>(values: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
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

/** WHERE clause of a filter with `{name:Type}` placeholders; values go to `params`, never into the SQL. */
function whereClause(query: StoreQuery, params: Record<string, unknown>, withCursor: boolean): string {
  params.org = query.orgId;
  const conds = ['org_id = {org:String}'];
  const list = (column: string, name: string, values: readonly string[] | undefined) => {
    if (!values?.length) return;
    params[name] = values.map(safeText);
    conds.push(`${column} IN {${name}:Array(String)}`);
  };
  list('type', 'types', query.types);
  list('status', 'statuses', query.statuses);
  list('actor_id', 'actors', query.actorIds);
  list('entity_type', 'entityTypes', query.entityTypes);
  if (query.entityId) {
    params.entityId = safeText(query.entityId);
    conds.push('entity_id = {entityId:String}');
  }
  if (query.correlationId) {
    params.correlationId = safeText(query.correlationId);
    conds.push('correlation_id = {correlationId:String}');
  }
  // Each time bound twice: exact on occurred_ms, and on the clamped key so the primary key prunes parts
  // (ms >= from implies key(ms) >= key(from); ms < to implies key(ms) <= key(to)).
  if (query.from !== undefined) {
    params.from = toMs(query.from, 'from');
    params.fromKey = keyMs(params.from as number);
    conds.push(
      'occurred_ms >= {from:Int64}',
      `occurred_at >= fromUnixTimestamp64Milli({fromKey:Int64}, 'UTC')`,
    );
  }
  if (query.to !== undefined) {
    params.to = toMs(query.to, 'to');
    params.toKey = keyMs(params.to as number);
    conds.push('occurred_ms < {to:Int64}', `occurred_at <= fromUnixTimestamp64Milli({toKey:Int64}, 'UTC')`);
  }
  if (query.q) {
    params.q = likePattern(query.q);
    conds.push('search LIKE {q:String}');
  }
  if (withCursor && query.after) {
    params.afterAt = toMs(query.after.occurredAt, 'after.occurredAt');
    params.afterKey = keyMs(params.afterAt as number);
    params.afterId = query.after.id;
    // The key bound lets the primary key prune parts; the exact tuple comparison breaks ties by id.
    conds.push(
      `occurred_at <= fromUnixTimestamp64Milli({afterKey:Int64}, 'UTC')`,
      '(occurred_ms, id) < ({afterAt:Int64}, {afterId:String})',
    );
  }
  return conds.join(' AND ');
}

/**
 * A ClickHouse {@link ActivityStore} on @clickhouse/client (an optional peer dependency), for
 * deployments that outgrow one PostgreSQL. ClickHouse has no unique constraint: `append` skips ids and
 * idempotency keys already stored, which is exact for one writer per org; concurrent writers of the same
 * key may both insert (see docs/stores.md).
 * @example const store = createClickHouseStore({ url: 'http://localhost:8123', database: 'activity' });
 */
export function createClickHouseStore(options: ClickHouseStoreOptions): ClickHouseStore {
  const db = identifier(options.database ?? 'activity', 'database');
  const tableName = options.table ?? 'entries';
  const table = `${db}.${identifier(tableName, 'table')}`;
  const migrationsTable = `${db}.${identifier(`${tableName}_migrations`, 'table')}`;
  const cluster =
    options.cluster === undefined
      ? undefined
      : clickhouseClusterDDL({
          cluster: options.cluster,
          database: options.database,
          table: tableName,
          shards: 1,
        });
  // Deletes run on the replicated tables of every node; reads and inserts go through the Distributed one.
  const deleteTarget = cluster
    ? `${cluster.localTable} ON CLUSTER ${identifier(options.cluster as string, 'cluster')}`
    : table;
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
    if (cluster) {
      try {
        // Every statement is ON CLUSTER and IF NOT EXISTS: any node may run them, any number of times.
        for (const query of cluster.statements) await client.command({ query });
      } catch (err) {
        throw storeFailed('migration', err);
      }
      return;
    }
    try {
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
        // Statements are idempotent (IF NOT EXISTS), so two processes migrating at once both succeed.
        for (const statement of m.statements(table)) await client.command({ query: statement });
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

  async function insertRows(what: string, rows: ReturnType<typeof rowOf>[], token: string): Promise<void> {
    try {
      await client.insert({
        table,
        values: rows,
        format: 'JSONEachRow',
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

  return {
    migrate,
    ...clickhouseIntegrity({ client, table, ready }),

    async append(entries): Promise<AppendResult> {
      await ready();
      if (entries.length === 0) return { inserted: 0, duplicates: 0 };
      const ids = [...new Set(entries.map((e) => safeText(e.id)))];
      const keyed = entries.filter((e) => e.idempotencyKey !== undefined);
      const existingIds = new Set<string>();
      // Parameters travel in the request URL, so large batches are looked up in slices.
      for (const slice of chunks(ids, LOOKUP_CHUNK)) {
        const rows = await select<{ id: string }>(
          'append',
          `SELECT id FROM ${table} WHERE id IN {ids:Array(String)}`,
          {
            ids: slice,
          },
        );
        for (const r of rows) existingIds.add(r.id);
      }
      // Compared as stored: filter columns hold `safeText` values.
      const pair = (orgId: string, key: string) => JSON.stringify([safeText(orgId), safeText(key)]);
      const existingKeys = new Set<string>();
      const orgs = [...new Set(keyed.map((e) => safeText(e.orgId)))];
      for (const slice of chunks(
        [...new Set(keyed.map((e) => safeText(e.idempotencyKey ?? '')))],
        LOOKUP_CHUNK,
      )) {
        const rows = await select<{ org_id: string; idempotency_key: string }>(
          'append',
          `SELECT org_id, idempotency_key FROM ${table}
           WHERE org_id IN {orgs:Array(String)} AND idempotency_key IN {keys:Array(String)}`,
          { orgs, keys: slice },
        );
        for (const r of rows) existingKeys.add(pair(r.org_id, r.idempotency_key));
      }
      const fresh: ActivityEntry[] = [];
      for (const e of entries) {
        const key = e.idempotencyKey === undefined ? undefined : pair(e.orgId, e.idempotencyKey);
        if (existingIds.has(safeText(e.id)) || (key !== undefined && existingKeys.has(key))) continue;
        // Later duplicates within the same batch lose to the first, as with a unique constraint.
        existingIds.add(safeText(e.id));
        if (key !== undefined) existingKeys.add(key);
        fresh.push(e);
      }
      if (fresh.length > 0) {
        const token = createHash('sha256')
          .update(fresh.map((e) => e.id).join('\n'))
          .digest('hex');
        // One INSERT is one block: ClickHouse writes it atomically (up to max_insert_block_size rows).
        await insertRows(
          'append',
          fresh.map((e) => rowOf(e, 1)),
          `append:${token}`,
        );
      }
      return { inserted: fresh.length, duplicates: entries.length - fresh.length };
    },

    async updateJob(orgId: string, id: string, update: JobUpdate): Promise<boolean> {
      const rows = await select<{ doc: string; version: number | string }>(
        'updateJob',
        `SELECT doc, version FROM ${table} FINAL WHERE org_id = {org:String} AND id = {id:String} LIMIT 1`,
        { org: orgId, id },
      );
      const row = rows[0];
      if (!row) return false;
      const current = JSON.parse(row.doc) as ActivityEntry;
      if (current.status !== 'IN_PROGRESS') return false;
      const version = Number(row.version) + 1;
      // Same sorting key, higher version: ReplacingMergeTree keeps this row and FINAL reads only it.
      await insertRows(
        'updateJob',
        [rowOf(applyJobUpdate(current, update), version)],
        `job:${id}:${version}`,
      );
      return true;
    },

    async get(orgId, id) {
      const rows = await select<{ doc: string }>(
        'get',
        `SELECT doc FROM ${table} FINAL WHERE org_id = {org:String} AND id = {id:String} LIMIT 1`,
        { org: orgId, id },
      );
      return rows[0] ? (JSON.parse(rows[0].doc) as ActivityEntry) : undefined;
    },

    async query(query): Promise<StorePage> {
      const limit = checkQuery(query);
      const params: Record<string, unknown> = { limit: limit + 1 };
      const where = whereClause(query, params, true);
      const rows = await select<{ doc: string }>(
        'query',
        `SELECT doc FROM ${table} FINAL WHERE ${where} ORDER BY occurred_at DESC, occurred_ms DESC, id DESC LIMIT {limit:UInt32}`,
        params,
      );
      const entries = rows.slice(0, limit).map((r) => JSON.parse(r.doc) as ActivityEntry);
      const last = entries[entries.length - 1];
      return rows.length > limit && last
        ? { entries, next: { occurredAt: last.occurredAt, id: last.id } }
        : { entries };
    },

    async facets(query): Promise<Facets> {
      checkQuery({ ...query, limit: undefined, after: undefined });
      const params: Record<string, unknown> = {};
      const where = whereClause(query, params, false);
      const rows = await select<{
        type: string;
        status: string;
        actor_id: string;
        entity_type: string;
        label: string;
        n: number | string;
        g: number | string;
      }>(
        'facets',
        `SELECT type, status, actor_id, entity_type, max(actor_name) AS label, count() AS n,
                grouping(type, status, actor_id, entity_type) AS g
         FROM ${table} FINAL WHERE ${where}
         GROUP BY GROUPING SETS ((type), (status), (actor_id), (entity_type), ())`,
        params,
      );
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
      const where = whereClause(query, params, false);
      const rows = await select<{ b: number | string; n: number | string; failures: number | string }>(
        'histogram',
        // intDiv truncates toward zero; shifting negative times first makes it floor (times before 1970).
        `SELECT intDiv(occurred_ms - if(occurred_ms < 0, {bucket:Int64} - 1, 0), {bucket:Int64}) AS b, count() AS n,
                countIf(status IN ('FAILED', 'WARNING')) AS failures
         FROM ${table} FINAL WHERE ${where} GROUP BY b ORDER BY b`,
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
      let where = `occurred_ms < {before:Int64} AND occurred_at <= fromUnixTimestamp64Milli({beforeKey:Int64}, 'UTC')`;
      if (orgId !== undefined) {
        params.org = orgId;
        where = `org_id = {org:String} AND ${where}`;
      }
      const counted = await select<{ n: number | string }>(
        'deleteBefore',
        `SELECT count() AS n FROM ${table} FINAL WHERE ${where}`,
        params,
      );
      const n = Number(counted[0]?.n ?? 0);
      if (n === 0) return 0;
      try {
        // Lightweight DELETE masks rows at once; waiting makes the count true when this returns.
        await client.command({
          query: `DELETE FROM ${deleteTarget} WHERE ${where}`,
          query_params: params,
          clickhouse_settings: { lightweight_deletes_sync: '2', mutations_sync: '2' },
        });
      } catch (err) {
        throw storeFailed('deleteBefore', err);
      }
      return n;
    },

    async listOrgs() {
      const rows = await select<{ org_id: string }>(
        'listOrgs',
        `SELECT DISTINCT org_id FROM ${table} ORDER BY org_id`,
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
