/**
 * `createPostgresStore`: the {@link ActivityStore} on PostgreSQL. Its options and public interface live
 * here, with the checks of both; the parts it is assembled from live next to it, each built on the small
 * context of context.ts: the lifecycle and partition upkeep (lifecycle.ts, migrate.ts), the writes
 * (writes.ts) and the reads (reads.ts, facets.ts, where.ts).
 */
import type pg from 'pg';
import { ActivityError } from '../errors.js';
import type { IntegrityStore } from '../integrity/types.js';
import type { ActivityEntry, ActivityStore, AppendResult } from '../types.js';
import type { PostgresStoreContext } from './context.js';
import { postgresIntegrity } from './integrity.js';
import { postgresLifecycle } from './lifecycle.js';
import type { PartitionDrop } from './partitionDrop.js';
import { DEFAULT_DEADLINES, guardPool, type PostgresStoreStats } from './pool.js';
import { postgresReads } from './reads.js';
import { postgresWrites } from './writes.js';

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
  const schema = `"${schemaName}"`;
  const lifecycle = postgresLifecycle({ guard, schema, schemaName, options });
  const ctx: PostgresStoreContext = { guard, schema, table: `${schema}.entries`, ready: lifecycle.ready };
  const writes = postgresWrites(ctx);
  const reads = postgresReads(ctx);

  return {
    pool: guard.pool,
    migrate: lifecycle.migrate,
    stats: guard.stats,
    ...postgresIntegrity({ guard, schema, ready: lifecycle.ready }),
    append: writes.append,
    appendInTransaction: writes.appendInTransaction,
    updateJob: writes.updateJob,
    get: reads.get,
    query: reads.query,
    queryCsvRows: reads.queryCsvRows,
    facets: reads.facets,
    histogram: reads.histogram,
    deleteBefore: writes.deleteBefore,
    listOrgs: reads.listOrgs,
    maintainPartitions: lifecycle.maintainPartitions,
    dropPartitionsBefore: lifecycle.dropPartitionsBefore,
    async flush() {},
    close: lifecycle.close,
  };
}
