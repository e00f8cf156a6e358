import type pg from 'pg';
import { checkBucketMs, checkQuery, sortFacet, toMs } from '../core/storeQuery.js';
import { validateEntry } from '../core/validate.js';
import { ActivityError } from '../errors.js';
import type { IntegrityStore } from '../integrity/types.js';
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
import { copyAppend } from './copyAppend.js';
import { CSV_CELL_COLUMNS, CSV_SELECT, csvCellsOfRow, csvCursorOf } from './csvRows.js';
import { COPY_MIN_ROWS, INSERT_COLUMNS, rowOf, unnestAppend } from './ingest.js';
import { postgresIntegrity } from './integrity.js';
import { LOCK_NAMESPACE, MIGRATIONS } from './migrations.js';
import { dropMonths, type PartitionDrop, releaseMonths } from './partitionDrop.js';
import { createMonths, lockPartitions, monthsAround, monthsBetween } from './partitions.js';
import { DEFAULT_DEADLINES, guardPool, type PostgresStoreStats } from './pool.js';
import { applyJobUpdate, distinctOrgsSql, likePattern, safeText } from './rows.js';

/** Options of {@link createPostgresStore}. Give either a `pool` (yours; never ended by the store) or a `connectionString`. */
export interface PostgresStoreOptions {
  /** An existing pool of the host app. The store never ends it. */
  pool?: pg.Pool | undefined;
  /** Used to create a pool the store owns (ended by `close()`). */
  connectionString?: string | undefined;
  /**
   * Schema holding the tables; created when missing.
   * @default 'activity'
   */
  schema?: string | undefined;
  /**
   * Apply pending migrations before the first operation. Set false when migrations run in a deploy step.
   * @default true
   */
  migrate?: boolean | undefined;
  /**
   * Longest wait to open a connection, in ms (pg `connectionTimeoutMillis`); 0 = no limit. Applies to the
   * pool the store creates; set it on your own `pool` yourself.
   * @default 5000
   */
  connectTimeoutMs?: number | undefined;
  /**
   * Server-side limit of one statement, in ms (PostgreSQL `statement_timeout`); 0 = no limit. Also bounds
   * each migration statement: run long migrations in a deploy step with a larger value. Applies to the
   * pool the store creates.
   * @default 10000
   */
  statementTimeoutMs?: number | undefined;
  /**
   * Client-side limit of one query, in ms (pg `query_timeout`), for a server that accepts and never
   * answers; 0 = no limit. Applies to the pool the store creates.
   * @default 15000
   */
  queryTimeoutMs?: number | undefined;
  /**
   * Receives connection errors no caller is waiting for (a pooled connection ended by the server while
   * idle), as `STORE_FAILED` with the pg error as `cause`. They are counted in `stats()` either way, and
   * the pool opens a new connection on next use. Failed calls reject to their caller instead.
   */
  onError?: ((error: ActivityError) => void) | undefined;
}

/** Anything that can run a query: a pool, a pooled client or a plain client. */
export type PostgresQueryable = Pick<pg.ClientBase, 'query'>;

/** A PostgreSQL {@link ActivityStore}, plus migrations and same-transaction writes. */
export interface PostgresStore extends ActivityStore, IntegrityStore {
  /** Applies pending migrations; safe to call from many processes at once (advisory lock). */
  migrate(): Promise<void>;
  /**
   * Validates entries and appends them through the host's client, inside the host's open transaction,
   * so they commit or roll back with the business change. Throws `INVALID_EVENT` on a bad entry.
   * @example await client.query('BEGIN'); await updateContact(client); await store.appendInTransaction(client, [entry]); await client.query('COMMIT');
   */
  appendInTransaction(client: PostgresQueryable, entries: ActivityEntry[]): Promise<AppendResult>;
  /** The pool the store queries through. */
  readonly pool: pg.Pool;
  /** Counters of the store's connections (errors handled so far). */
  stats(): PostgresStoreStats;
  /**
   * Creates the monthly partitions around now (one behind, three ahead), as the store does hourly; or, given
   * a range, every month of it (before a backfill, so old entries land in their months, not in DEFAULT).
   * Also releases the keys of months {@link PostgresStore.dropPartitionsBefore} detached, and drops them.
   * @example await store.maintainPartitions({ from: '2024-01-01', to: '2026-01-01' })
   */
  maintainPartitions(range?: { from: string; to: string }): Promise<void>;
  /**
   * Detaches every monthly partition that ends at or before `before` and holds entries of `orgs` only
   * (a partition with an entry of any other org stays). Used by retention once those orgs are archived:
   * a whole month goes at once instead of a `DELETE` per org. Its ids and idempotency keys are free at
   * once; their `entry_keys` rows and the detached table are removed in the background (`close()` waits
   * for it; `maintainPartitions()` finishes what a stopped process left).
   */
  dropPartitionsBefore(before: string, options: { orgs: string[] }): Promise<PartitionDrop>;
}

function deadline(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new ActivityError('CONFIG', `${field}: must be a whole number of milliseconds ≥ 0 (0 = no limit)`, {
      field,
    });
  }
  return value;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const HOUR_MS = 3_600_000;

function storeFailed(what: string, cause: unknown): ActivityError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new ActivityError('STORE_FAILED', `postgres store: ${what} failed${detail}`, { cause });
}

/** Builds the WHERE clause of a filter, pushing values to `params` ($n placeholders only). */
function whereClause(query: StoreQuery, params: unknown[], withCursor: boolean): string {
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conds = [`org_id = ${p(query.orgId)}`];
  const list = (column: string, values: readonly string[] | undefined) => {
    if (!values?.length) return;
    // One value is an equality, so the (org_id, column, occurred_at, id) index returns rows in page
    // order; `= ANY` on a non-leading column makes PostgreSQL sort (before 17).
    if (values.length === 1) conds.push(`${column} = ${p(safeText(values[0] as string))}`);
    else conds.push(`${column} = ANY(${p(values.map(safeText))}::text[])`);
  };
  list('type', query.types);
  list('status', query.statuses);
  list('actor_id', query.actorIds);
  list('entity_type', query.entityTypes);
  if (query.entityId) conds.push(`entity_id = ${p(safeText(query.entityId))}`);
  if (query.correlationId) conds.push(`correlation_id = ${p(safeText(query.correlationId))}`);
  if (query.from !== undefined)
    conds.push(`occurred_at >= ${p(new Date(toMs(query.from, 'from')).toISOString())}`);
  if (query.to !== undefined) conds.push(`occurred_at < ${p(new Date(toMs(query.to, 'to')).toISOString())}`);
  if (query.q) conds.push(`search LIKE ${p(likePattern(query.q))}`);
  if (withCursor && query.after) {
    const at = new Date(toMs(query.after.occurredAt, 'after.occurredAt')).toISOString();
    // Row comparison matches the (occurred_at DESC, id DESC) index order, so deep pages stay cheap.
    conds.push(`(occurred_at, id) < (${p(at)}::timestamptz, ${p(query.after.id)})`);
  }
  return conds.join(' AND ');
}

/** What a job update rewrites: what `applyJobUpdate` may change, the export cells included. */
const UPDATED_COLUMNS = ['status', 'search', 'metadata', 'doc', ...CSV_CELL_COLUMNS.map(([c]) => c)];
const column = (name: string) => INSERT_COLUMNS.findIndex(([c]) => c === name);

// Re-exported: the benchmarks and tests write rows exactly as the store does.
export { INSERT_COLUMNS, rowOf } from './ingest.js';

/**
 * A PostgreSQL {@link ActivityStore} on `pg` (an optional peer dependency): versioned migrations under
 * an advisory lock, keyset paging on composite indexes, idempotent batch inserts, and
 * {@link PostgresStore.appendInTransaction} to write entries in the host's own transaction.
 * @example const store = createPostgresStore({ connectionString: process.env.DATABASE_URL });
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const schemaName = options.schema ?? 'activity';
  if (!IDENTIFIER.test(schemaName)) {
    throw new ActivityError(
      'CONFIG',
      `schema: "${schemaName}" must be a plain identifier (letters, digits, underscore; at most 63)`,
      { field: 'schema' },
    );
  }
  if (!options.pool && !options.connectionString) {
    throw new ActivityError('CONFIG', 'connectionString: give a connectionString or a pg Pool (pool)', {
      field: 'connectionString',
    });
  }
  const guard = guardPool({
    pool: options.pool,
    connectionString: options.connectionString,
    onError: options.onError,
    deadlines: {
      connectTimeoutMs: deadline(
        options.connectTimeoutMs,
        DEFAULT_DEADLINES.connectTimeoutMs,
        'connectTimeoutMs',
      ),
      statementTimeoutMs: deadline(
        options.statementTimeoutMs,
        DEFAULT_DEADLINES.statementTimeoutMs,
        'statementTimeoutMs',
      ),
      queryTimeoutMs: deadline(options.queryTimeoutMs, DEFAULT_DEADLINES.queryTimeoutMs, 'queryTimeoutMs'),
    },
  });
  const { pool } = guard;
  const schema = `"${schemaName}"`;
  const table = `${schema}.entries`;
  let migrated: Promise<void> | undefined;
  let closed = false;

  async function runMigrations(): Promise<void> {
    try {
      // On failure the client is discarded, not released: ending its connection rolls the transaction back.
      await guard.withClient(async (client) => {
        await client.query('BEGIN');
        // Concurrent boots serialise here; the loser then sees every migration applied and does nothing.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, schemaName]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
             version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        const { rows } = await client.query<{ version: number }>(
          `SELECT version FROM ${schema}.schema_migrations`,
        );
        const applied = new Set(rows.map((r) => r.version));
        for (const m of MIGRATIONS) {
          if (applied.has(m.version)) continue;
          await m.up({ client, schema });
          await client.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
            m.version,
            m.name,
          ]);
        }
        await client.query('COMMIT');
      });
    } catch (err) {
      throw storeFailed('migration', err);
    }
  }

  function migrate(): Promise<void> {
    if (!migrated) {
      migrated = runMigrations();
      // A failed attempt (database briefly down) may be retried by the next call.
      migrated.catch(() => {
        migrated = undefined;
      });
    }
    return migrated;
  }

  let maintainedAt = Number.NEGATIVE_INFINITY;
  let maintaining: Promise<void> | undefined;

  async function ready(): Promise<void> {
    if (closed) throw new ActivityError('STORE_FAILED', 'postgres store: closed');
    if (options.migrate !== false) await migrate();
    // Months ahead are created at most once an hour; entries of a month without a partition land in the
    // DEFAULT partition meanwhile, so a failure here (no DDL right) never fails a write.
    if (Date.now() - maintainedAt > HOUR_MS) {
      maintainedAt = Date.now();
      maintaining = maintainPartitions().catch(() => {});
      // Keys of months a crashed process detached: released in the background, never delaying a write.
      release().catch(() => {});
    }
    await maintaining;
  }

  async function maintainPartitions(range?: { from: string; to: string }): Promise<void> {
    const months = range
      ? monthsBetween(toMs(range.from, 'from'), toMs(range.to, 'to'))
      : monthsAround(Date.now());
    await guard.withClient(async (client) => {
      await client.query('BEGIN');
      await lockPartitions(client, schemaName);
      await createMonths(client, schema, months);
      await client.query('COMMIT');
    });
  }

  let releasing: Promise<unknown> = Promise.resolve();
  /** Releases the keys of detached months after any release under way; `close()` waits for it. */
  function release(): Promise<number> {
    const next = releasing.then(() => releaseMonths(guard, schema, schemaName));
    releasing = next.catch(() => {});
    return next;
  }

  async function run<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[]) {
    await ready();
    try {
      return await pool.query<R>(sql, params);
    } catch (err) {
      throw storeFailed(what, err);
    }
  }

  /** Appends on `db` (the host's transaction), or by COPY on a pooled client when `db` is undefined. */
  async function insert(db: PostgresQueryable | undefined, entries: ActivityEntry[]): Promise<AppendResult> {
    if (entries.length === 0) return { inserted: 0, duplicates: 0 };
    try {
      const inserted =
        db !== undefined
          ? await unnestAppend(db, schema, entries.map(rowOf))
          : entries.length >= COPY_MIN_ROWS
            ? await guard.withClient((client) => copyAppend(client, schema, entries))
            : await unnestAppend(pool, schema, entries.map(rowOf));
      return { inserted, duplicates: entries.length - inserted };
    } catch (err) {
      throw storeFailed('append', err);
    }
  }

  return {
    pool,
    migrate,
    stats: guard.stats,
    ...postgresIntegrity({ guard, schema, ready }),

    async append(entries) {
      await ready();
      return insert(undefined, entries);
    },

    async appendInTransaction(client, entries) {
      // These entries skip the recorder's pipeline, so they get its validation here; a bad one throws
      // (INVALID_EVENT naming the field) before anything is written, and the host can roll back.
      const valid = entries.map((e) => validateEntry(e).entry);
      await ready();
      return insert(client, valid);
    },

    async updateJob(orgId: string, id: string, update: JobUpdate): Promise<boolean> {
      await ready();
      const { client, done } = await guard.checkout();
      let failure: unknown;
      try {
        await client.query('BEGIN');
        // The row lock orders concurrent updates of one run: the second sees the first's final status.
        const found = await client.query<{ doc: string; occurred_at: Date }>(
          `SELECT e.doc, e.occurred_at FROM ${schema}.entry_keys k
           JOIN ${table} e ON e.org_id = k.org_id AND e.occurred_at = k.occurred_at AND e.id = k.id
           WHERE k.id = $1 AND k.org_id = $2 AND e.status = 'IN_PROGRESS' FOR UPDATE OF e`,
          [id, orgId],
        );
        const row = found.rows[0];
        if (!row) {
          await client.query('ROLLBACK');
          return false;
        }
        const next = applyJobUpdate(JSON.parse(row.doc) as ActivityEntry, update);
        // The columns a run's update can change, as an append of `next` would write them.
        const values = rowOf(next);
        await client.query(
          `UPDATE ${table} SET ${UPDATED_COLUMNS.map((c, i) => `${c} = $${i + 4}`).join(', ')}
           WHERE id = $1 AND org_id = $2 AND occurred_at = $3 AND status = 'IN_PROGRESS'`,
          [id, orgId, row.occurred_at, ...UPDATED_COLUMNS.map((c) => values[column(c)] ?? null)],
        );
        await client.query('COMMIT');
        return true;
      } catch (err) {
        // The client is discarded on failure; ending its connection rolls the transaction back.
        failure = err;
        throw storeFailed('updateJob', err);
      } finally {
        done(failure);
      }
    },

    async get(orgId, id) {
      // PostgreSQL text cannot hold NUL: no entry has such an id, and asking would fail the query.
      if (String(id).includes('\u0000') || String(orgId).includes('\u0000')) return undefined;
      const { rows } = await run<{ doc: string }>(
        'get',
        // The key row names the month, so only that partition is probed.
        `SELECT e.doc FROM ${schema}.entry_keys k
         JOIN ${table} e ON e.org_id = k.org_id AND e.occurred_at = k.occurred_at AND e.id = k.id
         WHERE k.id = $1 AND k.org_id = $2`,
        [id, orgId],
      );
      return rows[0] ? (JSON.parse(rows[0].doc) as ActivityEntry) : undefined;
    },

    async query(query): Promise<StorePage> {
      const limit = checkQuery(query);
      const params: unknown[] = [];
      const where = whereClause(query, params, true);
      params.push(limit + 1);
      const { rows } = await run<{ doc: string }>(
        'query',
        `SELECT doc FROM ${table} WHERE ${where} ORDER BY occurred_at DESC, id DESC LIMIT $${params.length}`,
        params,
      );
      const entries = rows.slice(0, limit).map((r) => JSON.parse(r.doc) as ActivityEntry);
      const last = entries[entries.length - 1];
      return rows.length > limit && last
        ? { entries, next: { occurredAt: last.occurredAt, id: last.id } }
        : { entries };
    },

    async queryCsvRows(query): Promise<StorePage<string[]>> {
      const limit = checkQuery(query);
      const params: unknown[] = [];
      const where = whereClause(query, params, true);
      params.push(limit + 1);
      await ready();
      let rows: (string | null)[][];
      try {
        // Array rows: no object per row, and the time arrives as text (no Date parsed, none formatted).
        const result = await pool.query<(string | null)[]>({
          text: `SELECT ${CSV_SELECT} FROM ${table} WHERE ${where}
                 ORDER BY occurred_at DESC, id DESC LIMIT $${params.length}`,
          values: params,
          rowMode: 'array',
        });
        rows = result.rows;
      } catch (err) {
        throw storeFailed('queryCsvRows', err);
      }
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      const entries = page.map(csvCellsOfRow);
      const last = page[page.length - 1];
      return rows.length > limit && last ? { entries, next: csvCursorOf(last) } : { entries };
    },

    async facets(query): Promise<Facets> {
      checkQuery({ ...query, limit: undefined, after: undefined });
      const params: unknown[] = [];
      const where = whereClause(query, params, false);
      // One scan for all four axes; GROUPING() tells which set a row belongs to.
      const { rows } = await run<{
        type: string | null;
        status: string | null;
        actor_id: string | null;
        entity_type: string | null;
        label: string | null;
        n: number;
        g: number;
      }>(
        'facets',
        `SELECT type, status, actor_id, entity_type, max(actor_name COLLATE "C") AS label, count(*)::int AS n,
                GROUPING(type, status, actor_id, entity_type) AS g
         FROM ${table} WHERE ${where}
         GROUP BY GROUPING SETS ((type), (status), (actor_id), (entity_type), ())`,
        params,
      );
      const facets: Facets = { types: [], statuses: [], actors: [], entityTypes: [], total: 0 };
      for (const r of rows) {
        if (r.g === 0b0111 && r.type !== null) facets.types.push({ value: r.type, count: r.n });
        else if (r.g === 0b1011 && r.status !== null) facets.statuses.push({ value: r.status, count: r.n });
        else if (r.g === 0b1101 && r.actor_id !== null) {
          const c: FacetCount = { value: r.actor_id, count: r.n };
          if (r.label !== null) c.label = r.label;
          facets.actors.push(c);
        } else if (r.g === 0b1110 && r.entity_type !== null)
          facets.entityTypes.push({ value: r.entity_type, count: r.n });
        else if (r.g === 0b1111) facets.total = r.n;
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
      const params: unknown[] = [];
      const where = whereClause(query, params, false);
      params.push(query.bucketMs);
      const b = `$${params.length}::bigint`;
      const { rows } = await run<{ bucket: string; n: number; failures: number }>(
        'histogram',
        `SELECT floor(extract(epoch FROM occurred_at) * 1000 / ${b})::bigint AS bucket, count(*)::int AS n,
                (count(*) FILTER (WHERE status IN ('FAILED', 'WARNING')))::int AS failures
         FROM ${table} WHERE ${where} GROUP BY bucket ORDER BY bucket`,
        params,
      );
      return rows.map((r) => ({
        start: new Date(Number(r.bucket) * query.bucketMs).toISOString(),
        count: r.n,
        failures: r.failures,
      }));
    },

    async deleteBefore(before, orgId) {
      const cutoff = new Date(toMs(before, 'before')).toISOString();
      // The keys go with their entries: an id or key purged by retention may be written again, as before.
      const where = orgId === undefined ? 'occurred_at < $1' : 'org_id = $2 AND occurred_at < $1';
      const { rows } = await run<{ n: number }>(
        'deleteBefore',
        `WITH gone AS (DELETE FROM ${table} WHERE ${where} RETURNING id),
              keys AS (DELETE FROM ${schema}.entry_keys k USING gone WHERE k.id = gone.id)
         SELECT count(*)::int AS n FROM gone`,
        orgId === undefined ? [cutoff] : [cutoff, orgId],
      );
      return rows[0]?.n ?? 0;
    },

    async listOrgs() {
      // Loose index scan over entry_keys' (org_id, idempotency_key) index: one probe per org.
      const { rows } = await run<{ org_id: string }>('listOrgs', distinctOrgsSql(`${schema}.entry_keys`), []);
      return rows.map((r) => r.org_id);
    },

    async maintainPartitions(range) {
      await ready();
      await maintainPartitions(range);
      await release();
    },

    async dropPartitionsBefore(before, dropOptions) {
      await ready();
      const dropped = await dropMonths(guard, schema, schemaName, toMs(before, 'before'), dropOptions.orgs);
      // The ids and keys are already free (appends release them on contact); the rows go in the background.
      if (dropped.partitions.length > 0) release().catch(() => {});
      return dropped;
    },

    async flush() {},

    async close() {
      if (closed) return;
      closed = true;
      // Let an in-flight migration settle before the pool goes away.
      await migrated?.catch(() => {});
      await releasing;
      if (guard.owned) await pool.end();
    },
  };
}
