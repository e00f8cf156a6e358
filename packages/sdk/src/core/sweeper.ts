/**
 * The sweeper: finds job runs whose lease expired (their process died) and finalises each once as
 * FAILED with error code `ABANDONED`; the store's IN_PROGRESS guard makes the transition happen once,
 * whichever process sweeps.
 */
import type { ActivityEntry, ActivityStore, JobUpdate } from '../types.js';

/** Error code stored on a job run that the sweeper finalised because its process stopped. */
export const ABANDONED = 'ABANDONED';
/** Lease assumed for runs stored without one (written before leases existed). */
const LEGACY_LEASE_MS = 24 * 60 * 60 * 1000;

/** How the sweeper reaches the store: each call under the write deadline. */
export type StoreCaller = <T>(call: () => Promise<T>, what: string) => Promise<T>;

/** When a stored IN_PROGRESS run counts as abandoned: its lease's end, or the legacy grace. */
export function leaseEnd(entry: ActivityEntry): number {
  const lease = Date.parse(entry.leaseExpiresAt ?? '');
  if (Number.isFinite(lease)) return lease;
  const seen = Date.parse(entry.heartbeatAt ?? entry.recordedAt);
  return (Number.isFinite(seen) ? seen : 0) + LEGACY_LEASE_MS;
}

/** The final transition of an abandoned run: FAILED, saying when it was last seen alive. */
export function abandonedUpdate(entry: ActivityEntry, now: number): JobUpdate {
  const lastSeen = entry.heartbeatAt ?? entry.recordedAt;
  const started = Date.parse(entry.occurredAt);
  return {
    status: 'FAILED',
    error: {
      name: 'JobAbandoned',
      code: ABANDONED,
      message: `No heartbeat since ${lastSeen}: the process running this job stopped (crash, deploy or kill) before it finished.`,
    },
    completedAt: new Date(now).toISOString(),
    durationMs: Math.max(0, (Date.parse(lastSeen) || now) - (Number.isFinite(started) ? started : now)),
  };
}

/** What a sweep finalised so far (kept when a later store call fails). */
export interface SweepTally {
  swept: number;
}

/** Finalises the expired runs of one org, except `live` ones (this process runs them). */
export async function sweepOrg(
  store: Pick<ActivityStore, 'query' | 'updateJob'>,
  call: StoreCaller,
  orgId: string,
  now: number,
  live: ReadonlySet<string>,
  tally: SweepTally,
): Promise<void> {
  let after: { occurredAt: string; id: string } | undefined;
  do {
    const page = await call(
      () =>
        store.query({
          orgId,
          range: 'all',
          types: ['BACKGROUND_JOB'],
          statuses: ['IN_PROGRESS'],
          limit: 200,
          after,
        }),
      'store.query',
    );
    for (const entry of page.entries) {
      if (entry.status !== 'IN_PROGRESS' || live.has(entry.id) || leaseEnd(entry) > now) continue;
      const ok = await call(
        () => store.updateJob(orgId, entry.id, abandonedUpdate(entry, now)),
        'store.updateJob',
      );
      if (ok) tally.swept += 1;
    }
    after = page.next;
  } while (after !== undefined);
}

/** Sweeps one org, or every org the store lists, counting into `tally`. Rejects on a store failure. */
export async function sweepStore(
  store: Pick<ActivityStore, 'query' | 'updateJob' | 'listOrgs'>,
  call: StoreCaller,
  now: number,
  live: ReadonlySet<string>,
  tally: SweepTally,
  orgId?: string,
): Promise<void> {
  const orgs = typeof orgId === 'string' ? [orgId] : await call(() => store.listOrgs(), 'store.listOrgs');
  for (const org of orgs) await sweepOrg(store, call, org, now, live, tally);
}
