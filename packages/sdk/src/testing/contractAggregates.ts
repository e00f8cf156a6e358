/**
 * The store contract's aggregate groups: facet counts and the histogram's buckets, under filters.
 */
import type { ActivityEntry, ActivityStore, StoreQuery } from '../types.js';
import { BASE, collect, expectInvalid, runner } from './contractKit.js';
import { generateActivity } from './fixtures.js';

/** Registers "facets": the counts under each filter, and an org without entries. */
export function facetsContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('facets', () => {
    let store: ActivityStore;
    const data = generateActivity({
      count: 300,
      orgIds: ['org_a', 'org_b'],
      seed: 11,
      now: new Date(BASE),
      spanDays: 5,
    });

    beforeEach(async () => {
      store = current();
      await store.append(data);
    });

    it.each<[string, Omit<StoreQuery, 'orgId'>]>([
      ['no filter', {}],
      ['jobs', { types: ['BACKGROUND_JOB'] }],
      [
        'failures since 3 days',
        { statuses: ['FAILED', 'WARNING'], from: new Date(BASE - 3 * 86_400_000).toISOString() },
      ],
      ['q', { q: 'contact' }],
    ])('agrees with query counts (%s)', async (_label, filter) => {
      const query: StoreQuery = { orgId: 'org_a', ...filter };
      const all = await collect(store, query, 200);
      const facets = await store.facets(query);
      expect(facets.total).toBe(all.length);
      const count = (key: (e: ActivityEntry) => string | undefined) => {
        const m = new Map<string, number>();
        for (const e of all) {
          const k = key(e);
          if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
        }
        return m;
      };
      const asMap = (fs: { value: string; count: number }[]) => new Map(fs.map((f) => [f.value, f.count]));
      expect(asMap(facets.types)).toEqual(count((e) => e.type));
      expect(asMap(facets.statuses)).toEqual(count((e) => e.status));
      expect(asMap(facets.actors)).toEqual(count((e) => e.actor.id));
      expect(asMap(facets.entityTypes)).toEqual(count((e) => e.entity?.type));
      for (const list of [facets.types, facets.statuses, facets.actors, facets.entityTypes]) {
        const sorted = [...list].sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
        expect(list).toEqual(sorted);
      }
      for (const actor of facets.actors) {
        const named = all.find((e) => e.actor.id === actor.value && e.actor.name);
        expect(actor.label).toBe(named?.actor.name);
      }
    });

    it('is empty for an org without entries', async () => {
      expect(await store.facets({ orgId: 'nobody' })).toEqual({
        types: [],
        statuses: [],
        actors: [],
        entityTypes: [],
        total: 0,
      });
    });
  });
}

/** Registers "histogram": buckets at several widths, the filter applied, widths under a second refused. */
export function histogramContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('histogram', () => {
    let store: ActivityStore;
    const data = generateActivity({
      count: 300,
      orgIds: ['org_a', 'org_b'],
      seed: 5,
      now: new Date(BASE),
      spanDays: 3,
    });

    beforeEach(async () => {
      store = current();
      await store.append(data);
    });

    it.each([3_600_000, 86_400_000, 15 * 60_000])(
      'sums to the total with epoch-aligned buckets of %i ms',
      async (bucketMs) => {
        const query: StoreQuery = { orgId: 'org_a' };
        const buckets = await store.histogram({ ...query, bucketMs });
        const facets = await store.facets(query);
        expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(facets.total);
        const failures = facets.statuses
          .filter((s) => s.value === 'FAILED' || s.value === 'WARNING')
          .reduce((n, s) => n + s.count, 0);
        expect(buckets.reduce((n, b) => n + b.failures, 0)).toBe(failures);
        let prev = Number.NEGATIVE_INFINITY;
        for (const b of buckets) {
          const start = Date.parse(b.start);
          expect(start % bucketMs).toBe(0);
          expect(start).toBeGreaterThan(prev);
          expect(b.count).toBeGreaterThan(0);
          expect(b.failures).toBeLessThanOrEqual(b.count);
          prev = start;
        }
        const expected = new Map<number, number>();
        for (const e of data) {
          if (e.orgId !== 'org_a') continue;
          const s = Math.floor(Date.parse(e.occurredAt) / bucketMs) * bucketMs;
          expected.set(s, (expected.get(s) ?? 0) + 1);
        }
        expect(buckets.map((b) => [Date.parse(b.start), b.count])).toEqual(
          [...expected].sort((a, b) => a[0] - b[0]),
        );
      },
    );

    it('applies the filter', async () => {
      const query: StoreQuery = { orgId: 'org_a', types: ['BACKGROUND_JOB'], statuses: ['FAILED'] };
      const buckets = await store.histogram({ ...query, bucketMs: 3_600_000 });
      const total = (await collect(store, query)).length;
      expect(total).toBeGreaterThan(0);
      expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(total);
      expect(buckets.every((b) => b.failures === b.count)).toBe(true);
    });

    it('rejects a bucket width under a second', async () => {
      await expectInvalid(store.histogram({ orgId: 'org_a', bucketMs: 0 }), 'bucketMs');
      await expectInvalid(store.histogram({ orgId: 'org_a', bucketMs: 1.5 }), 'bucketMs');
    });
  });
}
