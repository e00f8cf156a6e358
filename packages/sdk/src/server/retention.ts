/**
 * Retention: archive entries older than each org's policy to compressed NDJSON, then purge them.
 * Legal holds never purge. Every run and every policy change is recorded in the log itself.
 */
import { join } from 'node:path';
import type { ActivityRecorder } from '../core/api.js';
import { ActivityError } from '../errors.js';
import type { ActivityStore, Actor } from '../types.js';
import { newArchiveRunId } from './archiveLayout.js';
import type { ArchiveSink } from './archiveSink.js';
import { createFolderArchiveSink } from './folderArchiveSink.js';
import { retainOrg } from './retentionOrg.js';
import { canDropPartitions, purgeByPartitions } from './retentionPartitions.js';
import { type RetentionScheduleOptions, scheduleRetention } from './retentionSchedule.js';

export { msUntilUtcHour, type RetentionScheduleOptions } from './retentionSchedule.js';

/** How long one org's entries are kept. */
export interface RetentionPolicy {
  /** Entries older than this many days are archived, then purged. @default 730 (2 years) */
  keepDays: number;
  /** Archive before purging. `false` purges without a copy. @default true */
  archive?: boolean | undefined;
}

/** Outcome of one retention run for one org. */
export interface OrgRetentionReport {
  orgId: string;
  /** ISO cutoff: entries that occurred before it were archived and purged. */
  cutoff: string;
  keepDays: number;
  /** Entries written to the archive and verified by reading them back, also when a later step failed. */
  archived: number;
  /** Entries deleted from the store (0 unless every archived object was verified). */
  purged: number;
  /** True when the org is on legal hold: nothing was archived or purged. */
  skipped: boolean;
  /** Why the org failed (nothing purged). */
  error?: string | undefined;
}

/** Outcome of one retention run. */
export interface RetentionReport {
  startedAt: string;
  finishedAt: string;
  orgs: OrgRetentionReport[];
  /** Sums over every org. */
  archived: number;
  purged: number;
}

/** Options of {@link createRetention}. */
export interface RetentionOptions {
  store: ActivityStore;
  /** Records runs, policy changes and legal holds. Without it nothing is recorded. */
  activity?: ActivityRecorder | undefined;
  /** Where archives go. @default createFolderArchiveSink(dir) */
  sink?: ArchiveSink | undefined;
  /** Archive folder when no sink is given. @default './activity-archive' */
  dir?: string | undefined;
  /** Policy of orgs without their own. @default { keepDays: 730, archive: true } */
  defaultPolicy?: RetentionPolicy | undefined;
  /** Per-org policies. */
  policies?: Record<string, RetentionPolicy> | undefined;
  /** Orgs on legal hold (never purged). */
  legalHolds?: string[] | undefined;
  /** Clock, for tests. @default () => new Date() */
  now?: (() => Date) | undefined;
}

/** The retention service. */
export interface Retention {
  /** Archives and purges every org by its policy; per-org failures are reported, not thrown. */
  run(): Promise<RetentionReport>;
  /** Sets an org's policy; recorded as SYSTEM_EVENT `retention.policy_changed`. */
  setPolicy(orgId: string, policy: RetentionPolicy, actor?: Actor): void;
  /** Puts an org on legal hold or releases it; recorded as SYSTEM_EVENT `retention.legal_hold_changed`. */
  setLegalHold(orgId: string, on: boolean, actor?: Actor): void;
  /** The policy in force for an org. */
  policyFor(orgId: string): Required<RetentionPolicy>;
  /** Runs daily (or every `intervalMs`) on an unref'd timer; returns a function that stops it. */
  schedule(options?: RetentionScheduleOptions): () => void;
}

/** Actor of retention's own entries. */
export const RETENTION_ACTOR: Actor = { kind: 'system', id: 'system', name: 'Retention' };

function checkPolicy(policy: RetentionPolicy, field: string): Required<RetentionPolicy> {
  if (!policy || !Number.isInteger(policy.keepDays) || policy.keepDays < 1 || policy.keepDays > 36_500) {
    throw new ActivityError('CONFIG', `${field}.keepDays: must be an integer from 1 to 36500`, {
      field: `${field}.keepDays`,
    });
  }
  if (policy.archive !== undefined && typeof policy.archive !== 'boolean') {
    throw new ActivityError('CONFIG', `${field}.archive: must be a boolean`, { field: `${field}.archive` });
  }
  return { keepDays: policy.keepDays, archive: policy.archive ?? true };
}

function checkOrg(orgId: string): void {
  if (typeof orgId !== 'string' || orgId === '') {
    throw new ActivityError('CONFIG', 'orgId: must be a non-empty string', { field: 'orgId' });
  }
}

/** Records one org's outcome of a run as SYSTEM_EVENT `retention.run`. */
function recordRun(activity: ActivityRecorder | undefined, r: OrgRetentionReport, archive: boolean): void {
  activity?.record({
    type: 'SYSTEM_EVENT',
    action: 'retention.run',
    orgId: r.orgId,
    actor: RETENTION_ACTOR,
    status: r.error ? 'FAILED' : 'SUCCESS',
    summary: r.skipped
      ? 'Retention skipped: legal hold'
      : r.error
        ? `Retention failed after archiving ${r.archived} entries older than ${r.keepDays} days: nothing purged`
        : `Retention archived ${r.archived} and purged ${r.purged} entries older than ${r.keepDays} days`,
    metadata: {
      cutoff: r.cutoff,
      keepDays: r.keepDays,
      archive,
      archived: r.archived,
      purged: r.purged,
      legalHold: r.skipped,
    },
    error: r.error === undefined ? undefined : new Error(r.error),
  });
}

/**
 * Creates the retention service.
 * @example createRetention({ store, activity, policies: { org_eu: { keepDays: 365 } } }).schedule();
 */
export function createRetention(opts: RetentionOptions): Retention {
  if (!opts?.store) throw new ActivityError('CONFIG', 'store: required', { field: 'store' });
  const { store, activity } = opts;
  const sink = opts.sink ?? createFolderArchiveSink(opts.dir ?? join(process.cwd(), 'activity-archive'));
  const now = opts.now ?? (() => new Date());
  const defaultPolicy = checkPolicy(opts.defaultPolicy ?? { keepDays: 730 }, 'defaultPolicy');
  const policies = new Map<string, Required<RetentionPolicy>>();
  for (const [orgId, policy] of Object.entries(opts.policies ?? {})) {
    policies.set(orgId, checkPolicy(policy, `policies.${orgId}`));
  }
  const holds = new Set(opts.legalHolds ?? []);
  let running: Promise<RetentionReport> | undefined;

  const policyFor = (orgId: string) => policies.get(orgId) ?? defaultPolicy;
  const orgDeps = { store, sink, holds };

  async function runAll(): Promise<RetentionReport> {
    const started = now();
    const runId = newArchiveRunId(started);
    const orgs: OrgRetentionReport[] = [];
    // A store with monthly partitions purges after every org is archived, so whole months can go at once.
    const byMonths = canDropPartitions(store);
    for (const orgId of await store.listOrgs()) {
      orgs.push(await retainOrg(orgDeps, orgId, policyFor(orgId), started, runId, !byMonths));
    }
    if (byMonths) await purgeByPartitions(store, orgs, (orgId) => policyFor(orgId).archive);
    for (const r of orgs) recordRun(activity, r, policyFor(r.orgId).archive);
    return {
      startedAt: started.toISOString(),
      finishedAt: now().toISOString(),
      orgs,
      archived: orgs.reduce((n, o) => n + o.archived, 0),
      purged: orgs.reduce((n, o) => n + o.purged, 0),
    };
  }

  function run(): Promise<RetentionReport> {
    // Overlapping runs would archive the same entries twice; join the one in flight instead.
    running ??= runAll().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    run,

    policyFor,

    setPolicy(orgId, policy, actor = RETENTION_ACTOR) {
      checkOrg(orgId);
      const next = checkPolicy(policy, 'policy');
      const previous = policyFor(orgId);
      policies.set(orgId, next);
      activity?.record({
        type: 'SYSTEM_EVENT',
        action: 'retention.policy_changed',
        orgId,
        actor,
        summary: `Retention set to ${next.keepDays} days${next.archive ? ' (archived)' : ' (no archive)'}`,
        before: previous,
        after: next,
        metadata: { previous, policy: next },
      });
    },

    setLegalHold(orgId, on, actor = RETENTION_ACTOR) {
      checkOrg(orgId);
      if (typeof on !== 'boolean')
        throw new ActivityError('CONFIG', 'on: must be a boolean', { field: 'on' });
      const was = holds.has(orgId);
      if (on) holds.add(orgId);
      else holds.delete(orgId);
      activity?.record({
        type: 'SYSTEM_EVENT',
        action: 'retention.legal_hold_changed',
        orgId,
        actor,
        summary: on ? 'Legal hold placed: nothing is purged' : 'Legal hold released',
        metadata: { legalHold: on, previous: was },
      });
    },

    schedule(options = {}) {
      // Each tick also ends zombie job runs (their process died), so a deployment without a long-lived
      // recorder still finalises them; the sweep never rejects.
      return scheduleRetention({ run, now, sweep: async () => activity?.sweepAbandonedRuns?.() }, options);
    },
  };
}

// Re-exported so `@activity/sdk/server` (which re-exports this module) offers the archive API too.
export * from './archive.js';
