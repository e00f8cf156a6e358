/**
 * The PostgreSQL store's connections: the pool it owns (with deadlines), and the error handling pg
 * needs so that a connection ended by the server (`pg_terminate_backend`, a restart, a failover) is
 * counted and reported instead of killing the host with an unhandled `'error'` event.
 */
import pg from 'pg';
import { ActivityError } from '../errors.js';

/** Deadlines of the pool the store creates from a `connectionString`; 0 turns one off. */
export interface PostgresDeadlines {
  /** Longest wait to open a connection (pg `connectionTimeoutMillis`). */
  connectTimeoutMs: number;
  /** Server-side limit of one statement (PostgreSQL `statement_timeout`). */
  statementTimeoutMs: number;
  /** Client-side limit of one query, for a server that never answers (pg `query_timeout`). */
  queryTimeoutMs: number;
}

/** Defaults of {@link PostgresDeadlines}: the server cancels a slow statement before the client gives up. */
export const DEFAULT_DEADLINES: PostgresDeadlines = {
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 10_000,
  queryTimeoutMs: 15_000,
};

/** Counters of the store's connections. */
export interface PostgresStoreStats {
  /** Connections that failed outside a query (ended while idle, or between two queries of a transaction). */
  connectionErrors: number;
}

/** The pool a store queries through, with its connection errors counted and reported. */
export interface GuardedPool {
  readonly pool: pg.Pool;
  readonly owned: boolean;
  stats(): PostgresStoreStats;
  /**
   * Checks a client out. While checked out, pg-pool's own listener is off the client, so ours catches a
   * connection error there. `done(failure)` gives it back; a client whose work failed is discarded, not
   * reused (after a `query_timeout` its connection may still be busy with the abandoned query), and
   * ending its connection rolls back its open transaction.
   */
  checkout(): Promise<{ client: pg.PoolClient; done: (failure?: unknown) => void }>;
  /** Runs `fn` on a checked-out client (see {@link GuardedPool.checkout}). */
  withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

/** What {@link guardPool} needs. */
export interface GuardOptions {
  pool?: pg.Pool | undefined;
  connectionString?: string | undefined;
  deadlines: PostgresDeadlines;
  onError?: ((error: ActivityError) => void) | undefined;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Creates the owned pool (deadlines set) or wraps the host's. An owned pool gets an `'error'` listener;
 * a host's pool is left as the host configured it (docs/stores.md says what to attach).
 */
export function guardPool(options: GuardOptions): GuardedPool {
  const owned = !options.pool;
  const { connectTimeoutMs, statementTimeoutMs, queryTimeoutMs } = options.deadlines;
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      // pg reads 0 as "no limit" for each of these.
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      query_timeout: queryTimeoutMs,
    });
  let connectionErrors = 0;

  const report = (cause: unknown): void => {
    connectionErrors++;
    const message = `postgres store: a pooled connection failed (the pool opens a new one on next use): ${asError(cause).message}`;
    try {
      options.onError?.(new ActivityError('STORE_FAILED', message, { cause }));
    } catch {
      // A throwing handler must not turn a handled error into an unhandled one.
    }
  };

  // pg-pool removes the dead client, then emits 'error' on the pool: without a listener the host exits.
  if (owned) pool.on('error', report);

  return {
    pool,
    owned,
    stats: () => ({ connectionErrors }),
    async checkout() {
      const client = await pool.connect();
      let broken: Error | undefined;
      const onClientError = (err: unknown) => {
        broken = asError(err);
        report(err);
      };
      client.on('error', onClientError);
      let released = false;
      const done = (failure?: unknown) => {
        if (released) return;
        released = true;
        client.removeListener('error', onClientError);
        client.release(broken ?? (failure === undefined ? undefined : asError(failure)));
      };
      return { client, done };
    },
    async withClient(fn) {
      const { client, done } = await this.checkout();
      let failure: unknown;
      try {
        return await fn(client);
      } catch (err) {
        failure = err;
        throw err;
      } finally {
        done(failure);
      }
    },
  };
}
