/**
 * The recorder's counters. One identity holds at every moment, for every policy and path
 * (docs/event-model.md, "Counting instead of losing"):
 *   calls = accepted + Σ rejected,  accepted = persisted + Σ dropped + pending.
 * Each entry is counted once ({@link Countable.done}); job updates are not entries and count apart.
 */
import type { ActivityStats } from './api.js';

/** The raw counts behind `stats()`. */
export interface Counters {
  calls: number;
  pending: number;
  inserted: number;
  persisted: number;
  duplicates: number;
  retried: number;
  timeouts: number;
  ignoredJobCalls: number;
  abandonedRuns: number;
  /** Entries read back from the disk buffer at start (each also counted in `calls`). */
  replayed: number;
  rejected: Record<string, number>;
  dropped: Record<string, number>;
  droppedUpdates: Record<string, number>;
}

/** An accepted entry as the counters see it. */
export interface Countable {
  /** Set once the entry is counted as persisted, dropped or rejected: it is counted exactly once. */
  done: boolean;
}

/** Zeroed counters. */
export function createCounters(): Counters {
  return {
    calls: 0,
    pending: 0,
    inserted: 0,
    persisted: 0,
    duplicates: 0,
    retried: 0,
    timeouts: 0,
    ignoredJobCalls: 0,
    abandonedRuns: 0,
    replayed: 0,
    rejected: {},
    dropped: {},
    droppedUpdates: {},
  };
}

/** Adds `by` to `map[key]`. */
export function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

/** Counts an accepted entry as persisted (once); false when it was already counted. */
export function countPersisted(counters: Counters, item: Countable): boolean {
  if (item.done) return false;
  item.done = true;
  counters.pending -= 1;
  counters.persisted += 1;
  return true;
}

/** Counts an accepted entry as dropped for `reason` (once); false when it was already counted. */
export function countDropped(counters: Counters, item: Countable, reason: string): boolean {
  if (item.done) return false;
  item.done = true;
  counters.pending -= 1;
  bump(counters.dropped, reason);
  return true;
}

/** An entry accepted at `record()` and refused later (its deferred validation): pending → rejected. */
export function countLateRejection(counters: Counters, item: Countable, code: string): boolean {
  if (item.done) return false;
  item.done = true;
  counters.pending -= 1;
  bump(counters.rejected, code);
  return true;
}

/** The public snapshot of the counters. */
export function statsOf(counters: Counters, queuedEntries: number, queuedBytes: number): ActivityStats {
  const rejected = Object.values(counters.rejected).reduce((a, b) => a + b, 0);
  const accepted = counters.calls - rejected;
  return {
    calls: counters.calls,
    accepted,
    recorded: accepted,
    persisted: counters.persisted,
    inserted: counters.inserted,
    duplicates: counters.duplicates,
    pending: counters.pending,
    rejected: { ...counters.rejected },
    dropped: { ...counters.dropped },
    droppedUpdates: { ...counters.droppedUpdates },
    retried: counters.retried,
    timeouts: counters.timeouts,
    ignoredJobCalls: counters.ignoredJobCalls,
    abandonedRuns: counters.abandonedRuns,
    replayed: counters.replayed,
    queuedEntries,
    queuedBytes,
  };
}
