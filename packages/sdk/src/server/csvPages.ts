/**
 * The pages an export reads: plain keyset pages of entries ({@link pagesOf}), and the CSV export's pages
 * of cells ({@link csvPagesOf}), which also bound each page after the first in time around its cursor.
 *
 * Why windows: with the keyset cursor alone, PostgreSQL plans every page of an export against every month
 * partition of the org (planning and opening an index scan per month, for each page of 1,000 rows: 2.8 ms
 * of planning against 0.4 ms over 25 months). Bounding the page with `to` = cursor + 1 ms and `from` =
 * cursor - {@link WINDOW_SPANS} x the time the previous page covered lets the planner prune down to the
 * one or two months the page reads. Other stores just see a narrower filter.
 *
 * Why no row is skipped or repeated: the stores read `from` as inclusive and `to` as exclusive, at
 * millisecond precision (instants are compared as ms). Every row after the cursor is at or before the
 * cursor's instant, so `to` = cursor + 1 ms (exclusive) removes none of them; `from` (inclusive) keeps
 * every row of the window's first millisecond, so the keyset order inside the window is the order of the
 * unbounded query. When a window runs out before the page fills (rows thinned out), the page comes back
 * short with no cursor: every row at or after the window's `from` has then been written, so the next page
 * is every row before it (`to` = that `from`, exclusive where it was inclusive), read without a cursor and
 * with no lower bound, whose span starts the windows again. Pages may thus be shorter than the page size;
 * rows keep their order. A bound is only applied where it is narrower than the query's own `from`/`to`,
 * and none is when the query's own bounds do not parse (the store then reports them).
 */
import { MAX_INSTANT_MS, MIN_INSTANT_MS } from '../core/isoDate.js';
import { toMs } from '../core/storeQuery.js';
import type { ActivityEntry, ActivityStore, StorePage, StoreQuery } from '../types.js';
import { entryToRow } from './csv.js';

/** Rows read from the store per page (the stores' maximum page size). */
export const EXPORT_PAGE_SIZE = 1000;

/** Pages of one org's entries matching a filter, newest first, following the keyset cursor. */
export async function* pagesOf(
  store: ActivityStore,
  query: StoreQuery,
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<ActivityEntry[]> {
  let after = query.after;
  for (;;) {
    const page = await store.query({ ...query, limit: pageSize, after });
    yield page.entries;
    if (!page.next) return;
    after = page.next;
  }
}

/**
 * Pages of the CSV export's rows of cells ({@link entryToRow} of each entry) for one org and filter, newest
 * first: from the store's `queryCsvRows` when it has one (no entry is parsed), else from its entries.
 * Same keyset order, filters and tenant scope either way. With `queryCsvRows` the next page is read
 * while the consumer renders this one (two pages in memory at most), so the store's time and the CSV
 * writing overlap, and each page is bounded in time around its cursor ({@link nextPage}), so the store
 * plans it on the part of the log it reads; pages may then be shorter than `pageSize`, never out of order.
 */
export async function* csvPagesOf(
  store: ActivityStore,
  query: StoreQuery,
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<string[][]> {
  const read = store.queryCsvRows?.bind(store);
  if (!read) {
    for await (const page of pagesOf(store, query, pageSize)) yield page.map(entryToRow);
    return;
  }
  // The read ahead is marked handled at once: it may fail while the consumer holds this generator paused,
  // and the failure is thrown where the page is awaited (or dropped if the consumer stopped first).
  const ahead = (plan: PagePlan) => {
    const next = read(plan.query);
    next.catch(() => undefined);
    return next;
  };
  let plan: PagePlan | undefined = planPage(query, pageSize, { after: query.after });
  let pending: Promise<StorePage<string[]>> | undefined = ahead(plan);
  while (pending && plan) {
    const page: StorePage<string[]> = await pending;
    plan = nextPage(query, pageSize, plan, page.next);
    pending = plan ? ahead(plan) : undefined;
    yield page.entries;
  }
}

/**
 * How many times the time the last page covered the next page's window reaches back: rows thinning out
 * by more than this between two pages empty the window early (see {@link nextPage}).
 */
const WINDOW_SPANS = 4;

/** One page of an export: its query, and what it was planned from. */
interface PagePlan {
  query: StoreQuery;
  /** The newest instant the page can hold (its cursor's, or its upper bound), for the next page's span. */
  topMs?: number | undefined;
  /** The window's lower bound, when the plan added one (the query's own `from` is not a window). */
  lowerMs?: number | undefined;
}

/**
 * The export's page after `done`, or undefined when it was the last. Besides the keyset cursor, a page
 * is bounded in time: at most the cursor's instant (`to`, exclusive: cursor + 1 ms) and at least the
 * cursor's instant minus {@link WINDOW_SPANS} times the span of the previous page (`from`). The bounds
 * let PostgreSQL plan the page on the one or two month partitions it reads, where the keyset alone has it
 * plan and open an index scan on every month for each page. The upper bound removes no row (rows after
 * the cursor are at or before its instant); the lower one can only end a page early: when a window runs
 * out (rows thinned out), every row from its lower bound up was written, so the next page is the rows
 * before that bound (its `to`, exclusive where `from` was inclusive), without a cursor or a window.
 */
function nextPage(
  query: StoreQuery,
  pageSize: number,
  done: PagePlan,
  next: StorePage['next'],
): PagePlan | undefined {
  if (next) {
    const cursorMs = msOf(next.occurredAt);
    if (cursorMs === undefined) return planPage(query, pageSize, { after: next });
    const span = done.topMs === undefined ? 0 : done.topMs - cursorMs;
    return planPage(query, pageSize, {
      after: next,
      topMs: cursorMs,
      upperMs: cursorMs + 1,
      lowerMs: span > 0 ? cursorMs - WINDOW_SPANS * span : undefined,
    });
  }
  if (done.lowerMs === undefined) return undefined;
  return planPage(query, pageSize, { topMs: done.lowerMs, upperMs: done.lowerMs });
}

/**
 * A page's query: `query` with the page size, the cursor, and the bounds in ms where they are narrower
 * than the query's own `from` and `to` (kept as they are otherwise, and both kept when either of them
 * does not parse: the store reports it).
 */
function planPage(
  query: StoreQuery,
  pageSize: number,
  page: { after?: StorePage['next']; topMs?: number; upperMs?: number; lowerMs?: number },
): PagePlan {
  const planned: StoreQuery = { ...query, limit: pageSize, ...(page.after ? { after: page.after } : {}) };
  const ownTo = query.to === undefined ? Number.POSITIVE_INFINITY : msOf(query.to);
  const ownFrom = query.from === undefined ? Number.NEGATIVE_INFINITY : msOf(query.from);
  if (ownTo === undefined || ownFrom === undefined) return { query: planned };
  const to = page.upperMs !== undefined && page.upperMs < ownTo ? isoOf(page.upperMs) : undefined;
  const from = page.lowerMs !== undefined && page.lowerMs > ownFrom ? isoOf(page.lowerMs) : undefined;
  if (to !== undefined) planned.to = to;
  if (from !== undefined) planned.from = from;
  return { query: planned, topMs: page.topMs, lowerMs: from === undefined ? undefined : page.lowerMs };
}

/** An instant as the stores read it, or undefined when it does not parse. */
function msOf(value: string): number | undefined {
  try {
    return toMs(value, 'occurredAt');
  } catch {
    return undefined;
  }
}

/** `toISOString` of an instant every store accepts in a filter (years 1 to 9999), else undefined. */
function isoOf(ms: number): string | undefined {
  return ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS ? new Date(ms).toISOString() : undefined;
}
