/**
 * The store contract's keyset paging group: newest first by (occurredAt, id), every entry exactly once
 * across pages (also while entries are appended), and page-size limits enforced.
 */
import type { ActivityEntry, ActivityStore, StoreQuery } from '../types.js';
import { BASE, collect, entry, expectInvalid, ids, runner } from './contractKit.js';
import { compareNewestFirst, MAX_PAGE_SIZE } from './memoryStore.js';

/** Registers "keyset paging": no gap or duplicate with equal times or appends between pages, deleted cursors, default and limit bounds. */
export function keysetPagingContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('keyset paging', () => {
    let store: ActivityStore;
    beforeEach(() => {
      store = current();
    });

    it('pages 500 entries with equal timestamps by id with no gap or duplicate', async () => {
      const batch = Array.from({ length: 500 }, () => entry());
      await store.append(batch);
      const got = await collect(store, { orgId: 'org_a' }, 37);
      expect(got.length).toBe(500);
      expect(new Set(ids(got)).size).toBe(500);
      expect(ids(got)).toEqual(ids(batch).sort().reverse());
    });

    it('stays stable while newer entries are appended between pages (fault 13: groups of equal times split across pages)', async () => {
      // Groups of 7 equal timestamps with pages of 45: most page boundaries fall inside a group, where
      // only the id breaks the tie.
      const batch = Array.from({ length: 500 }, (_, i) => entry({ at: BASE - Math.floor(i / 7) * 1000 }));
      await store.append(batch);
      const seen: ActivityEntry[] = [];
      let after: StoreQuery['after'];
      let later = BASE;
      let splits = 0;
      for (;;) {
        const page = await store.query({ orgId: 'org_a', limit: 45, after });
        const first = page.entries[0];
        const last = seen[seen.length - 1];
        if (first && last && first.occurredAt === last.occurredAt) splits++;
        seen.push(...page.entries);
        // New activity arrives while the user scrolls, newer and at the cursor's own time: it must not
        // shift the pages already cursored.
        later += 1000;
        const cursorTime = page.next ? Date.parse(page.next.occurredAt) : BASE;
        await store.append([
          entry({ at: later }),
          entry({ at: later }),
          entry({ at: cursorTime, id: `zzzz_${later}` }),
        ]);
        if (!page.next) break;
        after = page.next;
      }
      expect(splits).toBeGreaterThan(5);
      expect(new Set(ids(seen)).size).toBe(seen.length);
      expect(ids(seen)).toEqual(ids([...batch].sort(compareNewestFirst)));
    });

    it('returns no next on the last page and honours limit', async () => {
      await store.append(Array.from({ length: 10 }, (_, i) => entry({ at: BASE - i })));
      const first = await store.query({ orgId: 'org_a', limit: 4 });
      expect(first.entries.length).toBe(4);
      expect(first.next).toEqual({ occurredAt: first.entries[3]?.occurredAt, id: first.entries[3]?.id });
      const all = await store.query({ orgId: 'org_a', limit: 10 });
      expect(all.entries.length).toBe(10);
      expect(all.next).toBeUndefined();
      const one = await store.query({ orgId: 'org_a', limit: 1 });
      expect(one.entries.length).toBe(1);
      expect((await store.query({ orgId: 'org_a' })).entries.length).toBe(10);
    });

    it('continues from a cursor whose entry was deleted', async () => {
      const batch = Array.from({ length: 6 }, (_, i) => entry({ at: BASE - i * 1000 }));
      await store.append(batch);
      const cursor = { occurredAt: batch[2]?.occurredAt ?? '', id: batch[2]?.id ?? '' };
      await store.deleteBefore(new Date(BASE - 1500).toISOString());
      await store.append([entry({ at: BASE - 2000 - 1 })]);
      const page = await store.query({ orgId: 'org_a', after: cursor });
      expect(page.entries.map((e) => e.occurredAt)).toEqual([new Date(BASE - 2001).toISOString()]);
    });

    it('defaults to 50 entries a page', async () => {
      await store.append(Array.from({ length: 60 }, (_, i) => entry({ at: BASE - i })));
      const page = await store.query({ orgId: 'org_a' });
      expect(page.entries.length).toBe(50);
      expect(page.next).toBeDefined();
    });

    it('rejects limits outside 1..MAX_PAGE_SIZE with INVALID_FILTER on limit', async () => {
      for (const limit of [0, -1, 1.5, MAX_PAGE_SIZE + 1, Number.NaN]) {
        await expectInvalid(store.query({ orgId: 'org_a', limit }), 'limit');
      }
      await expect(store.query({ orgId: 'org_a', limit: MAX_PAGE_SIZE })).resolves.toEqual({ entries: [] });
    });
  });
}
