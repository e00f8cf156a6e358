/**
 * The part of a better-sqlite3 connection the SQLite store uses and hands back, described here so the
 * public types of `@activity/sdk/sqlite` compile without `@types/better-sqlite3`. A better-sqlite3
 * `Database` fits it; cast `store.db` to that type for the rest of its API.
 */

/** Result of a write statement. */
export interface SqliteRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement. */
export interface SqliteStatement {
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  /** Return the first column of each row only. */
  pluck(toggle?: boolean): this;
}

/** An open connection (better-sqlite3's `Database`). */
export interface SqliteDatabase {
  prepare(source: string): SqliteStatement;
  exec(source: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction(fn: (...args: never[]) => unknown): unknown;
  close(): unknown;
  readonly open: boolean;
  readonly inTransaction: boolean;
}
