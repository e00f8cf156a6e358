/**
 * The deferred half of `record()`: validation and redaction of its snapshots, run when the writer
 * takes them, each on its own, off the caller's hot path.
 */
import { type Counters, countLateRejection } from './counters.js';
import { type EntryConfig, finishSnapshot } from './entry.js';
import { asActivityError } from './errorInfo.js';
import type { EntryQueue, QueueItem, Reporter } from './queue.js';

/**
 * A writer's `prepare` step: an invalid snapshot is counted (accepted at record() time, refused now:
 * pending → rejected) and reported with its id, and leaves the batch; the rest are written.
 */
export function deferredValidation(
  config: EntryConfig,
  queue: EntryQueue,
  counters: Counters,
  report: Reporter,
): (batch: QueueItem[]) => QueueItem[] {
  return (batch) => {
    let valid: QueueItem[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i] as QueueItem;
      if (!item.pending) {
        valid?.push(item);
        continue;
      }
      item.pending = false;
      try {
        const prepared = finishSnapshot(config, queue.text(item), item.bytes);
        queue.resize(item, prepared.bytes);
        item.json = prepared.json;
        // Held only while the batch is written: the store receives these objects.
        item.entry = prepared.entry;
        valid?.push(item);
      } catch (error) {
        valid ??= batch.slice(0, i);
        queue.discard(item);
        const failure = asActivityError(error);
        countLateRejection(counters, item, failure.code);
        // Settled: the disk buffer moves past it.
        item.settle?.(false, failure);
        report?.(failure, { id: item.id });
      }
    }
    return valid ?? batch;
  };
}
