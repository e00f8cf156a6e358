/**
 * What the PostgreSQL store's parts share (reads.ts, writes.ts, facets.ts, lifecycle.ts): the guarded
 * pool, the schema and table names, the gate every call passes first, and the one way a driver error
 * becomes the caller's `STORE_FAILED`.
 */
import type pg from 'pg';
import { ActivityError } from '../errors.js';
import type { GuardedPool } from './pool.js';

/** The small context each part of the store is built on. */
export interface PostgresStoreContext {
  guard: GuardedPool;
  /** Double-quoted schema identifier. */
  schema: string;
  /** The entries table, schema-qualified (`"schema".entries`). */
  table: string;
  /** Refuses a closed store, migrates (once) and starts the hourly partition upkeep; every call awaits it. */
  ready(): Promise<void>;
}

/** The error a failed driver call rejects with: `what` names the store call, the pg error is the `cause`. */
export function storeFailed(what: string, cause: unknown): ActivityError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new ActivityError('STORE_FAILED', `postgres store: ${what} failed${detail}`, { cause });
}

/** Runs one statement on the pool once the store is ready; a failure is a `STORE_FAILED` naming `what`. */
export async function run<R extends pg.QueryResultRow>(
  ctx: PostgresStoreContext,
  what: string,
  sql: string,
  params: unknown[],
): Promise<pg.QueryResult<R>> {
  await ctx.ready();
  try {
    return await ctx.guard.pool.query<R>(sql, params);
  } catch (err) {
    throw storeFailed(what, err);
  }
}
