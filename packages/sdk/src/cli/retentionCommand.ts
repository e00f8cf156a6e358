/** `activity retention run`: one retention run (archive, then purge) with policies given on the command line. */
import { createRetention, type RetentionPolicy, type RetentionReport } from '../server/retention.js';
import type { ActivityStore } from '../types.js';

const DAY_MS = 86_400_000;

/** Options of {@link runRetention}. */
export interface RetentionCommandOptions {
  store: ActivityStore;
  keepDays: number;
  /** Per-org days (`org_1=365`). */
  policies: Record<string, number>;
  legalHolds: string[];
  archive: boolean;
  dir: string;
  /** Count what a run would archive and purge; change nothing. */
  dryRun: boolean;
  now?: Date | undefined;
}

/** One org's line of a dry run. */
export interface DryRunLine {
  orgId: string;
  cutoff: string;
  keepDays: number;
  /** Entries older than the cutoff: what a real run would archive and purge. */
  wouldPurge: number;
  legalHold: boolean;
}

/**
 * Runs retention once, or with `dryRun` only counts per org what a run would purge.
 * @example await runRetention({ store, keepDays: 365, policies: {}, legalHolds: [], archive: true, dir: './archive', dryRun: true })
 */
export async function runRetention(
  options: RetentionCommandOptions,
): Promise<{ dryRun: true; orgs: DryRunLine[] } | { dryRun: false; report: RetentionReport }> {
  const now = options.now ?? new Date();
  const policies: Record<string, RetentionPolicy> = {};
  for (const [orgId, keepDays] of Object.entries(options.policies)) {
    policies[orgId] = { keepDays, archive: options.archive };
  }
  const retention = createRetention({
    store: options.store,
    dir: options.dir,
    defaultPolicy: { keepDays: options.keepDays, archive: options.archive },
    policies,
    legalHolds: options.legalHolds,
    now: () => now,
  });
  if (!options.dryRun) return { dryRun: false, report: await retention.run() };
  const orgs: DryRunLine[] = [];
  for (const orgId of await options.store.listOrgs()) {
    const { keepDays } = retention.policyFor(orgId);
    const cutoff = new Date(now.getTime() - keepDays * DAY_MS).toISOString();
    const legalHold = options.legalHolds.includes(orgId);
    const wouldPurge = legalHold ? 0 : (await options.store.facets({ orgId, to: cutoff })).total;
    orgs.push({ orgId, cutoff, keepDays, wouldPurge, legalHold });
  }
  return { dryRun: true, orgs };
}
