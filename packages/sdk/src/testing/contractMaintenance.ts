/**
 * The store contract's maintenance groups: deleting entries before a cutoff (one org or all), listing
 * orgs, and making appended entries visible after `flush`.
 */
import type { ActivityStore } from '../types.js';
import { BASE, collect, entry, ids, runner } from './contractKit.js';

/** Registers "deleteBefore and listOrgs": strictly older entries of one org or of all, and each org listed once, sorted. */
export function deleteBeforeContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('deleteBefore and listOrgs', () => {
    let store: ActivityStore;
    beforeEach(() => {
      store = current();
    });

    it('deletes strictly older entries of one org', async () => {
      const cut = BASE - 10_000;
      const a = [entry({ at: cut - 1 }), entry({ at: cut }), entry({ at: cut + 1 })];
      const b = [entry({ orgId: 'org_b', at: cut - 1 })];
      await store.append([...a, ...b]);
      expect(await store.deleteBefore(new Date(cut).toISOString(), 'org_a')).toBe(1);
      expect(ids(await collect(store, { orgId: 'org_a' }))).toEqual([a[2]?.id, a[1]?.id]);
      expect(await store.get('org_b', b[0]?.id ?? '')).toBeDefined();
      expect(await store.deleteBefore(new Date(cut).toISOString(), 'org_a')).toBe(0);
    });

    it('deletes across all orgs when no org is given', async () => {
      await store.append([
        entry({ orgId: 'org_a', at: BASE - 5000 }),
        entry({ orgId: 'org_b', at: BASE - 5000 }),
        entry({ orgId: 'org_c', at: BASE }),
      ]);
      expect(await store.listOrgs()).toEqual(['org_a', 'org_b', 'org_c']);
      expect(await store.deleteBefore(new Date(BASE - 1000).toISOString())).toBe(2);
      expect(await store.listOrgs()).toEqual(['org_c']);
    });

    it('lists each org once, sorted', async () => {
      expect(await store.listOrgs()).toEqual([]);
      await store.append([entry({ orgId: 'org_z' }), entry({ orgId: 'org_m' }), entry({ orgId: 'org_z' })]);
      expect(await store.listOrgs()).toEqual(['org_m', 'org_z']);
    });
  });
}

/** Registers "lifecycle": appended entries are visible after `flush` (when the store has one). */
export function lifecycleContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('lifecycle', () => {
    let store: ActivityStore;
    beforeEach(() => {
      store = current();
    });

    it('makes appended entries visible after flush (when supported)', async () => {
      await store.append([entry()]);
      await store.flush?.();
      expect((await store.facets({ orgId: 'org_a' })).total).toBe(1);
    });
  });
}
