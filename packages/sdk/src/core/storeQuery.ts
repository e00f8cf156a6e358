/**
 * What a store query means, shared by every store: argument checks, what a filter matches, how
 * entries sort and how facets order. Stores import it from here; the memory store (testing) builds on it.
 */
import { ActivityError } from '../errors.js';
import type { ActivityEntry, ActivityFilter, FacetCount, StoreQuery } from '../types.js';
import { parseInstant } from './isoDate.js';

/** Page size when a query names none. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page a store returns; larger limits are rejected with `INVALID_FILTER` on `limit`. */
export const MAX_PAGE_SIZE = 1000;

/**
 * Parses an ISO date or date-time to epoch ms with the one strict parser, or throws `INVALID_FILTER`
 * naming `field` (impossible calendar dates and instants outside the range every store holds included).
 */
export function toMs(value: string, field: string): number {
  const parsed = typeof value === 'string' ? parseInstant(value, { allowDate: true }) : undefined;
  if (!parsed?.ok) {
    const reason = parsed?.reason ?? 'must be an ISO 8601 date-time';
    throw new ActivityError('INVALID_FILTER', `${field}: "${String(value).slice(0, 40)}" ${reason}`, {
      field,
    });
  }
  return parsed.ms;
}

/** Validates a query's limit, cursor and bounds; returns the effective page size. Shared by every store. */
export function checkQuery(query: StoreQuery): number {
  if (typeof query.orgId !== 'string' || query.orgId === '') {
    throw new ActivityError('INVALID_FILTER', 'orgId: required', { field: 'orgId' });
  }
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ActivityError('INVALID_FILTER', `limit: must be an integer from 1 to ${MAX_PAGE_SIZE}`, {
      field: 'limit',
    });
  }
  if (query.after !== undefined) {
    toMs(query.after.occurredAt, 'after.occurredAt');
    if (typeof query.after.id !== 'string' || query.after.id === '') {
      throw new ActivityError('INVALID_FILTER', 'after.id: required with after', { field: 'after.id' });
    }
  }
  if (query.from !== undefined) toMs(query.from, 'from');
  if (query.to !== undefined) toMs(query.to, 'to');
  return limit;
}

/** Validates a histogram bucket width (a positive integer number of milliseconds). */
export function checkBucketMs(bucketMs: number): void {
  if (!Number.isInteger(bucketMs) || bucketMs < 1000) {
    throw new ActivityError('INVALID_FILTER', 'bucketMs: must be an integer of at least 1000', {
      field: 'bucketMs',
    });
  }
}

/** The lower-cased texts the free-text filter `q` searches: action, entity label, actor name, summary. */
export function searchTexts(entry: ActivityEntry): string[] {
  const texts = [entry.action.toLowerCase()];
  if (entry.entity?.label) texts.push(entry.entity.label.toLowerCase());
  if (entry.actor.name) texts.push(entry.actor.name.toLowerCase());
  if (entry.summary) texts.push(entry.summary.toLowerCase());
  return texts;
}

/** True when an entry matches a resolved filter (`range` is ignored: callers resolve it to from/to). */
export function matchesFilter(entry: ActivityEntry, filter: Omit<ActivityFilter, 'range'>): boolean {
  if (filter.types?.length && !filter.types.includes(entry.type)) return false;
  if (filter.statuses?.length && !filter.statuses.includes(entry.status)) return false;
  if (filter.actorIds?.length && !filter.actorIds.includes(entry.actor.id)) return false;
  if (filter.entityTypes?.length && (!entry.entity || !filter.entityTypes.includes(entry.entity.type)))
    return false;
  if (filter.entityId !== undefined && filter.entityId !== '' && entry.entity?.id !== filter.entityId)
    return false;
  if (
    filter.correlationId !== undefined &&
    filter.correlationId !== '' &&
    entry.correlationId !== filter.correlationId
  )
    return false;
  const ms = Date.parse(entry.occurredAt);
  if (filter.from !== undefined && ms < toMs(filter.from, 'from')) return false;
  if (filter.to !== undefined && ms >= toMs(filter.to, 'to')) return false;
  if (filter.q !== undefined && filter.q !== '') {
    const q = filter.q.toLowerCase();
    if (!searchTexts(entry).some((t) => t.includes(q))) return false;
  }
  return true;
}

/** Orders entries newest first: occurredAt desc, then id desc (the keyset order of every store). */
export function compareNewestFirst(a: ActivityEntry, b: ActivityEntry): number {
  const d = Date.parse(b.occurredAt) - Date.parse(a.occurredAt);
  if (d !== 0) return d;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Sorts facet counts by count desc, then value asc, so every store returns the same order. */
export function sortFacet(counts: FacetCount[]): FacetCount[] {
  return counts.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}
