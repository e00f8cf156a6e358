import type { ActivityEntry } from '@activity/sdk/client';

/** The lease fields of a job run (on `ActivityEntry` since job-run leases; optional on older entries). */
export interface JobLease {
  /** ISO time the run was last seen alive. */
  heartbeatAt?: string | undefined;
  /** ISO time after which a still running job counts as abandoned. */
  leaseExpiresAt?: string | undefined;
}

/** The error code the sweeper gives a run whose process died before it finished. */
export const ABANDONED_CODE = 'ABANDONED';

type LeasedEntry = Pick<ActivityEntry, 'status' | 'error'> & JobLease;

/** True for a run the sweeper finalised because its process stopped (crash, deploy, kill). */
export function isAbandoned(entry: Pick<ActivityEntry, 'status' | 'error'>): boolean {
  return entry.status === 'FAILED' && entry.error?.code === ABANDONED_CODE;
}

function validIso(value: string | undefined): string | undefined {
  return value !== undefined && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/** When the run was last seen alive, if the entry says (a valid ISO time), else undefined. */
export function lastSeenAlive(entry: LeasedEntry): string | undefined {
  return validIso(entry.heartbeatAt);
}

/**
 * True when a running job's lease has passed without a heartbeat: its process has probably stopped, and
 * the next sweep will finalise it as abandoned.
 */
export function leaseOverdue(entry: LeasedEntry, nowMs: number): boolean {
  const expires = validIso(entry.leaseExpiresAt);
  return entry.status === 'IN_PROGRESS' && expires !== undefined && Date.parse(expires) < nowMs;
}
