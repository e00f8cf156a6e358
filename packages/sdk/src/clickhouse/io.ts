/** The ClickHouse store's three ways to talk to the server, each failing with a typed STORE_FAILED. */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { tabTextField } from '../core/tabText.js';
import { ActivityError } from '../errors.js';
import { ROW_COLUMNS } from './schema.js';

/** A STORE_FAILED error naming the operation, with the driver's error as its cause. */
export function storeFailed(what: string, cause: unknown): ActivityError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new ActivityError('STORE_FAILED', `clickhouse store: ${what} failed${detail}`, { cause });
}

/** A value as a TabSeparated field: strings escaped (most hold nothing to escape), numbers as they print. */
function tsvField(value: unknown): string {
  return typeof value === 'string' ? tabTextField(value) : String(value);
}

/**
 * A row (values in `ROW_COLUMNS` order) as one line of TabSeparated input, without its newline. Cheaper
 * than JSON to write: the `doc` column is a JSON text full of quotes, which JSON would escape again (and
 * the server unescape); here it travels as it is unless it holds a backslash.
 */
export function tsvLine(values: readonly unknown[]): string {
  return values.map(tsvField).join('\t');
}

/** Reads, inserts and deletes of the store. */
export interface ChIo {
  select<R>(what: string, query: string, params: Record<string, unknown>): Promise<R[]>;
  /**
   * Inserts rows in `ROW_COLUMNS` order, given as values or as lines of {@link tsvLine}, with `token` as
   * the insert's deduplication token.
   */
  insert(what: string, table: string, rows: unknown[][] | string[], token: string): Promise<void>;
  /** A lightweight DELETE that returns once the rows are gone. */
  remove(what: string, target: string, where: string, params: Record<string, unknown>): Promise<void>;
}

/** The store's I/O on `client`; `ready` runs (migrates) before every read. */
export function chIo(
  client: ClickHouseClient,
  { distributed, ready }: { distributed: boolean; ready: () => Promise<void> },
): ChIo {
  return {
    async select<R>(what: string, query: string, params: Record<string, unknown>): Promise<R[]> {
      await ready();
      try {
        const rs = await client.query({
          query,
          query_params: params,
          format: 'JSONEachRow',
          // A read on a Distributed table with an IN subquery on another (the page's finished-run check)
          // is refused by default ('Double-distributed IN/JOIN subqueries is denied'). Every table is
          // sharded by org and every such subquery is one org's, so each shard answers it from its own rows.
          ...(distributed ? { clickhouse_settings: { distributed_product_mode: 'local' as const } } : {}),
        });
        return await rs.json<R>();
      } catch (err) {
        throw storeFailed(what, err);
      }
    },

    async insert(what, table, rows, token) {
      const lines = rows.map((row) => (typeof row === 'string' ? row : tsvLine(row)));
      try {
        await client.insert({
          table,
          // The client takes a raw format's body as a stream: one chunk, kept a string (a utf8 stream
          // passes strings through), which chdb would otherwise decode from bytes again.
          values: Readable.from([`${lines.join('\n')}\n`], { objectMode: false, encoding: 'utf8' }),
          columns: [...ROW_COLUMNS],
          format: 'TabSeparated',
          // A retried insert (timeout after the server committed) is dropped by the server, not doubled.
          // On a cluster the insert returns once the shard has it, and the token travels with it there.
          clickhouse_settings: distributed
            ? { insert_deduplication_token: token, insert_distributed_sync: 1 }
            : { insert_deduplication_token: token },
        });
      } catch (err) {
        throw storeFailed(what, err);
      }
    },

    async remove(what, target, where, params) {
      try {
        // Lightweight DELETE masks rows at once; waiting makes the count true when this returns.
        await client.command({
          query: `DELETE FROM ${target} WHERE ${where}`,
          query_params: params,
          clickhouse_settings: { lightweight_deletes_sync: '2', mutations_sync: '2' },
        });
      } catch (err) {
        throw storeFailed(what, err);
      }
    },
  };
}
