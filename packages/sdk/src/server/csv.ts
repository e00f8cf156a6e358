/**
 * CSV rendering of activity entries: RFC 4180 (via csv-stringify), CRLF line ends, UTF-8 with a BOM,
 * every cell neutralised against spreadsheet formula injection.
 */
import { stringify } from 'csv-stringify/sync';
import type { ActivityEntry } from '../types.js';

/** Header row of the export, in column order. */
export const CSV_COLUMNS = [
  'time',
  'type',
  'status',
  'actor',
  'actor id',
  'action',
  'entity type',
  'entity id',
  'entity label',
  'summary',
  'entry id',
  'changed fields',
  'error message',
] as const;

/** Rows are arrays, so each column reads its index; `header` is the label. */
const COLUMN_DEFS = CSV_COLUMNS.map((header, i) => ({ key: String(i), header }));

/**
 * First characters that make a spreadsheet read a cell as a formula: OWASP's CSV Injection list
 * (= + - @ tab CR), NUL from ASVS 5 (1.2.10), and the full-width forms Apple Numbers normalises.
 */
const FORMULA_TRIGGERS = new Set([
  '=',
  '+',
  '-',
  '@',
  '\t',
  '\r',
  '\u0000',
  '\uff1d',
  '\uff0b',
  '\uff0d',
  '\uff20',
]);

/**
 * Prefixes a single quote to a cell that a spreadsheet would evaluate as a formula: one starting with
 * `=` `+` `-` `@`, tab, CR, NUL, or the full-width `＝` `＋` `－` `＠`. Other values are returned unchanged.
 * @example neutralizeCell('=HYPERLINK("http://x")') // "'=HYPERLINK(\"http://x\")"
 */
export function neutralizeCell(value: string): string {
  const first = value.charAt(0);
  return FORMULA_TRIGGERS.has(first) ? `'${value}` : value;
}

/** One entry as the export's cells (before neutralisation), in {@link CSV_COLUMNS} order. */
export function entryToRow(entry: ActivityEntry): string[] {
  return entryToRowAt(entry, timeCell(entry.occurredAt));
}

/**
 * {@link entryToRow} with the time cell already known (the entry's `occurredAt` in canonical ISO form),
 * which spares a date parse per entry on ingest paths that store the cells.
 */
export function entryToRowAt(entry: ActivityEntry, time: string): string[] {
  const changed = (entry.changes ?? []).map((c) => (c.redacted ? `${c.path} (hidden)` : c.path)).join('; ');
  return [
    time,
    entry.type,
    entry.status,
    entry.actor.name || entry.actor.id,
    entry.actor.id,
    entry.action,
    entry.entity?.type ?? '',
    entry.entity?.id ?? '',
    entry.entity?.label ?? '',
    entry.summary ?? '',
    entry.id,
    changed,
    entry.error?.message ?? '',
  ];
}

/** The time cell: the instant in canonical ISO form, or the text as stored when it is not a date. */
function timeCell(occurredAt: string): string {
  const ms = Date.parse(occurredAt);
  return Number.isNaN(ms) ? occurredAt : new Date(ms).toISOString();
}

/** Options of {@link entriesToCsv}. */
export interface CsvOptions {
  /**
   * Prepend a UTF-8 byte order mark, without which Excel reads the file as the local code page and
   * garbles accents and emoji.
   * @default true
   */
  bom?: boolean | undefined;
  /** Called after each page is rendered with the running row count (progress reporting). */
  onPage?: ((rows: number) => void) | undefined;
  /** Called once the last page was rendered, with the total row count. */
  onEnd?: ((rows: number) => void) | undefined;
  /** Called when the source throws (`cancelled` false) or the reader cancels (true), with the rows rendered so far. */
  onAbort?: ((rows: number, reason: unknown, cancelled: boolean) => void) | undefined;
}

/**
 * Rows per csv-stringify call. A call joins its records into one string; over a whole page (1,000 rows,
 * ~250 KB, two bytes a character as soon as one cell is outside Latin-1) building, joining and encoding
 * that string runs out of the CPU caches, and rendering plus encoding a page took 2.5x as long as in
 * slices of 50 to 100 rows, each encoded on its own (measured from 20 to 1,000 rows a slice).
 */
const ROWS_PER_CALL = 50;

/** csv-stringify's options for one call: every cell neutralised as it is cast, every non-empty cell quoted. */
function stringifyOptions(first: boolean, bom: boolean) {
  return {
    bom: first && bom,
    // An explicit header prints even for an empty first page, so an empty export still names its columns.
    header: first,
    columns: COLUMN_DEFS,
    quoted: true,
    record_delimiter: '\r\n',
    // Neutralised in the cast each cell goes through anyway: no copy of the page's rows.
    cast: { string: neutralizeCell },
  };
}

/**
 * A page's CSV in consecutive pieces, one csv-stringify call each (header and BOM in the first piece of
 * the first page). Every record ends in CRLF, so the pieces put end to end are the page's CSV.
 */
function csvPieces(rows: readonly (readonly string[])[], first: boolean, bom: boolean): string[] {
  const pieces = [stringify(rows.slice(0, ROWS_PER_CALL), stringifyOptions(first, bom))];
  for (let at = ROWS_PER_CALL; at < rows.length; at += ROWS_PER_CALL) {
    pieces.push(stringify(rows.slice(at, at + ROWS_PER_CALL), stringifyOptions(false, false)));
  }
  return pieces;
}

/**
 * Renders one page of rows (header and BOM on the first) as CSV text. Every cell goes through
 * {@link neutralizeCell} (a superset of csv-stringify's `escape_formulas`, which misses NUL); every
 * non-empty cell is quoted, as OWASP recommends, so a neutralised cell can never be split by a separator.
 */
export function rowsToCsv(rows: readonly (readonly string[])[], first: boolean, bom = true): string {
  return csvPieces(rows, first, bom).join('');
}

/** {@link rowsToCsv} as UTF-8 bytes, each piece encoded while it is small (see {@link ROWS_PER_CALL}). */
export function rowsToCsvBytes(
  rows: readonly (readonly string[])[],
  first: boolean,
  bom = true,
  encoder = new TextEncoder(),
): Uint8Array {
  const parts = csvPieces(rows, first, bom).map((piece) => encoder.encode(piece));
  if (parts.length === 1) return parts[0] as Uint8Array;
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return bytes;
}

/** Pages of rows of cells ({@link entryToRow}'s shape), sync or async. */
export type CsvRowPages = AsyncIterable<readonly string[][]> | Iterable<readonly string[][]>;

/**
 * Streams entries as CSV. Pull-based: the next page is fetched from `pages` only when the reader asks
 * for more, so memory stays at one page whatever the row count.
 * @example new Response(entriesToCsv(pagesOf(store, query)), { headers: { 'content-type': 'text/csv' } })
 */
export function entriesToCsv(
  pages: AsyncIterable<readonly ActivityEntry[]> | Iterable<readonly ActivityEntry[]>,
  options: CsvOptions = {},
): ReadableStream<Uint8Array> {
  return cellRowsToCsv(
    mapPages(pages, (page) => page.map(entryToRow)),
    options,
  );
}

/** `pages` with each page passed through `map`, pulled one page at a time. */
async function* mapPages<T, R>(
  pages: AsyncIterable<readonly T[]> | Iterable<readonly T[]>,
  map: (page: readonly T[]) => R,
): AsyncGenerator<R> {
  for await (const page of pages) yield map(page);
}

/**
 * Streams rows of cells (each {@link entryToRow} of an entry, in {@link CSV_COLUMNS} order) as CSV, exactly
 * as {@link entriesToCsv} streams the entries: for a source that yields the cells without whole entries
 * (`ActivityStore.queryCsvRows`). Pull-based, one page in memory.
 * @example new Response(cellRowsToCsv(csvPagesOf(store, query)), { headers: { 'content-type': 'text/csv' } })
 */
export function cellRowsToCsv(pages: CsvRowPages, options: CsvOptions = {}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator =
    Symbol.asyncIterator in pages
      ? (pages as AsyncIterable<readonly string[][]>)[Symbol.asyncIterator]()
      : (pages as Iterable<readonly string[][]>)[Symbol.iterator]();
  let rows = 0;
  let first = true;
  let done = false;

  const finish = (abort?: { reason: unknown; cancelled: boolean }) => {
    if (done) return;
    done = true;
    if (abort) options.onAbort?.(rows, abort.reason, abort.cancelled);
    else options.onEnd?.(rows);
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          // Skip empty pages so each pull enqueues something (or closes), keeping the stream moving.
          for (;;) {
            const next = await iterator.next();
            if (next.done) {
              if (first) controller.enqueue(rowsToCsvBytes([], true, options.bom ?? true, encoder));
              finish();
              controller.close();
              return;
            }
            if (next.value.length === 0 && !first) continue;
            const bytes = rowsToCsvBytes(next.value, first, options.bom ?? true, encoder);
            first = false;
            rows += next.value.length;
            options.onPage?.(rows);
            controller.enqueue(bytes);
            return;
          }
        } catch (error) {
          finish({ reason: error, cancelled: false });
          controller.error(error);
        }
      },
      async cancel(reason) {
        finish({ reason, cancelled: true });
        await iterator.return?.();
      },
    },
    // One page in the queue at most: the consumer's pace drives the store reads.
    { highWaterMark: 1 },
  );
}
