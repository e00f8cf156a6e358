/**
 * Retention's purge on a store with monthly partitions (PostgreSQL): after every org is archived, whole
 * months older than every archived org's cutoff, holding only those orgs' entries, are dropped at once;
 * what is left before each org's cutoff is deleted per org as before.
 */
import type { ActivityStore } from '../types.js';
import type { OrgRetentionReport } from './retention.js';

/** The optional capability of a store with monthly partitions. */
export interface PartitionDropStore extends ActivityStore {
  dropPartitionsBefore(
    before: string,
    options: { orgs: string[] },
  ): Promise<{ byOrg: Record<string, number> }>;
}

/** True when the store can drop whole months. */
export function canDropPartitions(store: ActivityStore): store is PartitionDropStore {
  return typeof (store as Partial<PartitionDropStore>).dropPartitionsBefore === 'function';
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Purges the archived orgs of `reports` (not skipped, no error), filling in `purged` or `error`.
 * `archives(orgId)` says whether the org's policy archives, so its count is re-checked first.
 */
export async function purgeByPartitions(
  store: PartitionDropStore,
  reports: OrgRetentionReport[],
  archives: (orgId: string) => boolean,
): Promise<void> {
  const ready: OrgRetentionReport[] = [];
  for (const r of reports) {
    if (r.skipped || r.error !== undefined) continue;
    try {
      // An entry backdated past the cutoff since it was archived would go without a copy: re-count.
      if (archives(r.orgId)) {
        const remaining = (await store.facets({ orgId: r.orgId, to: r.cutoff })).total;
        if (remaining !== r.archived) {
          r.error = `entries before the cutoff changed while archiving (${r.archived} archived, ${remaining} now); nothing purged, the next run retries`;
          continue;
        }
      }
      ready.push(r);
    } catch (error) {
      r.error = message(error);
    }
  }
  if (ready.length === 0) return;
  // Cutoffs are ISO strings of one format: the earliest is the smallest epoch.
  const bound = new Date(Math.min(...ready.map((r) => Date.parse(r.cutoff)))).toISOString();
  let dropped: Record<string, number> = {};
  try {
    dropped = (await store.dropPartitionsBefore(bound, { orgs: ready.map((r) => r.orgId) })).byOrg;
  } catch {
    // The drop is one transaction: nothing went, and the per-org deletes below do all the work.
  }
  for (const r of ready) {
    r.purged = dropped[r.orgId] ?? 0;
    try {
      r.purged += await store.deleteBefore(r.cutoff, r.orgId);
    } catch (error) {
      r.error = message(error);
    }
  }
}
