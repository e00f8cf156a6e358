/**
 * Accepting an entry: the call is counted, the input built, checked against the catalog, snapshotted
 * (or validated in full when the recorder reads it again), and put on the queue. Never throws: a
 * refusal comes back as the `ActivityError` for the caller to count.
 */
import { ActivityError } from '../errors.js';
import type { ActivityEntry } from '../types.js';
import type { CatalogDefinition } from './catalog.js';
import { checkCatalog } from './catalogCheck.js';
import type { Counters } from './counters.js';
import { type EntryConfig, finishEntry, snapshotEntry } from './entry.js';
import { asActivityError, type Reporter } from './errorInfo.js';
import { type EntryQueue, newQueueItem, type QueueItem } from './queue.js';

/** Builds the candidate entry from host input. May throw. */
export type Make = () => Record<string, unknown>;
/** Called once with the entry's outcome: stored (or a duplicate), or lost. */
export type Settle = (ok: boolean, error?: ActivityError) => void;

/** An entry the recorder accepted: its id, its objects (kept for job runs) and its queue item. */
export interface Submitted {
  id: string;
  entry: ActivityEntry | undefined;
  item: QueueItem;
}

/** What the intake needs from the recorder. */
export interface IntakeOptions {
  config: EntryConfig;
  catalog: CatalogDefinition | undefined;
  strictCatalog: boolean;
  counters: Counters;
  queue: EntryQueue;
  /** With a disk buffer: moves an accepted item's text there before `record()` answers. */
  toDisk?: ((item: QueueItem) => void) | undefined;
  /** Told of each enqueue (the writer schedules its batch). */
  enqueued(): void;
  report: Reporter;
  isClosed(): boolean;
}

/** The intake: `keep` validates the entry at once and holds its objects for later reads. */
export function createIntake(
  o: IntakeOptions,
): (make: Make, settle?: Settle, keep?: boolean) => Submitted | ActivityError {
  return (make, settle, keep = false) => {
    o.counters.calls += 1;
    try {
      if (o.isClosed()) {
        return new ActivityError('SHUTDOWN', 'record() after shutdown(): the entry was not accepted');
      }
      const candidate = make();
      const unknownName = o.catalog === undefined ? undefined : checkCatalog(o.catalog, candidate);
      if (unknownName !== undefined) {
        if (o.strictCatalog) throw unknownName;
        o.report?.(unknownName, { id: candidate.id as string });
      }
      let item: QueueItem;
      if (keep) {
        // Job runs and durable records read their entry again: validated in full, now.
        const prepared = finishEntry(o.config, candidate);
        item = newQueueItem(prepared.id, prepared.json, prepared.bytes, false, prepared.entry, settle);
      } else {
        const snap = snapshotEntry(o.config, candidate);
        item = newQueueItem(snap.id, snap.json, snap.bytes, snap.pending, undefined, settle);
        // Room first: an entry the policy refuses must not reach the disk (it would be replayed).
        if (o.toDisk !== undefined && o.queue.makeRoom(item.bytes)) o.toDisk(item);
      }
      if (!o.queue.enqueue(item)) return o.queue.overflowError('entry refused');
      o.enqueued();
      return { id: item.id, entry: item.entry, item };
    } catch (error) {
      return asActivityError(error);
    }
  };
}
