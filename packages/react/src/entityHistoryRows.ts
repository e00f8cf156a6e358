/**
 * The logic of `<EntityHistory/>`, outside JSX: the filter for one record's entries, and the inline
 * "changed fields" line of an entry.
 */
import type { ActivityFilter, EntityRef, FieldChange } from '@activity/sdk/client';
import { diffRows } from './diffRows.js';
import { formatValue } from './format.js';

/** Every entry about one record, all retained time: what the history shows and "View all" carries. */
export function entityFilter(entity: Pick<EntityRef, 'type' | 'id'>): ActivityFilter {
  return { entityTypes: [entity.type], entityId: entity.id, range: 'all' };
}

/** One changed field, as shown inline under an entry. */
export interface InlineChange {
  path: string;
  kind: FieldChange['kind'];
  /** Text of the old value; undefined for added and hidden fields. */
  before?: string | undefined;
  /** Text of the new value; undefined for removed and hidden fields. */
  after?: string | undefined;
  /** Value hidden by redaction. */
  redacted: boolean;
}

/** Longest value text shown inline; the drawer has the whole value. */
const MAX_VALUE_CHARS = 40;

function clip(value: unknown): string {
  const text = formatValue(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/**
 * The first `max` changed leaf fields of an entry (nested objects expanded as in the diff table) and how
 * many more there are.
 */
export function inlineChanges(
  changes: readonly FieldChange[] | undefined,
  max = 3,
): { shown: InlineChange[]; more: number } {
  if (!changes?.length) return { shown: [], more: 0 };
  // The diff table's rows: a changed object is told by the leaf fields that changed in it.
  const rows = diffRows(changes);
  const shown = rows.slice(0, max).map(
    (row): InlineChange => ({
      path: row.path,
      kind: row.kind,
      redacted: row.redacted,
      before: row.redacted || !row.hasBefore ? undefined : clip(row.before),
      after: row.redacted || !row.hasAfter ? undefined : clip(row.after),
    }),
  );
  return { shown, more: Math.max(0, rows.length - shown.length) };
}
