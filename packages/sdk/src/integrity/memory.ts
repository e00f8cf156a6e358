/**
 * Tamper evidence for any {@link ActivityStore} without tables of its own (the memory store): digests and
 * seal rows kept in memory beside it, entries read through the store's public API, one seal per org at
 * a time through a promise chain.
 */
import type { ActivityEntry, ActivityStore } from '../types.js';
import { compareIds } from './canonical.js';
import type { Digest, IntegrityStore, SealRow, StoredRow } from './types.js';

/** The store plus its integrity side. */
export type MemoryIntegrityStore = ActivityStore & IntegrityStore;

const PAGE = 1000;

async function allEntries(store: ActivityStore, orgId: string): Promise<ActivityEntry[]> {
  const out: ActivityEntry[] = [];
  let after: { occurredAt: string; id: string } | undefined;
  for (;;) {
    const page = await store.query({ orgId, limit: PAGE, after });
    out.push(...page.entries);
    if (!page.next) return out;
    after = page.next;
  }
}

const row = (e: ActivityEntry): StoredRow => ({ rowId: e.id, rowOrgId: e.orgId, entry: e });

/**
 * Adds sealing and verification to a store that has no integrity tables, keeping digests in memory (so
 * they last as long as the process: for tests, demos and the memory store).
 * @example const store = createMemoryIntegrityStore(createMemoryStore());
 */
export function createMemoryIntegrityStore(store: ActivityStore): MemoryIntegrityStore {
  const digests = new Map<string, Digest[]>();
  const seals = new Map<string, Map<string, SealRow>>();
  const locks = new Map<string, Promise<unknown>>();
  const sealsOfOrg = (orgId: string) => {
    let m = seals.get(orgId);
    if (!m) {
      m = new Map();
      seals.set(orgId, m);
    }
    return m;
  };
  const unsealed = async (orgId: string, limit: number, afterId: string | undefined) => {
    const sealed = sealsOfOrg(orgId);
    return (await allEntries(store, orgId))
      .filter((e) => e.status !== 'IN_PROGRESS' && !sealed.has(e.id))
      .filter((e) => afterId === undefined || compareIds(e.id, afterId) > 0)
      .sort((a, b) => compareIds(a.id, b.id))
      .slice(0, limit)
      .map(row);
  };

  const integrity: IntegrityStore = {
    sealBatch(orgId, options, build) {
      const run = (locks.get(orgId) ?? Promise.resolve()).then(async () => {
        const chain = digests.get(orgId) ?? [];
        const rows = await unsealed(orgId, options.limit, options.afterId);
        const made = build(chain[chain.length - 1], rows);
        if (!made) return undefined;
        digests.set(orgId, [...chain, made.digest]);
        const m = sealsOfOrg(orgId);
        for (const s of made.seals) m.set(s.id, s);
        return made.digest;
      });
      locks.set(
        orgId,
        run.catch(() => undefined),
      );
      return run;
    },
    async listDigests(orgId, range) {
      return (digests.get(orgId) ?? []).filter(
        (d) => d.sequence >= (range?.from ?? 0) && d.sequence <= (range?.to ?? Number.MAX_SAFE_INTEGER),
      );
    },
    async sealsOf(orgId, sequence) {
      return [...sealsOfOrg(orgId).values()]
        .filter((s) => s.sequence === sequence)
        .sort((a, b) => compareIds(a.id, b.id));
    },
    async sealOf(orgId, id) {
      return sealsOfOrg(orgId).get(id);
    },
    async orphanSeals(orgId, lastSequence) {
      return [...sealsOfOrg(orgId).values()].filter((s) => s.sequence > lastSequence);
    },
    async rowsByIds(ids) {
      const out: StoredRow[] = [];
      for (const orgId of await store.listOrgs()) {
        for (const id of ids) {
          const e = await store.get(orgId, id);
          if (e) out.push(row(e));
        }
      }
      return out;
    },
    unsealedRows: (orgId, options) => unsealed(orgId, options.limit, options.afterId),
  };

  return { ...store, ...integrity };
}
