import { applyJobUpdate } from '../core/jobUpdate.js';
import {
  checkBucketMs,
  checkQuery,
  compareNewestFirst,
  matchesFilter,
  sortFacet,
  toMs,
} from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import type {
  ActivityEntry,
  ActivityStore,
  AppendResult,
  FacetCount,
  Facets,
  HistogramBucket,
  JobUpdate,
  StorePage,
  StoreQuery,
  SummarySource,
} from '../types.js';

export {
  checkBucketMs,
  checkQuery,
  compareNewestFirst,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  matchesFilter,
  searchTexts,
  sortFacet,
  toMs,
} from '../core/storeQuery.js';

function countBy(entries: ActivityEntry[], key: (e: ActivityEntry) => string | undefined): FacetCount[] {
  const counts = new Map<string, number>();
  for (const e of entries) {
    const k = key(e);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return sortFacet([...counts].map(([value, count]) => ({ value, count })));
}

const idemKey = (orgId: string, key: string) => `${orgId}\u0000${key}`;

/** A copy of the parts of an entry a list row is made from. */
function summarySource(e: ActivityEntry): SummarySource {
  const out: SummarySource = {
    id: e.id,
    orgId: e.orgId,
    occurredAt: e.occurredAt,
    type: e.type,
    status: e.status,
    actor: { ...e.actor },
    action: e.action,
  };
  if (e.entity) out.entity = { ...e.entity };
  if (e.summary !== undefined) out.summary = e.summary;
  if (e.progress) out.progress = { ...e.progress };
  if (e.webhook) out.webhook = { provider: e.webhook.provider, eventType: e.webhook.eventType };
  return out;
}

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

  /** One page of `query`, newest first, each entry copied out by `copy`. */
  const page = <E>(query: StoreQuery, copy: (e: ActivityEntry) => E): StorePage<E> => {
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
    const kept = rows.slice(0, limit);
    const last = kept[kept.length - 1];
    const entries = kept.map(copy);
    return rows.length > limit && last
      ? { entries, next: { occurredAt: last.occurredAt, id: last.id } }
      : { entries };
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
      byId.set(id, Object.assign(entry, applyJobUpdate(entry, structuredClone(update))));
      if (entry.status !== 'IN_PROGRESS') delete entry.leaseExpiresAt;
      return true;
    },

    async get(orgId: string, id: string): Promise<ActivityEntry | undefined> {
      open();
      const entry = byId.get(id);
      return entry && entry.orgId === orgId ? structuredClone(entry) : undefined;
    },

    async query(query: StoreQuery): Promise<StorePage> {
      return page(query, (e) => structuredClone(e));
    },

    async querySummaries(query: StoreQuery): Promise<StorePage<SummarySource>> {
      return page(query, summarySource);
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
