/**
 * One page of the ClickHouse store, read through time windows. An org's rows sit in every monthly
 * partition, and reading newest-first opens at least one granule of each partition (two years: 24 or
 * more) before the first row comes out. A page whose rows all fall in the last day (the newest page of
 * an active org, or the page under a cursor) needs only that day: the store asks for the page within a
 * window below the page's start, and widens it (a day, a month, a year, everything) only while the window
 * holds fewer rows than the page. Exact: every row outside a window is older than every row in it.
 */
import { toMs } from '../core/storeQuery.js';
import type { StoreQuery } from '../types.js';
import { type ChTables, pageSql, whereClause } from './reads.js';
import { keyMs } from './rows.js';

const DAY_MS = 86_400_000;

/** Window widths tried in turn before the unbounded read. */
const WINDOWS_MS = [DAY_MS, 31 * DAY_MS, 366 * DAY_MS];

type Select = <R>(what: string, query: string, params: Record<string, unknown>) => Promise<R[]>;

/** Up to `limit + 1` rows (`id`, `doc`) of the page, newest first; the extra row says there is more. */
export async function readPage(
  select: Select,
  t: ChTables,
  query: StoreQuery,
  limit: number,
): Promise<{ id: string; doc: string }[]> {
  const params: Record<string, unknown> = { limit: limit + 1 };
  const where = whereClause(query, params, true);
  // Where the page starts: under the cursor, below `to`, or now (entries dated later are in every window).
  const start = query.after
    ? toMs(query.after.occurredAt, 'after.occurredAt')
    : query.to !== undefined
      ? toMs(query.to, 'to')
      : Date.now();
  const from = query.from === undefined ? undefined : toMs(query.from, 'from');
  for (const width of WINDOWS_MS) {
    const lower = start - width;
    // The filter's own lower bound is within this window: the unbounded read reads no more.
    if (from !== undefined && lower <= from) break;
    const rows = await select<{ id: string; doc: string }>(
      'query',
      pageSql(t, `${where} AND occurred_at >= fromUnixTimestamp64Milli({lower:Int64}, 'UTC')`),
      { ...params, lower: keyMs(lower) },
    );
    if (rows.length > limit) return rows;
  }
  return select<{ id: string; doc: string }>('query', pageSql(t, where), params);
}
