/**
 * `createSqliteStore`: the {@link ActivityStore} on one SQLite file. Opening and migrating the file, the
 * write transactions and the facet counts live next to it (open.ts, writes.ts, facets.ts); this file
 * puts them together with the reads and turns every driver error into a `STORE_FAILED`.
 */
import { checkBucketMs, checkQuery, toMs } from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import type { IntegrityStore } from '../integrity/types.js';
import type { ActivityEntry, ActivityStore, HistogramBucket, StorePage } from '../types.js';
import { sqliteFacets } from './facets.js';
import { sqliteIntegrity } from './integrity.js';
import { openDatabase } from './open.js';
import { histogramSql, pageSql } from './sql.js';
import { createStatementCache } from './statementCache.js';
import type { SqliteDatabase } from './types.js';
import { sqliteWrites } from './writes.js';

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; it and its folder are created when missing. Ignored when `database` is given. */
  path?: string | undefined;
  /** An open better-sqlite3 database to use instead of opening `path`; the caller keeps ownership. */
  database?: SqliteDatabase | undefined;
  /** Open read-only: no migrations, no writes (for a reader process next to the writer). @default false */
  readonly?: boolean | undefined;
  /**
   * Longest wait for a lock held by another connection (a second process, a backup), in ms, before a
   * call fails with `SQLITE_BUSY` (better-sqlite3 `timeout`, `PRAGMA busy_timeout`); also set on a
   * `database` you pass. SQLite calls are synchronous: this is the only way one can wait.
   * @default 5000
   */
  busyTimeoutMs?: number | undefined;
  /**
   * Store each final entry's integrity leaf hash (SHA-256 of its RFC 8785 JSON) as it is written, so a
   * sealer reads 32 bytes per entry instead of parsing and canonicalising it (docs/integrity.md). Costs
   * one canonicalisation and hash per entry on append; turn it on where a sealer runs.
   * @default false
   */
  leafHashes?: boolean | undefined;
}

/** The SQLite store, with its connection and maintenance helpers. */
export interface SqliteStore extends ActivityStore, IntegrityStore {
  /**
   * The underlying connection, for host transactions and inspection. Typed with the part the store
   * uses; cast it to better-sqlite3's `Database` for the rest.
   */
  readonly db: SqliteDatabase;
  /** Refreshes the planner statistics (`PRAGMA optimize`); run after large imports. */
  optimize(): Promise<void>;
}

function wrap<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    if (error instanceof ActivityError) return Promise.reject(error);
    const message = error instanceof Error ? error.message : String(error);
    return Promise.reject(new ActivityError('STORE_FAILED', `sqlite: ${message}`, { cause: error }));
  }
}

/**
 * An {@link ActivityStore} on one SQLite file (better-sqlite3, WAL mode, versioned migrations,
 * keyset pagination over composite indexes).
 * @example const store = createSqliteStore({ path: './activity.db' });
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const owned = options.database === undefined;
  const db = openDatabase(options);
  const statements = createStatementCache(db);
  const prepare = statements.prepare;
  const writes = sqliteWrites(db, options);
  const getRow = db.prepare('SELECT data FROM activity_entries WHERE id = ? AND org_id = ?').pluck();
  const facetsTx = sqliteFacets(db, prepare);

  let closed = false;

  return {
    db,
    ...sqliteIntegrity(db, { leafHashes: options.leafHashes === true && options.readonly !== true }),

    append: (entries) =>
      wrap(() => (entries.length === 0 ? { inserted: 0, duplicates: 0 } : writes.append(entries))),

    updateJob: (orgId, id, update) => wrap(() => writes.updateJob(orgId, id, update)),

    get: (orgId, id) =>
      wrap(() => {
        const data = getRow.get(id, orgId) as string | undefined;
        return data === undefined ? undefined : (JSON.parse(data) as ActivityEntry);
      }),

    query: (query): Promise<StorePage> =>
      wrap(() => {
        const limit = checkQuery(query);
        const page = pageSql(query, limit);
        const rows = prepare(page.sql)
          .pluck()
          .all(...page.params) as string[];
        const entries = rows.slice(0, limit).map((d) => JSON.parse(d) as ActivityEntry);
        const last = entries[entries.length - 1];
        return rows.length > limit && last
          ? { entries, next: { occurredAt: last.occurredAt, id: last.id } }
          : { entries };
      }),

    facets: (query) =>
      wrap(() => {
        checkQuery({ ...query, limit: undefined, after: undefined });
        return facetsTx(query);
      }),

    histogram: (query): Promise<HistogramBucket[]> =>
      wrap(() => {
        checkQuery({ ...query, limit: undefined, after: undefined });
        checkBucketMs(query.bucketMs);
        const hist = histogramSql(query, query.bucketMs);
        const rows = prepare(hist.sql).all(...hist.params) as {
          b: number;
          count: number;
          failures: number;
        }[];
        return rows.map((r) => ({
          start: new Date(r.b * query.bucketMs).toISOString(),
          count: r.count,
          failures: r.failures,
        }));
      }),

    deleteBefore: (before, orgId) =>
      wrap(() => {
        const cutoff = toMs(before, 'before');
        const info =
          orgId === undefined
            ? prepare('DELETE FROM activity_entries WHERE occurred_at < ?').run(cutoff)
            : prepare('DELETE FROM activity_entries WHERE org_id = ? AND occurred_at < ?').run(orgId, cutoff);
        return info.changes;
      }),

    listOrgs: () =>
      wrap(
        () =>
          prepare('SELECT DISTINCT org_id FROM activity_entries ORDER BY org_id').pluck().all() as string[],
      ),

    flush: () => Promise.resolve(),

    optimize: () =>
      wrap(() => {
        db.exec('ANALYZE');
        db.pragma('optimize');
      }),

    close: () =>
      wrap(() => {
        if (closed) return;
        closed = true;
        statements.clear();
        if (!db.open) return;
        if (!options.readonly) db.pragma('optimize');
        if (owned) db.close();
      }),
  };
}
