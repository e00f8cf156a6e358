/**
 * The CSV export's pages: csvPagesOf's time windows give exactly the rows of plain keyset paging, and
 * rowsToCsvBytes (csv-stringify in pieces of 50 rows, each encoded on its own) gives exactly the bytes of
 * rowsToCsv. The memory store has no queryCsvRows, so the windows are exercised through a test-only
 * adapter that answers it from query() (the PostgreSQL store's own is covered by postgresExport.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, entryToRow, rowsToCsv, rowsToCsvBytes } from '../src/server/csv.js';
import { csvPagesOf, pagesOf } from '../src/server/csvPages.js';
import { createMemoryStore, generateActivity } from '../src/testing/index.js';
import type { ActivityEntry, ActivityStore, StoreQuery } from '../src/types.js';

const T0 = Date.parse('2020-01-01T00:00:00Z');
const BASE = generateActivity({
  count: 50,
  orgIds: ['o'],
  seed: 3,
  now: new Date('2026-01-01T00:00:00Z'),
  spanDays: 10,
});

/** The memory store given a queryCsvRows answered from query(), counting the queries it sees. */
function withCsvRows(store: ActivityStore, seen: StoreQuery[]): ActivityStore {
  return {
    ...store,
    query: store.query.bind(store),
    async queryCsvRows(query: StoreQuery) {
      seen.push(query);
      const page = await store.query(query);
      return { entries: page.entries.map(entryToRow), next: page.next };
    },
  };
}

/**
 * Offsets from T0 in ms, in bursts: a cluster index (0..5, a billion ms apart) plus a jitter whose spread
 * grows with the cluster, so the rows thin out and crowd again from one page to the next.
 */
const offsets = fc.array(
  fc
    .tuple(fc.nat(5), fc.nat(5_000_000))
    .map(([cluster, jitter]) => cluster * 1e9 + jitter * (cluster + 1) ** 3),
  { minLength: 1, maxLength: 300, size: 'max' },
);
/**
 * `ms`: as drawn. `grid`: rounded to 1,000,000 ms, so many rows share their exact millisecond (ties on
 * occurredAt, broken by id) and windows, spans of the grid, start exactly on rows. `edge`: on the grid or
 * 1 ms before it, so rows sit right next to a window's bounds (a bound 1 ms off skips or repeats them).
 */
function atGrain(t: number, grain: 'ms' | 'grid' | 'edge'): number {
  if (grain === 'ms') return t;
  const grid = Math.floor(t / 1e6) * 1e6;
  return grain === 'grid' ? grid : grid - (t % 2);
}
const instant = fc.option(fc.integer({ min: 0, max: 6e9 }), { freq: 2 });

describe('csvPagesOf time windows', () => {
  it('yields exactly the rows of plain keyset paging, in order (bursty times, ties, random bounds)', async () => {
    let queries = 0;
    let windowsRunOut = 0;
    await fc.assert(
      fc.asyncProperty(
        offsets,
        fc.integer({ min: 1, max: 20 }),
        instant,
        instant,
        fc.option(fc.nat(299), { freq: 2 }),
        fc.constantFrom('ms', 'grid', 'edge'),
        async (times, pageSize, fromOff, toOff, afterAt, grain) => {
          const entries: ActivityEntry[] = times.map((t, i) => ({
            ...(BASE[i % BASE.length] as ActivityEntry),
            id: `e${i}`,
            occurredAt: new Date(T0 + atGrain(t, grain)).toISOString(),
          }));
          const memory = createMemoryStore();
          await memory.append(entries);
          const query: StoreQuery = { orgId: 'o' };
          if (fromOff !== null) query.from = new Date(T0 + fromOff).toISOString();
          if (toOff !== null) query.to = new Date(T0 + toOff).toISOString();
          if (afterAt !== null) {
            const cursor = entries[afterAt % entries.length] as ActivityEntry;
            query.after = { occurredAt: cursor.occurredAt, id: cursor.id };
          }
          const want: string[][] = [];
          for await (const page of pagesOf(memory, query, pageSize)) want.push(...page.map(entryToRow));
          const seen: StoreQuery[] = [];
          const got: string[][] = [];
          for await (const page of csvPagesOf(withCsvRows(memory, seen), query, pageSize)) {
            got.push(...page);
            // A window that never moves on would read forever: fail instead of hanging. Every page
            // holds a row or ends a run-out window, so there are at most two pages per row, plus one.
            expect(seen.length).toBeLessThanOrEqual(2 * entries.length + 2);
          }
          expect(got).toEqual(want);
          queries += seen.length;
          // A page after the first read without a cursor follows a window that ran out.
          windowsRunOut += seen.slice(1).filter((q) => q.after === undefined).length;
        },
      ),
      { numRuns: 300 },
    );
    // The property reached both branches: windowed pages, and windows running out.
    expect(queries).toBeGreaterThan(300);
    expect(windowsRunOut).toBeGreaterThan(0);
  });
});

/** Cells a spreadsheet or a CSV reader trips on, and text that is two or four bytes in UTF-8. */
const hostile = fc.array(
  fc.constantFrom(
    '"',
    ',',
    '\r',
    '\n',
    '\r\n',
    '=',
    '-',
    '+',
    '@',
    '\0',
    'é',
    '😀',
    '\uD800',
    '\uDC00',
    'a',
    ' ',
    '\t',
  ),
  { maxLength: 6 },
);
const cell = fc.oneof(
  hostile.map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constant(''),
);
const row = fc.array(cell, { minLength: CSV_COLUMNS.length, maxLength: CSV_COLUMNS.length });

describe('rowsToCsvBytes', () => {
  it('is exactly rowsToCsv encoded as UTF-8, across pieces of 50 rows', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 260, size: 'max' }),
        fc.boolean(),
        fc.boolean(),
        (rows, first, bom) => {
          const want = encoder.encode(rowsToCsv(rows, first, bom));
          expect(Buffer.from(rowsToCsvBytes(rows, first, bom)).equals(Buffer.from(want))).toBe(true);
          expect(Buffer.from(rowsToCsvBytes(rows, first, bom, encoder)).equals(Buffer.from(want))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('crosses the pieces: 0, 1, 49, 50, 51, 100, 101 and 260 rows', () => {
    const cells = ['"a,b"', '=1+1', '-2', '\0', 'é😀', '\uD800', 'x\r\ny', ''];
    for (const count of [0, 1, 49, 50, 51, 100, 101, 260]) {
      const rows = Array.from({ length: count }, (_, i) =>
        CSV_COLUMNS.map((_, c) => cells[(i + c) % cells.length] as string),
      );
      for (const first of [true, false]) {
        const want = new TextEncoder().encode(rowsToCsv(rows, first));
        expect(Buffer.from(rowsToCsvBytes(rows, first)).equals(Buffer.from(want))).toBe(true);
      }
    }
  });
});
