/**
 * The store contract's selection groups: nothing crosses orgs (tenant isolation), every filter axis and
 * combination selects exactly what the reference does (filters), and free text matches case-insensitively.
 */
import type { ActivityStore, StoreQuery } from '../types.js';
import { BASE, collect, entry, ids, runner } from './contractKit.js';
import { generateActivity } from './fixtures.js';
import { compareNewestFirst, matchesFilter } from './memoryStore.js';

/** Registers "tenant isolation": query, facets, histogram, get, deleteBefore and correlation ids stay within one org. */
export function tenantIsolationContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('tenant isolation', () => {
    let store: ActivityStore;
    beforeEach(() => {
      store = current();
    });

    it('scopes query, facets, histogram, get and deleteBefore to one org', async () => {
      const a = Array.from({ length: 5 }, (_, i) => entry({ orgId: 'org_a', at: BASE - i * 60_000 }));
      const b = Array.from({ length: 3 }, (_, i) => entry({ orgId: 'org_b', at: BASE - i * 60_000 }));
      await store.append([...a, ...b]);
      expect((await collect(store, { orgId: 'org_a' })).map((e) => e.orgId)).toEqual(Array(5).fill('org_a'));
      expect(ids(await collect(store, { orgId: 'org_b' })).sort()).toEqual(ids(b).sort());
      expect((await store.query({ orgId: 'org_c' })).entries).toEqual([]);
      expect((await store.facets({ orgId: 'org_b' })).total).toBe(3);
      expect((await store.facets({ orgId: 'org_c' })).total).toBe(0);
      const hist = await store.histogram({ orgId: 'org_b', bucketMs: 86_400_000 });
      expect(hist.reduce((n, h) => n + h.count, 0)).toBe(3);
      expect(await store.get('org_b', a[0]?.id ?? '')).toBeUndefined();
      expect(await store.deleteBefore(new Date(BASE + 1).toISOString(), 'org_b')).toBe(3);
      expect((await store.facets({ orgId: 'org_a' })).total).toBe(5);
      expect(await store.listOrgs()).toEqual(['org_a']);
    });

    it('filters by correlation id without leaking across orgs', async () => {
      await store.append([
        entry({ orgId: 'org_a', correlationId: 'corr_shared' }),
        entry({ orgId: 'org_b', correlationId: 'corr_shared' }),
      ]);
      const page = await store.query({ orgId: 'org_a', correlationId: 'corr_shared' });
      expect(page.entries.map((e) => e.orgId)).toEqual(['org_a']);
    });
  });
}

/** Registers "filters": each axis and combination selects exactly what the reference filter does; empty arrays, range bounds and order. */
export function filtersContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('filters', () => {
    let store: ActivityStore;
    const now = new Date(BASE);
    const data = generateActivity({ count: 400, orgIds: ['org_a', 'org_b'], seed: 7, now, spanDays: 10 });
    const orgA = data.filter((e) => e.orgId === 'org_a');
    const pick = <T>(values: (T | undefined)[]): T => {
      // The most frequent value, so every single-axis case selects a non-trivial subset.
      const counts = new Map<T, number>();
      for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
      const best = [...counts].sort((x, y) => y[1] - x[1])[0];
      if (!best) throw new Error('fixture has no value for a filter axis');
      return best[0];
    };
    const userId = pick(orgA.filter((e) => e.actor.kind === 'user').map((e) => e.actor.id));
    const entityId = pick(orgA.map((e) => e.entity?.id));
    const correlationId = pick(orgA.map((e) => e.correlationId));
    const from = new Date(BASE - 6 * 86_400_000).toISOString();
    const to = new Date(BASE - 2 * 86_400_000).toISOString();
    const cases: [string, Omit<StoreQuery, 'orgId'>][] = [
      ['one type', { types: ['BACKGROUND_JOB'] }],
      ['two types', { types: ['WEBHOOK', 'SYSTEM_EVENT'] }],
      ['one status', { statuses: ['FAILED'] }],
      ['failures preset', { statuses: ['FAILED', 'WARNING'] }],
      ['one actor', { actorIds: [userId] }],
      ['two actors', { actorIds: [userId, 'stripe'] }],
      ['one entity type', { entityTypes: ['contact'] }],
      ['two entity types', { entityTypes: ['release', 'product'] }],
      ['entity id', { entityId }],
      ['from', { from }],
      ['to', { to }],
      ['from and to', { from, to }],
      ['correlation id', { correlationId }],
      ['q on action', { q: 'PAYMENT_INTENT' }],
      ['q on entity label', { q: 'spring 2026' }],
      ['q on actor name', { q: 'riley' }],
      ['types + statuses', { types: ['BACKGROUND_JOB'], statuses: ['FAILED', 'WARNING'] }],
      ['actor + entity type + range', { actorIds: [userId], entityTypes: ['contact'], from }],
      [
        'all five axes',
        {
          types: ['USER_ACTION'],
          statuses: ['SUCCESS'],
          actorIds: [userId],
          entityTypes: ['contact'],
          from,
          to,
        },
      ],
      [
        'everything + q',
        { types: ['USER_ACTION', 'WEBHOOK'], statuses: ['SUCCESS', 'WARNING'], q: 'a', from },
      ],
    ];

    beforeEach(async () => {
      store = current();
      // Several batches, as the pipeline writes them.
      for (let i = 0; i < data.length; i += 97) await store.append(data.slice(i, i + 97));
    });

    it.each(cases)('filters by %s exactly like the reference', async (_label, filter) => {
      const query: StoreQuery = { orgId: 'org_a', ...filter };
      const expected = orgA.filter((e) => matchesFilter(e, query)).sort(compareNewestFirst);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(orgA.length);
      const got = await collect(store, query, 40);
      expect(ids(got)).toEqual(ids(expected));
      expect((await store.facets(query)).total).toBe(expected.length);
    });

    it('treats empty multi-value arrays as no filter', async () => {
      const got = await collect(store, {
        orgId: 'org_a',
        types: [],
        statuses: [],
        actorIds: [],
        entityTypes: [],
      });
      expect(got.length).toBe(orgA.length);
    });

    it('keeps from inclusive and to exclusive', async () => {
      const at = Date.parse('2026-03-15T08:00:00.000Z');
      const edge = [
        entry({ orgId: 'edge', at: at - 1 }),
        entry({ orgId: 'edge', at }),
        entry({ orgId: 'edge', at: at + 1 }),
      ];
      await store.append(edge);
      const iso = new Date(at).toISOString();
      expect(ids(await collect(store, { orgId: 'edge', from: iso }))).toEqual([edge[2]?.id, edge[1]?.id]);
      expect(ids(await collect(store, { orgId: 'edge', to: iso }))).toEqual([edge[0]?.id]);
    });

    it('returns the newest entries first', async () => {
      const got = await collect(store, { orgId: 'org_a' }, 50);
      expect(ids(got)).toEqual(ids([...orgA].sort(compareNewestFirst)));
    });
  });
}

/** Registers "free text": `q` matches action, entity label, actor name and summary case-insensitively, LIKE wildcards literally. */
export function freeTextContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('free text', () => {
    let store: ActivityStore;
    beforeEach(() => {
      store = current();
    });

    it('matches action, entity label, actor name and summary case-insensitively', async () => {
      const e1 = entry({ action: 'contact.tags_added' });
      const e2 = entry({ action: 'x', entity: { type: 'contact', id: 'c2', label: 'Zoë Müller' } });
      const e3 = entry({
        action: 'x',
        entity: undefined,
        actor: { kind: 'user', id: 'u9', name: 'Jordan Lee' },
      });
      const e4 = entry({
        action: 'x',
        entity: undefined,
        actor: { kind: 'user', id: 'u9' },
        summary: 'Promoted to PENDING 🍷',
      });
      const e5 = entry({
        action: 'x',
        entity: undefined,
        actor: { kind: 'user', id: 'u9' },
        metadata: { note: 'tags_added' },
      });
      await store.append([e1, e2, e3, e4, e5]);
      const q = async (text: string) => ids(await collect(store, { orgId: 'org_a', q: text })).sort();
      expect(await q('TAGS_ADDED')).toEqual([e1.id]);
      expect(await q('zoë mü')).toEqual([e2.id]);
      expect(await q('jordan')).toEqual([e3.id]);
      expect(await q('pending 🍷')).toEqual([e4.id]);
      expect(await q('no such text')).toEqual([]);
    });

    it('treats LIKE wildcards and escapes literally', async () => {
      const pct = entry({ summary: 'Discount 50% off' });
      const plain = entry({ summary: 'Discount 500 off' });
      const under = entry({ action: 'stock_adjusted' });
      const noUnder = entry({ action: 'stockXadjusted' });
      const slash = entry({ summary: 'path C:\\wine\\reds' });
      await store.append([pct, plain, under, noUnder, slash]);
      const q = async (text: string) => ids(await collect(store, { orgId: 'org_a', q: text })).sort();
      expect(await q('50%')).toEqual([pct.id]);
      expect(await q('%')).toEqual([pct.id]);
      expect(await q('stock_adj')).toEqual([under.id]);
      expect(await q('\\wine')).toEqual([slash.id]);
      expect(await q("'; DROP TABLE x; --")).toEqual([]);
    });
  });
}
