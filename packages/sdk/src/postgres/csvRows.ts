/**
 * The CSV export's cells straight from columns (migration 6). Four cells exist only inside the entry's
 * JSON (entity label, summary, changed fields, error message), so they are written at ingest as
 * `csv_*` columns; with them a page of the export is read without parsing a single `doc`. A row whose
 * columns cannot reproduce its cells exactly (written before migration 6, or holding text PostgreSQL
 * cleans: NUL, lone surrogates) has NULL there, and the export reads its `doc` instead.
 */
import { entryToRow } from '../server/csv.js';
import type { ActivityEntry } from '../types.js';
import { isSafeText } from './rows.js';

/** The columns of the doc-only cells, with their PostgreSQL types; NULL means "read the doc". */
export const CSV_CELL_COLUMNS: [string, string][] = [
  ['csv_label', 'text'],
  ['csv_summary', 'text'],
  ['csv_changes', 'text'],
  ['csv_error', 'text'],
];

/** Indexes in {@link entryToRow}'s row of the cells {@link CSV_CELL_COLUMNS} hold, in that order. */
const DOC_CELLS = [8, 9, 11, 12] as const;
const NO_CELLS: (string | null)[] = [null, null, null, null];

/** Years PostgreSQL's `to_char` and JavaScript's `toISOString` write alike (four digits, no year 0). */
const PLAIN_YEAR = /^(?!0000)\d{4}-/;

/**
 * The values of {@link CSV_CELL_COLUMNS} for an entry whose other columns are `row` (the first values of
 * `rowOf`): its {@link entryToRow} cells, or NULLs when the row read back through {@link CSV_SELECT}
 * would not give exactly those cells (then the export falls back to the doc for this row only).
 */
export function csvCellsOf(entry: ActivityEntry, row: readonly (string | null)[]): (string | null)[] {
  const cells = entryToRow(entry);
  const [id, , time, type, status, actorId, actorName, action, entityType, entityId] = row;
  // What CSV_SELECT derives from the columns, in entryToRow's order; the doc-only cells must be storable.
  const fromColumns = [
    time,
    type,
    status,
    actorName ?? actorId,
    actorId,
    action,
    entityType ?? '',
    entityId ?? '',
  ];
  const exact =
    typeof time === 'string' &&
    PLAIN_YEAR.test(time) &&
    cells[10] === id &&
    fromColumns.every((value, i) => value === cells[i]) &&
    DOC_CELLS.every((i) => isSafeText(cells[i] as string));
  return exact ? DOC_CELLS.map((i) => cells[i] as string) : NO_CELLS;
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

/** One {@link CSV_SELECT} row (array mode) as its export cells: from the columns, or from the doc. */
export function csvCellsOfRow(r: (string | null)[]): string[] {
  const doc = r[DOC];
  if (doc === null || doc === undefined) return r.slice(0, DOC) as string[];
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
