/**
 * The store contract's date group (fault 4): instants at the edges of the supported range are stored,
 * ordered and filtered exactly; anything outside it is refused with a field-named error.
 */
import { MAX_INSTANT, MAX_INSTANT_MS, MIN_INSTANT, MIN_INSTANT_MS } from '../core/isoDate.js';
import type { ActivityStore, StoreQuery } from '../types.js';
import { collect, entry, expectInvalid, ids, runner } from './contractKit.js';
import { compareNewestFirst } from './memoryStore.js';

/** Registers "dates (fault 4)": the ends of the instant range and times before 1970 stored, ordered, filtered and bucketed; bounds outside refused. */
export function datesContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('dates (fault 4)', () => {
    let store: ActivityStore;
    beforeEach(() => {
      store = current();
    });

    const edges = () => [
      entry({ at: MIN_INSTANT_MS }),
      entry({ at: MIN_INSTANT_MS }),
      entry({ at: -86_400_001 }),
      entry({ at: -1 }),
      entry({ at: 0 }),
      entry({ at: MAX_INSTANT_MS }),
      entry({ at: MAX_INSTANT_MS }),
    ];

    it('stores, orders, filters and pages the ends of the range and times before 1970', async () => {
      const data = edges();
      await store.append(data);
      for (const e of data) expect(await store.get('org_a', e.id)).toEqual(e);
      const newest = [...data].sort(compareNewestFirst);
      expect(ids(await collect(store, { orgId: 'org_a' }, 2))).toEqual(ids(newest));
      const before1970 = { orgId: 'org_a', to: '1970-01-01T00:00:00.000Z' };
      expect(ids(await collect(store, before1970, 1))).toEqual(ids(newest.slice(3)));
      const fromMinus1 = { orgId: 'org_a', from: '1969-12-31T23:59:59.999Z' };
      expect(ids(await collect(store, fromMinus1, 1))).toEqual(ids(newest.slice(0, 4)));
      expect(ids(await collect(store, { orgId: 'org_a', from: MAX_INSTANT }))).toEqual(
        ids(newest.slice(0, 2)),
      );
      expect(ids(await collect(store, { orgId: 'org_a', to: '0001-01-01T00:00:00.001Z' }))).toEqual(
        ids(newest.slice(5)),
      );
      expect((await store.facets({ orgId: 'org_a', from: MIN_INSTANT })).total).toBe(7);
      expect(await store.deleteBefore('1970-01-01T00:00:00.000Z', 'org_a')).toBe(4);
      expect(ids(await collect(store, { orgId: 'org_a' }))).toEqual(ids(newest.slice(0, 3)));
    });

    it('fault 4: floors histogram buckets before 1970 (no entry counted in the next bucket)', async () => {
      await store.append(edges());
      const day = 86_400_000;
      const daily = await store.histogram({
        orgId: 'org_a',
        bucketMs: day,
        from: '1969-01-01',
        to: '1971-01-01',
      });
      expect(daily).toEqual([
        { start: '1969-12-30T00:00:00.000Z', count: 1, failures: 0 },
        { start: '1969-12-31T00:00:00.000Z', count: 1, failures: 0 },
        { start: '1970-01-01T00:00:00.000Z', count: 1, failures: 0 },
      ]);
      const month = 2_592_000_000;
      const all = await store.histogram({ orgId: 'org_a', bucketMs: month });
      const floor = (ms: number) => new Date(Math.floor(ms / month) * month).toISOString();
      expect(all.map((b) => [b.start, b.count])).toEqual([
        [floor(MIN_INSTANT_MS), 2],
        [floor(-86_400_001), 2],
        [floor(0), 1],
        [floor(MAX_INSTANT_MS), 2],
      ]);
    });

    it('fault 4: refuses bounds outside the range and impossible dates with INVALID_FILTER naming the field', async () => {
      await store.append(edges());
      const calls = (query: StoreQuery) => [
        store.query(query),
        store.facets(query),
        store.histogram({ ...query, bucketMs: 86_400_000 }),
      ];
      for (const [field, query] of [
        ['from', { orgId: 'org_a', from: '0000-01-01T00:00:00Z' }],
        ['to', { orgId: 'org_a', to: '9999-12-31T23:00:00-05:00' }],
        ['from', { orgId: 'org_a', from: '2025-02-30T00:00:00Z' }],
        ['to', { orgId: 'org_a', to: '2024-01-01 junk' }],
      ] as const) {
        for (const call of calls(query)) await expectInvalid(call, field);
      }
      await expectInvalid(
        store.query({ orgId: 'org_a', after: { occurredAt: '0000-06-01T00:00:00.000Z', id: 'x' } }),
        'after.occurredAt',
      );
    });
  });
}
