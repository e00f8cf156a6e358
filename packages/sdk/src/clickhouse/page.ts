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
import { type ChTables, NEWEST_FIRST, whereClause } from './reads.js';
import { keyMs } from './rows.js';

const DAY_MS = 86_400_000;

/** Window widths tried in turn before the unbounded read. */
const WINDOWS_MS = [DAY_MS, 31 * DAY_MS, 366 * DAY_MS];

type Select = <R>(what: string, query: string, params: Record<string, unknown>) => Promise<R[]>;

/** A page row: what the page returns, and its sort key. */
export interface PageRow {
  id: string;
  doc: string;
  occurred_ms: string | number;
}

/** Newest first as the SQL orders: by time, then by id as bytes (ClickHouse compares strings as bytes). */
function newestFirst(a: PageRow, b: PageRow): number {
  const byTime = Number(b.occurred_ms) - Number(a.occurred_ms);
  return byTime !== 0 ? byTime : Buffer.compare(Buffer.from(b.id), Buffer.from(a.id));
}

/**
 * The runs in progress matching `where`, newest first, without those whose final version already
 * reached the entries table (the moment between a finish's two inserts, or a crash between them). One
 * statement: the runs' own keys go to the entries table's primary key (one granule per run, never a
 * scan), so the check costs no second round trip.
 */
function runningRows(select: Select, t: ChTables, where: string, params: Record<string, unknown>) {
  return select<PageRow>(
    'query',
    `WITH running AS (
       SELECT id, doc, occurred_ms, occurred_at FROM ${t.runs} FINAL
       WHERE ${where} AND status = 'IN_PROGRESS' ORDER BY ${NEWEST_FIRST} LIMIT {limit:UInt32})
     SELECT id, doc, occurred_ms FROM running
     WHERE (occurred_at, id) NOT IN (
       SELECT occurred_at, id FROM ${t.main}
       WHERE org_id = {org:String} AND (occurred_at, id) IN (SELECT occurred_at, id FROM running))
     ORDER BY ${NEWEST_FIRST}`,
    params,
  );
}

/** Up to `limit + 1` rows of the page, newest first; the extra row says there is more. */
export async function readPage(
  select: Select,
  t: ChTables,
  query: StoreQuery,
  limit: number,
): Promise<PageRow[]> {
  const params: Record<string, unknown> = { limit: limit + 1 };
  const where = whereClause(query, params, true);
  // The runs are read beside the first window (a server runs them at once), not before it.
  const runs = runningRows(select, t, where, params);
  // A failure is awaited (and thrown) below; this only keeps it from being reported as unhandled first.
  runs.catch(() => {});
  const page = async (rows: PageRow[]) => [...rows, ...(await runs)].sort(newestFirst).slice(0, limit + 1);
  // Where the page starts: under the cursor, below `to`, or now (entries dated later are in every window).
  const start = query.after
    ? toMs(query.after.occurredAt, 'after.occurredAt')
    : query.to !== undefined
      ? toMs(query.to, 'to')
      : Date.now();
  const from = query.from === undefined ? undefined : toMs(query.from, 'from');
  const main = (extra: string, more: Record<string, unknown> = {}) =>
    select<PageRow>(
      'query',
      `SELECT id, doc, occurred_ms FROM ${t.main} WHERE ${where}${extra}
       ORDER BY ${NEWEST_FIRST} LIMIT {limit:UInt32}`,
      { ...params, ...more },
    );
  for (const width of WINDOWS_MS) {
    const lower = start - width;
    // The filter's own lower bound is within this window: the unbounded read reads no more.
    if (from !== undefined && lower <= from) break;
    // An empty window costs only the primary key's look (no granule matches), so a miss is cheap.
    const rows = await main(` AND occurred_at >= fromUnixTimestamp64Milli({lower:Int64}, 'UTC')`, {
      lower: keyMs(lower),
    });
    if (rows.length > limit) return page(rows);
  }
  return page(await main(''));
}
