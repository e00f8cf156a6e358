/**
 * The CSV export's cells straight from columns (migration 6). Four cells exist only inside the entry's
 * JSON (entity label, summary, changed fields, error message), so they are written at ingest as
 * `csv_*` columns; with them a page of the export is read without parsing a single `doc`. A row whose
 * columns cannot reproduce its cells exactly (written before migration 6, or holding text PostgreSQL
 * cleans: NUL, lone surrogates) has NULL there, and the export reads its `doc` instead.
 */
import { entryToRow, entryToRowAt } from '../server/csv.js';
import type { ActivityEntry } from '../types.js';
import { isSafeText } from './rows.js';

/** The columns of the doc-only cells, with their PostgreSQL types; NULL means "read the doc". */
export const CSV_CELL_COLUMNS: [string, string][] = [
  ['csv_label', 'text'],
  ['csv_summary', 'text'],
  ['csv_changes', 'text'],
  ['csv_error', 'text'],
];

/** Years PostgreSQL's `to_char` and JavaScript's `toISOString` write alike (four digits, no year 0). */
const PLAIN_YEAR = /^(?!0000)\d{4}-/;

/** True for a cell PostgreSQL text holds exactly (the empty cell, the most common, without a regex). */
const storable = (cell: string) => cell === '' || isSafeText(cell);

/**
 * Sets the values of {@link CSV_CELL_COLUMNS} at `at` in `row` (a row of `rowOf`, whose other columns
 * are set): the entry's {@link entryToRow} cells (entity label, summary, changed fields, error message),
 * or leaves them NULL when the row read back through {@link CSV_SELECT} would not give exactly its cells
 * (then the export falls back to the doc for this row only). Runs for every appended entry, so it
 * allocates nothing beyond entryToRow's row.
 */
export function fillCsvCells(entry: ActivityEntry, row: (string | null)[], at: number): void {
  // row[2] is the canonical ISO time; an entry already holding it needs no date parse for its cell.
  const cells = (entry.occurredAt === row[2] ? entryToRowAt(entry, row[2]) : entryToRow(entry)) as [
    string,
    ...string[],
  ];
  // What CSV_SELECT derives from the columns must be entryToRow's cell, and the doc-only cells storable.
  const exact =
    cells[0] === row[2] &&
    PLAIN_YEAR.test(cells[0]) &&
    cells[1] === row[3] &&
    cells[2] === row[4] &&
    cells[3] === (row[6] ?? row[5]) &&
    cells[4] === row[5] &&
    cells[5] === row[7] &&
    cells[6] === (row[8] ?? '') &&
    cells[7] === (row[9] ?? '') &&
    cells[10] === row[0] &&
    storable(cells[8] as string) &&
    storable(cells[9] as string) &&
    storable(cells[11] as string) &&
    storable(cells[12] as string);
  if (!exact) return;
  row[at] = cells[8] as string;
  row[at + 1] = cells[9] as string;
  row[at + 2] = cells[11] as string;
  row[at + 3] = cells[12] as string;
}

/**
 * The select list of an export page, in {@link entryToRow}'s order, then the cursor's time and the doc
 * for rows without their cells (NULL otherwise, so the doc of a current row is never read or sent).
 */
export const CSV_SELECT = `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  type, status, coalesce(actor_name, actor_id), actor_id, action, coalesce(entity_type, ''),
  coalesce(entity_id, ''), csv_label, csv_summary, id, csv_changes, csv_error,
  CASE WHEN csv_label IS NULL OR csv_summary IS NULL OR csv_changes IS NULL OR csv_error IS NULL
       THEN doc END`;

/** Index of the doc in a {@link CSV_SELECT} row. */
const DOC = 13;

/**
 * One {@link CSV_SELECT} row (array mode) as its export cells: from the columns, or from the doc. A row
 * read from its columns becomes its cells in place (the doc's NULL cut off, no copy per row), which
 * {@link csvCursorOf} still reads as a row without a doc.
 */
export function csvCellsOfRow(r: (string | null)[]): string[] {
  const doc = r[DOC];
  if (doc === null || doc === undefined) {
    r.length = DOC;
    return r as string[];
  }
  return entryToRow(JSON.parse(doc) as ActivityEntry);
}

/**
 * The keyset position of a {@link CSV_SELECT} row as `query` gives it: for a row read from its doc, the
 * doc's own time (which the next page's filter parses), else the time and id columns.
 */
export function csvCursorOf(r: (string | null)[]): { occurredAt: string; id: string } {
  const doc = r[DOC];
  if (doc === null || doc === undefined) return { occurredAt: r[0] as string, id: r[10] as string };
  const entry = JSON.parse(doc) as ActivityEntry;
  return { occurredAt: entry.occurredAt, id: entry.id };
}
