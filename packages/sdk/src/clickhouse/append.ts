/**
 * `append` of the ClickHouse store: skip what is stored (one lookup round trip on the sorted lookup
 * table, which the entries and the runs table both feed), then insert the rest — entries in a final
 * state into the entries table, runs in progress into the runs table — each insert carrying a
 * deduplication token, so a retried insert is dropped by the server. The batch's rows are encoded (to the
 * insert's text) while the lookup runs: chdb runs a query on a worker thread, a server over the network,
 * so the event loop is free.
 */
import { createHash } from 'node:crypto';
import type { ActivityEntry, AppendResult } from '../types.js';
import { tsvLine } from './io.js';
import { rowValues, text } from './rows.js';
import { idempotencyKey, idKey } from './schema.js';

/** What `append` needs from the store. */
export interface AppendIo {
  main: string;
  runs: string;
  keys: string;
  select<R>(what: string, query: string, params: Record<string, unknown>): Promise<R[]>;
  /** Inserts rows (lines of `tsvLine`) with `token` as the insert's deduplication token. */
  insert(what: string, table: string, rows: string[], token: string): Promise<void>;
}

/**
 * Most URL-encoded text of lookup values per request. The values travel as a query parameter, in the
 * request URL: half of the server's default `http_max_uri_size` (1 MiB) leaves room for the rest of the
 * URL. A batch of 1000 entries with idempotency keys (~2000 values, under 100 KB of JSON) is one request: each
 * request is a round trip (a fixed ~3 ms on chdb before any work), and a count limit of 1000 values
 * split such a batch in two.
 */
export const LOOKUP_URL_BYTES = 512 * 1024;

/** URL-encoded length at most: encoding writes each UTF-8 byte of a text as at most 3 characters. */
const urlBytes = (json: string) => Buffer.byteLength(json) * 3;

/**
 * `values` as the JSON texts of the lookup requests, in order: each holds as many values as fit in
 * `budget` bytes of URL-encoded JSON (at least one).
 */
export function lookupChunks(values: string[], budget = LOOKUP_URL_BYTES): string[] {
  const all = JSON.stringify(values);
  if (urlBytes(all) <= budget) return [all];
  const chunks: string[] = [];
  let start = 0;
  // The brackets, `%5B` and `%5D`.
  let size = 6;
  for (let i = 0; i < values.length; i++) {
    // The value's JSON text and its comma.
    const cost = urlBytes(JSON.stringify(values[i])) + 3;
    if (i > start && size + cost > budget) {
      chunks.push(JSON.stringify(values.slice(start, i)));
      start = i;
      size = 6;
    }
    size += cost;
  }
  chunks.push(JSON.stringify(values.slice(start)));
  return chunks;
}

/**
 * The existence check's query: one table, which holds the keys of the entries and of the runs (a UNION
 * with the runs table read on the side cost chdb ~7 ms more per batch, its values' set built twice). The
 * values travel as one JSON text, parsed once by the server: binding 1000 values as an `Array(String)`
 * parameter costs it ~2 ms more CPU per batch (chdb, 1M rows stored). The lookup table's primary key finds
 * each value in one small granule (see `EXPLAIN indexes = 1`).
 */
export function lookupSql(io: Pick<AppendIo, 'keys'>): string {
  return `SELECT k FROM ${io.keys} WHERE k IN JSONExtract({ks:String}, 'Array(String)')`;
}

/** Which of `values` (lookup values, no repeats) are stored. */
async function storedKeys(io: AppendIo, values: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const ks of lookupChunks(values)) {
    const rows = await io.select<{ k: string }>('append', lookupSql(io), { ks });
    for (const r of rows) found.add(r.k);
  }
  return found;
}

/** An entry's lookup values: its id's, and its org and idempotency key's when it has one. */
function lookupValues(e: ActivityEntry): { id: string; key: string | undefined } {
  return {
    id: idKey(text(e.id)),
    key: e.idempotencyKey === undefined ? undefined : idempotencyKey(text(e.orgId), text(e.idempotencyKey)),
  };
}

/**
 * Each entry's row as the insert sends it (or the error encoding it raised, thrown only if the entry
 * turns out to be new, as when rows were encoded after the lookup), built while the lookup runs.
 */
async function encodeAfterYield(entries: ActivityEntry[]): Promise<(string | { failed: unknown })[]> {
  // Let the lookup reach the server (its request starts a few microtasks after the call) before the
  // encoding holds the event loop.
  await new Promise<void>((resolve) => setImmediate(resolve));
  return entries.map((e) => {
    try {
      return tsvLine(rowValues(e, 1));
    } catch (err) {
      return { failed: err };
    }
  });
}

/** Appends a batch: see the file's header. */
export async function appendEntries(io: AppendIo, entries: ActivityEntry[]): Promise<AppendResult> {
  if (entries.length === 0) return { inserted: 0, duplicates: 0 };
  const values = entries.map(lookupValues);
  const wanted = new Set<string>();
  for (const v of values) {
    wanted.add(v.id);
    if (v.key !== undefined) wanted.add(v.key);
  }
  const lookup = storedKeys(io, [...wanted]);
  // A failed lookup fails the append below; this only keeps it from being reported as unhandled first.
  lookup.catch(() => {});
  const rows = await encodeAfterYield(entries);
  const seen = await lookup;
  const fresh: ActivityEntry[] = [];
  const done: string[] = [];
  const running: string[] = [];
  for (const [i, e] of entries.entries()) {
    const { id, key } = values[i] as { id: string; key: string | undefined };
    if (seen.has(id) || (key !== undefined && seen.has(key))) continue;
    // Later duplicates within the same batch lose to the first, as with a unique constraint.
    seen.add(id);
    if (key !== undefined) seen.add(key);
    const row = rows[i];
    if (typeof row !== 'string') throw (row as { failed: unknown }).failed;
    fresh.push(e);
    (e.status === 'IN_PROGRESS' ? running : done).push(row);
  }
  if (fresh.length > 0) {
    const token = `append:${createHash('sha256')
      .update(fresh.map((e) => e.id).join('\n'))
      .digest('hex')}`;
    // One INSERT is one block: ClickHouse writes it atomically (up to max_insert_block_size rows). A
    // failure between the two inserts leaves the rest to the retry, which skips what went in.
    if (done.length > 0) await io.insert('append', io.main, done, token);
    if (running.length > 0) await io.insert('append', io.runs, running, token);
  }
  return { inserted: fresh.length, duplicates: entries.length - fresh.length };
}
