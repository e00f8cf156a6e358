/**
 * One org's retention step: entries before the policy's cutoff are archived and verified, re-counted so
 * nothing backdated meanwhile is purged without a copy, then purged (unless the run purges by months
 * afterwards). A legal hold skips the org; any failure is reported in the org's report, never thrown.
 */
import { ActivityError } from '../errors.js';
import type { ActivityStore } from '../types.js';
import type { ArchiveSink } from './archiveSink.js';
import { archiveOrgEntries } from './archiveWriter.js';
import type { OrgRetentionReport, RetentionPolicy } from './retention.js';

const DAY_MS = 86_400_000;

/** What {@link retainOrg} reads. */
export interface RetainOrgDeps {
  store: ActivityStore;
  sink: ArchiveSink;
  /** Orgs on legal hold. */
  holds: ReadonlySet<string>;
}

/** Archives then (when `purge`) purges one org's entries older than its policy, as of `at`. */
export async function retainOrg(
  deps: RetainOrgDeps,
  orgId: string,
  policy: Required<RetentionPolicy>,
  at: Date,
  runId: string,
  purge: boolean,
): Promise<OrgRetentionReport> {
  const { store, sink } = deps;
  const cutoff = new Date(at.getTime() - policy.keepDays * DAY_MS).toISOString();
  const report: OrgRetentionReport = {
    orgId,
    cutoff,
    keepDays: policy.keepDays,
    archived: 0,
    purged: 0,
    skipped: false,
  };
  if (deps.holds.has(orgId)) return { ...report, skipped: true };
  try {
    if (policy.archive) {
      // Nothing below purges unless every object was read back intact and the org prefix lists it.
      await archiveOrgEntries({
        store,
        sink,
        orgId,
        cutoff,
        runId,
        onVerified: (n) => {
          report.archived = n;
        },
      });
      // An entry backdated past the cutoff while we archived would be purged without a copy: re-count first.
      const remaining = (await store.facets({ orgId, to: cutoff })).total;
      if (remaining !== report.archived) {
        throw new ActivityError(
          'CONFLICT',
          `entries before the cutoff changed while archiving (${report.archived} archived, ${remaining} now); nothing purged, the next run retries`,
        );
      }
    }
    if (purge) report.purged = await store.deleteBefore(cutoff, orgId);
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  }
  return report;
}
