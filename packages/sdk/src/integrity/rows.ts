/** Helpers the stores share to read rows back for integrity checks. */
import type { ActivityEntry } from '../types.js';
import { parseDigest } from './digest.js';
import type { Digest, StoredRow } from './types.js';

/** Parses a stored entry's JSON; undefined when it is not a JSON object any more. */
export function parseEntry(text: unknown): ActivityEntry | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as ActivityEntry)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The first column whose stored value differs from what the store derives from the entry, or undefined.
 * `expected` and `actual` have the same keys; values compare after `normalise`.
 */
export function firstMismatch(
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
  normalise: (value: unknown) => unknown = (v) => v,
): string | undefined {
  for (const [column, want] of Object.entries(expected)) {
    if (normalise(want) !== normalise(actual[column])) return column;
  }
  return undefined;
}

/** A {@link StoredRow} from a row's id, org, entry text and a column check over the parsed entry. */
export function storedRow(
  rowId: string,
  rowOrgId: string,
  text: unknown,
  check: (entry: ActivityEntry) => string | undefined,
): StoredRow {
  const entry = parseEntry(text);
  if (!entry) return { rowId, rowOrgId, entry };
  let columnMismatch: string | undefined;
  try {
    columnMismatch = check(entry);
  } catch {
    // An entry whose fields no longer parse (a date made invalid) cannot match its columns.
    columnMismatch = 'data';
  }
  return { rowId, rowOrgId, entry, columnMismatch };
}

/**
 * A row as the sealer needs it: the parsed entry only. Columns are the store's own derivation of the
 * entry, checked when verifying; checking them while sealing too would double its cost.
 */
export function sealingRow(rowId: string, rowOrgId: string, text: unknown): StoredRow {
  return { rowId, rowOrgId, entry: parseEntry(text) };
}

/** Digests parsed from stored text; a row that is not a digest any more keeps its sequence, unsigned. */
export function digestsFrom(rows: { sequence: number | string; digest: string }[]): Digest[] {
  return rows.map((r) => parseDigest(r.digest) ?? brokenDigest(Number(r.sequence)));
}

function brokenDigest(sequence: number): Digest {
  return {
    format: 'activity-digest/1',
    orgId: '',
    sequence,
    entryCount: 0,
    firstId: '',
    lastId: '',
    root: '',
    previousDigestHash: null,
    sealedAt: '',
    runStartedAt: '',
    keyId: '',
    signature: '',
  };
}
