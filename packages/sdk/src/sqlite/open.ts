/**
 * Opening the SQLite store's connection: the file (its folder created, failures explained in the user's
 * terms), the busy timeout, then WAL and the migrations for a writer, or a schema check for a reader.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import BetterSqlite3 from 'better-sqlite3';
import { ActivityError } from '../errors.js';
import { migrate } from './migrations.js';
import type { SqliteStoreOptions } from './store.js';

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
 * The store's connection, ready for use: opened from `path` or taken from `database`, with the busy
 * timeout set, and migrated (a writer) or checked to hold the schema (a read-only store).
 */
export function openDatabase(options: SqliteStoreOptions): Database {
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
  return db;
}
