/**
 * How a {@link JobUpdate} changes a stored job entry: the one rule every store applies, so a run reads
 * the same on memory, SQLite, PostgreSQL and ClickHouse.
 */
import type { ActivityEntry, JobUpdate } from '../types.js';

/** The entry after `update`; a new object, `entry` is left as it was. */
export function applyJobUpdate(entry: ActivityEntry, update: JobUpdate): ActivityEntry {
  const next: ActivityEntry = { ...entry };
  if (update.status !== undefined) next.status = update.status;
  if (update.progress !== undefined) next.progress = update.progress;
  // Job metadata accumulates over the run (counts, then totals), so updates merge shallowly.
  if (update.metadata !== undefined) next.metadata = { ...entry.metadata, ...update.metadata };
  if (update.error !== undefined) next.error = update.error;
  if (update.summary !== undefined) next.summary = update.summary;
  if (update.completedAt !== undefined) next.completedAt = update.completedAt;
  if (update.durationMs !== undefined) next.durationMs = update.durationMs;
  if (update.heartbeatAt !== undefined) next.heartbeatAt = update.heartbeatAt;
  if (update.leaseExpiresAt !== undefined) next.leaseExpiresAt = update.leaseExpiresAt;
  // A final run has no lease left to expire.
  if (next.status !== 'IN_PROGRESS') delete next.leaseExpiresAt;
  return next;
}
