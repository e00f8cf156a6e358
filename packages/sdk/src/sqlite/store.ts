import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import BetterSqlite3 from 'better-sqlite3';
import { parseInstant } from '../core/isoDate.js';
import { applyJobUpdate } from '../core/jobUpdate.js';
import { checkBucketMs, checkQuery, sortFacet, toMs } from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import type { IntegrityStore } from '../integrity/types.js';
import {
  type ActivityEntry,
  type ActivityStore,
  type AppendResult,
  ENTRY_JSON,
  type FacetCount,
  type Facets,
  type HistogramBucket,
  type JobUpdate,
  type StorePage,
  type StoreQuery,
} from '../types.js';
import { leafOnWrite, sqliteIntegrity } from './integrity.js';
import { migrate } from './migrations.js';
import { buildWhere, histogramSql, pageSql, searchText } from './sql.js';
import type { SqliteDatabase } from './types.js';

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

const COLUMNS =
  'id, org_id, occurred_at, type, status, actor_id, actor_name, entity_type, entity_id, correlation_id, idempotency_key, search, data';
// Enough distinct filter shapes for any UI; beyond it the least recently built statement is dropped.
const STATEMENT_CACHE = 256;

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
 * Opens `path`, creating its folder first (a writer only). Anything that stops it is a CONFIG error
 * naming the path and the reason, rather than better-sqlite3's bare `SQLITE_CANTOPEN`.
 */
function openFile(path: string, readonly: boolean, timeout: number): Database {
  const fail = (reason: string, cause: unknown): never => {
    throw new ActivityError('CONFIG', `path: cannot open the SQLite file "${path}": ${reason}`, {
      field: 'path',
      cause,
    });
  };
  if (!readonly && path !== ':memory:' && !path.startsWith('file:')) {
    try {
      mkdirSync(dirname(resolve(path)), { recursive: true });
    } catch (error) {
      fail(`its folder cannot be created (${errorText(error)})`, error);
    }
  }
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly, fileMustExist: readonly, timeout });
    if (!readonly) probeWrite(db);
  } catch (error) {
    db?.close();
    fail(openFailure(path, readonly, error), error);
  }
  return db as Database;
}

/**
 * SQLite quietly opens a file it may not write read-only; the first write would then fail in the
 * recorder. A write of the unchanged header value, rolled back, surfaces that here instead.
 */
function probeWrite(db: Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  try {
    db.exec(`BEGIN IMMEDIATE; PRAGMA user_version = ${version.toString()}`);
  } catch (error) {
    // Locked by another writer is not a configuration problem: the migrations wait for it as before.
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why `path` could not be opened, in the user's terms. */
function openFailure(path: string, readonly: boolean, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (readonly && !existsSync(path))
    return 'the file does not exist (a read-only store opens an existing file)';
  if (existsSync(path) && statSync(path).isDirectory()) return 'it is a folder, not a file';
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY_DIRECTORY') {
    return `the file or its folder is not writable by this process (${String(code)}); pass a writable path or readonly: true`;
  }
  if (code === 'SQLITE_NOTADB') return 'the file exists but is not a SQLite database';
  return errorText(error);
}

/**
 * An {@link ActivityStore} on one SQLite file (better-sqlite3, WAL mode, versioned migrations,
 * keyset pagination over composite indexes).
 * @example const store = createSqliteStore({ path: './activity.db' });
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const owned = options.database === undefined;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new ActivityError('CONFIG', 'busyTimeoutMs: must be a whole number of milliseconds ≥ 0', {
      field: 'busyTimeoutMs',
    });
  }
  let db: Database;
  if (options.database) {
    db = options.database as Database;
  } else if (options.path) {
    db = openFile(options.path, options.readonly ?? false, busyTimeoutMs);
  } else {
    throw new ActivityError(
      'CONFIG',
      'createSqliteStore: pass `path` (a file) or `database` (an open connection)',
      {
        field: 'path',
      },
    );
  }

  // Before anything that may wait on a lock (the WAL switch and migrations included).
  db.pragma(`busy_timeout = ${busyTimeoutMs.toString()}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL is durable against application crashes; only an OS crash can lose the last commits.
    db.pragma('synchronous = NORMAL');
    migrate(db);
    db.pragma('analysis_limit = 1000');
    db.pragma('optimize = 0x10002');
  } else {
    const exists = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'activity_entries'")
      .get();
    if (!exists) {
      throw new ActivityError(
        'CONFIG',
        'createSqliteStore: the read-only database has no activity schema yet',
        {
          field: 'path',
        },
      );
    }
  }

  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let stmt = statements.get(sql);
    if (stmt) {
      statements.delete(sql);
    } else {
      stmt = db.prepare(sql);
      if (statements.size >= STATEMENT_CACHE) {
        const oldest = statements.keys().next().value;
        if (oldest !== undefined) statements.delete(oldest);
      }
    }
    statements.set(sql, stmt);
    return stmt;
  };

  const insert = options.readonly
    ? undefined
    : db.prepare(
        `INSERT INTO activity_entries (${COLUMNS}, leaf) VALUES (${COLUMNS.split(',')
          .map(() => '?')
          .join(', ')}, ?) ON CONFLICT DO NOTHING`,
      );

  const appendTx = db.transaction((entries: ActivityEntry[]): AppendResult => {
    if (!insert) throw new ActivityError('CONFIG', 'sqlite: the store is read-only', { field: 'readonly' });
    // The recorder's JSON of each entry, when it passed its own array: serialising again is the
    // largest cost of an append after the insert itself.
    const hint = (entries as { [ENTRY_JSON]?: readonly string[] })[ENTRY_JSON];
    const texts = hint !== undefined && hint.length === entries.length ? hint : undefined;
    let inserted = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as ActivityEntry;
      const time = parseInstant(String(e.occurredAt));
      if (!time.ok) {
        throw new ActivityError('INVALID_EVENT', `entries.${i.toString()}.occurredAt: ${time.reason}`, {
          field: `entries.${i.toString()}.occurredAt`,
        });
      }
      const ms = time.ms;
      const info = insert.run(
        e.id,
        e.orgId,
        ms,
        e.type,
        e.status,
        e.actor.id,
        e.actor.name ?? null,
        e.entity?.type ?? null,
        e.entity?.id ?? null,
        e.correlationId ?? null,
        e.idempotencyKey ?? null,
        searchText(e),
        texts?.[i] ?? JSON.stringify(e),
        options.leafHashes ? leafOnWrite(e) : null,
      );
      inserted += info.changes;
    }
    return { inserted, duplicates: entries.length - inserted };
  });

  const selectJob = db.prepare('SELECT data, status FROM activity_entries WHERE id = ? AND org_id = ?');
  const updateJobRow = options.readonly
    ? undefined
    : db.prepare(
        "UPDATE activity_entries SET status = ?, search = ?, data = ?, leaf = ? WHERE id = ? AND status = 'IN_PROGRESS'",
      );
  const updateTx = db.transaction((orgId: string, id: string, update: JobUpdate): boolean => {
    if (!updateJobRow)
      throw new ActivityError('CONFIG', 'sqlite: the store is read-only', { field: 'readonly' });
    const row = selectJob.get(id, orgId) as { data: string; status: string } | undefined;
    if (row?.status !== 'IN_PROGRESS') return false;
    const entry = applyJobUpdate(JSON.parse(row.data) as ActivityEntry, update);
    const leaf = options.leafHashes ? leafOnWrite(entry) : null;
    return updateJobRow.run(entry.status, searchText(entry), JSON.stringify(entry), leaf, id).changes === 1;
  });

  const getRow = db.prepare('SELECT data FROM activity_entries WHERE id = ? AND org_id = ?').pluck();

  const facetsTx = db.transaction((query: StoreQuery): Facets => {
    const where = buildWhere(query, false);
    const group = (column: string, extra = ''): FacetCount[] =>
      sortFacet(
        (
          prepare(
            `SELECT ${column} AS value, count(*) AS count FROM activity_entries WHERE ${where.sql}${extra} GROUP BY ${column}`,
          ).all(...where.params) as FacetCount[]
        ).map((r) => ({ value: r.value, count: r.count })),
      );
    const actors = (
      prepare(
        `SELECT actor_id AS value, count(*) AS count, max(actor_name) AS label FROM activity_entries WHERE ${where.sql} GROUP BY actor_id`,
      ).all(...where.params) as { value: string; count: number; label: string | null }[]
    ).map((r) =>
      r.label === null
        ? { value: r.value, count: r.count }
        : { value: r.value, count: r.count, label: r.label },
    );
    const total = prepare(`SELECT count(*) FROM activity_entries WHERE ${where.sql}`)
      .pluck()
      .get(...where.params) as number;
    return {
      types: group('type'),
      statuses: group('status'),
      actors: sortFacet(actors),
      entityTypes: group('entity_type', ' AND entity_type IS NOT NULL'),
      total,
    };
  });

  let closed = false;

  return {
    db,
    ...sqliteIntegrity(db, { leafHashes: options.leafHashes === true && options.readonly !== true }),

    append: (entries) =>
      wrap(() => (entries.length === 0 ? { inserted: 0, duplicates: 0 } : appendTx(entries))),

    updateJob: (orgId, id, update) => wrap(() => updateTx(orgId, id, update)),

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
