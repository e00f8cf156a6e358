/**
 * `append` of the ClickHouse store: skip what is stored (one lookup round trip on the sorted lookup
 * table and the small runs table), then insert the rest — entries in a final state into the entries
 * table, runs in progress into the runs table — each insert carrying a deduplication token, so a retried
 * insert is dropped by the server.
 */
import { createHash } from 'node:crypto';
// Shared with the PostgreSQL store (plain functions, no driver import).
import { safeText } from '../postgres/rows.js';
import type { ActivityEntry, AppendResult } from '../types.js';
import { rowValues } from './rows.js';
import { idempotencyKey, idKey, keysViewSelect } from './schema.js';

/** What `append` needs from the store. */
export interface AppendIo {
  main: string;
  runs: string;
  keys: string;
  select<R>(what: string, query: string, params: Record<string, unknown>): Promise<R[]>;
  /** Inserts rows in `ROW_COLUMNS` order with `token` as the insert's deduplication token. */
  insert(what: string, table: string, rows: unknown[][], token: string): Promise<void>;
}

/** Lookup values per request: parameters travel in the request URL, which must stay far below its limit. */
const LOOKUP_CHUNK = 1000;

/** The lookup values (ids, and org + idempotency key) of `entries` already stored. */
async function storedKeys(io: AppendIo, entries: ActivityEntry[]): Promise<Set<string>> {
  const wanted = new Set<string>();
  for (const e of entries) {
    wanted.add(idKey(safeText(e.id)));
    if (e.idempotencyKey !== undefined)
      wanted.add(idempotencyKey(safeText(e.orgId), safeText(e.idempotencyKey)));
  }
  const all = [...wanted];
  const found = new Set<string>();
  for (let i = 0; i < all.length; i += LOOKUP_CHUNK) {
    // The lookup table's primary key finds each value in one small granule; the runs table is a few rows.
    const rows = await io.select<{ k: string }>(
      'append',
      `SELECT k FROM ${io.keys} WHERE has({ks:Array(String)}, k)
       UNION ALL SELECT k FROM (${keysViewSelect(io.runs)}) WHERE has({ks:Array(String)}, k)`,
      { ks: all.slice(i, i + LOOKUP_CHUNK) },
    );
    for (const r of rows) found.add(r.k);
  }
  return found;
}

/** Appends a batch: see the file's header. */
export async function appendEntries(io: AppendIo, entries: ActivityEntry[]): Promise<AppendResult> {
  if (entries.length === 0) return { inserted: 0, duplicates: 0 };
  const seen = await storedKeys(io, entries);
  const fresh: ActivityEntry[] = [];
  for (const e of entries) {
    const id = idKey(safeText(e.id));
    const key =
      e.idempotencyKey === undefined
        ? undefined
        : idempotencyKey(safeText(e.orgId), safeText(e.idempotencyKey));
    if (seen.has(id) || (key !== undefined && seen.has(key))) continue;
    // Later duplicates within the same batch lose to the first, as with a unique constraint.
    seen.add(id);
    if (key !== undefined) seen.add(key);
    fresh.push(e);
  }
  if (fresh.length > 0) {
    const token = `append:${createHash('sha256')
      .update(fresh.map((e) => e.id).join('\n'))
      .digest('hex')}`;
    const done: unknown[][] = [];
    const running: unknown[][] = [];
    for (const e of fresh) (e.status === 'IN_PROGRESS' ? running : done).push(rowValues(e, 1));
    // One INSERT is one block: ClickHouse writes it atomically (up to max_insert_block_size rows). A
    // failure between the two inserts leaves the rest to the retry, which skips what went in.
    if (done.length > 0) await io.insert('append', io.main, done, token);
    if (running.length > 0) await io.insert('append', io.runs, running, token);
  }
  return { inserted: fresh.length, duplicates: entries.length - fresh.length };
}
