/**
 * A plain model of what a store query returns, for the conformance suite's query oracle. Written
 * apart from every store (the memory store included) and from `core/storeQuery.ts`: a bug shared by
 * them would otherwise agree with itself.
 */
import type { ActivityEntry, FacetCount, Facets, HistogramBucket, StoreQuery } from '../types.js';

/** A query's filter axes, without paging. */
export type ModelFilter = Omit<StoreQuery, 'limit' | 'after'>;

const time = (iso: string): number => new Date(iso).getTime();

function matches(e: ActivityEntry, f: ModelFilter): boolean {
  if (e.orgId !== f.orgId) return false;
  if (f.types && f.types.length > 0 && f.types.indexOf(e.type) < 0) return false;
  if (f.statuses && f.statuses.length > 0 && f.statuses.indexOf(e.status) < 0) return false;
  if (f.actorIds && f.actorIds.length > 0 && f.actorIds.indexOf(e.actor.id) < 0) return false;
  if (f.entityTypes && f.entityTypes.length > 0) {
    if (e.entity === undefined || f.entityTypes.indexOf(e.entity.type) < 0) return false;
  }
  if (f.entityId && (e.entity === undefined || e.entity.id !== f.entityId)) return false;
  if (f.correlationId && e.correlationId !== f.correlationId) return false;
  if (f.from !== undefined && time(e.occurredAt) < time(f.from)) return false;
  if (f.to !== undefined && time(e.occurredAt) >= time(f.to)) return false;
  if (f.q) {
    const needle = f.q.toLowerCase();
    const haystacks = [e.action, e.entity?.label, e.actor.name, e.summary];
    let found = false;
    for (const h of haystacks) if (h?.toLowerCase().includes(needle)) found = true;
    if (!found) return false;
  }
  return true;
}

/** Every entry a filter selects, newest first (time, then id, both descending). */
export function modelSelect(entries: readonly ActivityEntry[], filter: ModelFilter): ActivityEntry[] {
  const out = entries.filter((e) => matches(e, filter));
  out.sort((a, b) => {
    const ta = time(a.occurredAt);
    const tb = time(b.occurredAt);
    if (ta !== tb) return tb - ta;
    if (a.id === b.id) return 0;
    return a.id < b.id ? 1 : -1;
  });
  return out;
}

function counted(values: (string | undefined)[], labels?: Map<string, string>): FacetCount[] {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  const out: FacetCount[] = [];
  for (const [value, count] of counts) {
    const label = labels?.get(value);
    out.push(label === undefined ? { value, count } : { value, count, label });
  }
  // Count descending, then value ascending.
  out.sort((a, b) => (a.count !== b.count ? b.count - a.count : a.value < b.value ? -1 : 1));
  return out;
}

/** Facet counts of what a filter selects; an actor's label is its greatest name. */
export function modelFacets(entries: readonly ActivityEntry[], filter: ModelFilter): Facets {
  const rows = modelSelect(entries, filter);
  const labels = new Map<string, string>();
  for (const e of rows) {
    const name = e.actor.name;
    if (name === undefined) continue;
    const prev = labels.get(e.actor.id);
    if (prev === undefined || name > prev) labels.set(e.actor.id, name);
  }
  return {
    types: counted(rows.map((e) => e.type)),
    statuses: counted(rows.map((e) => e.status)),
    actors: counted(
      rows.map((e) => e.actor.id),
      labels,
    ),
    entityTypes: counted(rows.map((e) => e.entity?.type)),
    total: rows.length,
  };
}

/** Entries per bucket of `bucketMs` (buckets start at multiples of it, floored), oldest first, empty ones left out. */
export function modelHistogram(
  entries: readonly ActivityEntry[],
  filter: ModelFilter,
  bucketMs: number,
): HistogramBucket[] {
  const buckets = new Map<number, { count: number; failures: number }>();
  for (const e of modelSelect(entries, filter)) {
    const t = time(e.occurredAt);
    const start = (t - (((t % bucketMs) + bucketMs) % bucketMs)) / bucketMs;
    const b = buckets.get(start) ?? { count: 0, failures: 0 };
    b.count += 1;
    if (e.status === 'FAILED' || e.status === 'WARNING') b.failures += 1;
    buckets.set(start, b);
  }
  return [...buckets.keys()]
    .sort((a, b) => a - b)
    .map((k) => {
      const b = buckets.get(k) as { count: number; failures: number };
      return { start: new Date(k * bucketMs).toISOString(), count: b.count, failures: b.failures };
    });
}
