/**
 * How an entry becomes a ClickHouse row: written by the store, and recomputed by the integrity check to
 * compare each stored row's filter columns with its entry. One definition, so the two cannot drift.
 */
import { toMs } from '../core/storeQuery.js';
// Shared with the PostgreSQL store (plain functions, no driver import).
import { safeText, searchText } from '../postgres/rows.js';
import type { ActivityEntry } from '../types.js';

/** A cheap test first: almost no text holds NUL or a surrogate, and `safeText`'s pattern costs more. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point
const MAYBE_UNSAFE = /[\u0000\ud800-\udfff]/;

/** A filter column's text: `safeText` of `value` ('' when missing), skipping its pattern when it cannot match. */
export const text = (value: string | undefined) =>
  value === undefined ? '' : MAYBE_UNSAFE.test(value) ? safeText(value) : value;

/** DateTime64(3)'s range: 1900-01-01T00:00:00.000Z .. 2299-12-31T23:59:59.999Z. */
const KEY_MIN_MS = -2_208_988_800_000;
const KEY_MAX_MS = 10_413_791_999_999;

/** `occurred_at`'s value for an exact time: clamped into DateTime64's range (monotonic, so order-keeping). */
export function keyMs(ms: number): number {
  return Math.min(KEY_MAX_MS, Math.max(KEY_MIN_MS, ms));
}

/** DateTime64 text of epoch ms ('2026-01-02 03:04:05.678'), the input format every server accepts. */
export function chTime(ms: number): string {
  return new Date(keyMs(ms)).toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * The filter and order columns of an entry's row. They pass through `safeText` because ClickHouse's
 * JSON input rejects unpaired surrogates; the entry's `doc` keeps them (JSON.stringify escapes them).
 */
export function filterColumns(entry: ActivityEntry) {
  const ms = toMs(entry.occurredAt, 'occurredAt');
  return {
    org_id: text(entry.orgId),
    occurred_at: chTime(ms),
    occurred_ms: ms,
    id: text(entry.id),
    type: entry.type,
    status: entry.status,
    actor_id: text(entry.actor.id),
    actor_name: text(entry.actor.name),
    action: text(entry.action),
    entity_type: text(entry.entity?.type),
    entity_id: text(entry.entity?.id),
    correlation_id: text(entry.correlationId),
    parent_id: text(entry.parentId),
    idempotency_key: text(entry.idempotencyKey),
    search: searchText(entry),
  };
}

/** One stored row version of an entry. */
export function rowOf(entry: ActivityEntry, version: number) {
  return { ...filterColumns(entry), version, doc: JSON.stringify(entry) };
}

/**
 * The same row as values in `ROW_COLUMNS` order (schema.ts), for `JSONCompactEachRow`: the insert the
 * store sends carries no column names per row, so there is less to write and for the server to parse.
 */
export function rowValues(entry: ActivityEntry, version: number): unknown[] {
  const ms = toMs(entry.occurredAt, 'occurredAt');
  return [
    text(entry.orgId),
    chTime(ms),
    ms,
    text(entry.id),
    version,
    entry.type,
    entry.status,
    text(entry.actor.id),
    text(entry.actor.name),
    text(entry.action),
    text(entry.entity?.type),
    text(entry.entity?.id),
    text(entry.correlationId),
    text(entry.parentId),
    text(entry.idempotencyKey),
    searchText(entry),
    JSON.stringify(entry),
  ];
}
