import type { ActivityEntry } from '../types.js';

// NUL and unpaired surrogates: PostgreSQL text and jsonb reject the first, jsonb the second.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point
const UNSAFE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Replaces characters PostgreSQL cannot store with U+FFFD (used only for filter columns, never the doc). */
export function safeText(value: string): string {
  return value.replace(UNSAFE, '\ufffd');
}

const UNSAFE_ONE = new RegExp(UNSAFE.source);

/** True when PostgreSQL text holds `value` exactly: {@link safeText} would leave it unchanged. */
export function isSafeText(value: string): boolean {
  return !UNSAFE_ONE.test(value);
}

/** `safeText` for an optional value; empty and missing become null. */
export function safeOptional(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : safeText(value);
}

/** Deep copy with every string and key passed through {@link safeText}, for the jsonb copy. */
export function safeJson(value: unknown): unknown {
  if (typeof value === 'string') return safeText(value);
  if (Array.isArray(value)) return value.map(safeJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[safeText(k)] = safeJson(v);
    return out;
  }
  return value;
}

/** Separates the searched texts so a pattern cannot match across two of them. */
export const SEARCH_SEPARATOR = '\u001f';

/**
 * The lower-cased texts `q` searches (action, entity label, actor name, summary), joined. Lower-casing
 * here with JavaScript's rules keeps matching identical to the memory store.
 */
export function searchText(entry: ActivityEntry): string {
  const texts = [entry.action, entry.entity?.label, entry.actor.name, entry.summary];
  return safeText(
    texts
      .filter((t): t is string => t !== undefined && t !== '')
      .map((t) => t.toLowerCase())
      .join(SEARCH_SEPARATOR),
  );
}

/** A LIKE pattern matching `q` as a lower-cased substring, with `\`, `%` and `_` escaped. */
export function likePattern(q: string): string {
  return `%${safeText(q.toLowerCase()).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The shared rule for job updates, re-exported for the stores that import it from here. */
export { applyJobUpdate } from '../core/jobUpdate.js';

/**
 * The distinct orgs of `table` by a loose index scan of an index leading with `org_id`: one probe per
 * org instead of reading every row (PostgreSQL before 18 has no skip scan). One column, `org_id`.
 */
export function distinctOrgsSql(table: string): string {
  return `WITH RECURSIVE orgs AS (
       (SELECT org_id FROM ${table} ORDER BY org_id LIMIT 1)
       UNION ALL
       SELECT (SELECT t.org_id FROM ${table} t WHERE t.org_id > orgs.org_id ORDER BY t.org_id LIMIT 1)
       FROM orgs WHERE orgs.org_id IS NOT NULL)
     SELECT org_id FROM orgs WHERE org_id IS NOT NULL`;
}
