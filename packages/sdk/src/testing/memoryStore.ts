import { ActivityError } from '../errors.js';
import type {
  ActivityEntry,
  ActivityFilter,
  ActivityStore,
  AppendResult,
  FacetCount,
  Facets,
  HistogramBucket,
  JobUpdate,
  StorePage,
  StoreQuery,
} from '../types.js';

/** Page size when a query names none. */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page a store returns; larger limits are rejected with `INVALID_FILTER` on `limit`. */
export const MAX_PAGE_SIZE = 1000;

/** Parses an ISO date to epoch ms, or throws `INVALID_FILTER` naming `field`. */
export function toMs(value: string, field: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new ActivityError('INVALID_FILTER', `${field}: "${value}" is not an ISO 8601 date`, { field });
  }
  return ms;
}

/** Validates a query's limit and cursor; returns the effective page size. Shared by every store. */
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
  if (filter.from !== undefined && ms < Date.parse(filter.from)) return false;
  if (filter.to !== undefined && ms >= Date.parse(filter.to)) return false;
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

function countBy(entries: ActivityEntry[], key: (e: ActivityEntry) => string | undefined): FacetCount[] {
  const counts = new Map<string, number>();
  for (const e of entries) {
    const k = key(e);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return sortFacet([...counts].map(([value, count]) => ({ value, count })));
}

const idemKey = (orgId: string, key: string) => `${orgId}\u0000${key}`;

/**
 * An in-memory {@link ActivityStore}: the reference implementation the conformance suite is written
 * against, also handy in tests, Storybook and demos. Entries are deep-copied in and out.
 * @example const store = createMemoryStore(); await store.append(generateActivity({ count: 100 }));
 */
export function createMemoryStore(): ActivityStore {
  const byId = new Map<string, ActivityEntry>();
  const byIdempotencyKey = new Map<string, string>();
  let closed = false;

  const open = () => {
    if (closed) throw new ActivityError('STORE_FAILED', 'store is closed');
  };
  const select = (query: StoreQuery) => {
    const out: ActivityEntry[] = [];
    for (const e of byId.values()) if (e.orgId === query.orgId && matchesFilter(e, query)) out.push(e);
    return out;
  };

  return {
    async append(entries: ActivityEntry[]): Promise<AppendResult> {
      open();
      let inserted = 0;
      let duplicates = 0;
      for (const entry of entries) {
        const key =
          entry.idempotencyKey === undefined ? undefined : idemKey(entry.orgId, entry.idempotencyKey);
        if (byId.has(entry.id) || (key !== undefined && byIdempotencyKey.has(key))) {
          duplicates++;
          continue;
        }
        byId.set(entry.id, structuredClone(entry));
        if (key !== undefined) byIdempotencyKey.set(key, entry.id);
        inserted++;
      }
      return { inserted, duplicates };
    },

    async updateJob(orgId: string, id: string, update: JobUpdate): Promise<boolean> {
      open();
      const entry = byId.get(id);
      if (!entry || entry.orgId !== orgId || entry.status !== 'IN_PROGRESS') return false;
      const next = structuredClone(update);
      if (next.status !== undefined) entry.status = next.status;
      if (next.progress !== undefined) entry.progress = next.progress;
      // Job metadata accumulates over the run (counts, then totals), so updates merge shallowly.
      if (next.metadata !== undefined) entry.metadata = { ...entry.metadata, ...next.metadata };
      if (next.error !== undefined) entry.error = next.error;
      if (next.summary !== undefined) entry.summary = next.summary;
      if (next.completedAt !== undefined) entry.completedAt = next.completedAt;
      if (next.durationMs !== undefined) entry.durationMs = next.durationMs;
      return true;
    },

    async get(orgId: string, id: string): Promise<ActivityEntry | undefined> {
      open();
      const entry = byId.get(id);
      return entry && entry.orgId === orgId ? structuredClone(entry) : undefined;
    },

    async query(query: StoreQuery): Promise<StorePage> {
      open();
      const limit = checkQuery(query);
      let rows = select(query);
      if (query.after) {
        const ms = Date.parse(query.after.occurredAt);
        const id = query.after.id;
        rows = rows.filter((e) => {
          const t = Date.parse(e.occurredAt);
          return t < ms || (t === ms && e.id < id);
        });
      }
      rows.sort(compareNewestFirst);
      const page = rows.slice(0, limit).map((e) => structuredClone(e));
      const last = page[page.length - 1];
      return rows.length > limit && last
        ? { entries: page, next: { occurredAt: last.occurredAt, id: last.id } }
        : { entries: page };
    },

    async facets(query: StoreQuery): Promise<Facets> {
      open();
      checkQuery({ ...query, limit: undefined, after: undefined });
      const rows = select(query);
      const names = new Map<string, string>();
      for (const e of rows) {
        const name = e.actor.name;
        const prev = names.get(e.actor.id);
        // The greatest name wins so every store (SQL MAX) labels an actor the same way.
        if (name && (prev === undefined || name > prev)) names.set(e.actor.id, name);
      }
      return {
        types: countBy(rows, (e) => e.type),
        statuses: countBy(rows, (e) => e.status),
        actors: countBy(rows, (e) => e.actor.id).map((c) => {
          const label = names.get(c.value);
          return label === undefined ? c : { ...c, label };
        }),
        entityTypes: countBy(rows, (e) => e.entity?.type),
        total: rows.length,
      };
    },

    async histogram(query: StoreQuery & { bucketMs: number }): Promise<HistogramBucket[]> {
      open();
      checkQuery({ ...query, limit: undefined, after: undefined });
      checkBucketMs(query.bucketMs);
      const buckets = new Map<number, HistogramBucket>();
      for (const e of select(query)) {
        const start = Math.floor(Date.parse(e.occurredAt) / query.bucketMs) * query.bucketMs;
        let b = buckets.get(start);
        if (!b) {
          b = { start: new Date(start).toISOString(), count: 0, failures: 0 };
          buckets.set(start, b);
        }
        b.count++;
        if (e.status === 'FAILED' || e.status === 'WARNING') b.failures++;
      }
      return [...buckets].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
    },

    async deleteBefore(before: string, orgId?: string): Promise<number> {
      open();
      const cutoff = toMs(before, 'before');
      let deleted = 0;
      for (const [id, e] of byId) {
        if ((orgId === undefined || e.orgId === orgId) && Date.parse(e.occurredAt) < cutoff) {
          byId.delete(id);
          if (e.idempotencyKey !== undefined) byIdempotencyKey.delete(idemKey(e.orgId, e.idempotencyKey));
          deleted++;
        }
      }
      return deleted;
    },

    async listOrgs(): Promise<string[]> {
      open();
      return [...new Set([...byId.values()].map((e) => e.orgId))].sort();
    },

    async flush(): Promise<void> {},

    async close(): Promise<void> {
      closed = true;
    },
  };
}
