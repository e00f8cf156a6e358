/**
 * The disk buffer's side of the recorder: `record()` appends each accepted entry to the buffer before
 * it answers, and the queue keeps only the record's place; a recorder started on the same folder puts
 * what a crash left back on the queue. Replays store no duplicates: the entry's id is in the record,
 * and the stores skip ids they hold.
 */
import { ActivityError } from '../errors.js';
import { bump, type Counters } from './counters.js';
import type { DiskBuffer } from './diskBuffer.js';
import { type Reporter, toErrorInfo } from './errorInfo.js';
import { type EntryQueue, newQueueItem, type QueueItem } from './queue.js';

const LEADING_ID = /^\{"id":"((?:[^"\\]|\\.){1,256})"/;

/** Moves an accepted item's text to the buffer; on an I/O error it stays in memory (reported once). */
export function diskWriter(buffer: DiskBuffer, report: Reporter): (item: QueueItem) => void {
  let failing = false;
  return (item) => {
    try {
      const ref = buffer.append(item.json, item.bytes);
      item.disk = ref;
      item.json = '';
      // Read back and validated when the writer takes it, like a snapshot.
      item.pending = true;
      item.settle = () => buffer.ack(ref);
      failing = false;
    } catch (error) {
      if (failing) return;
      failing = true;
      const message = `disk buffer append failed (${toErrorInfo(error).message}): entries are kept in memory only until it recovers`;
      report?.(new ActivityError('STORE_FAILED', message, { cause: error, field: 'buffer.path' }));
    }
  };
}

/**
 * Puts the buffer's unsettled records back on the queue, each counted as a call (and under
 * `replayed`); a torn or damaged record is counted as accepted and dropped (`buffer_corrupt`).
 */
export function replayBuffer(
  buffer: DiskBuffer,
  queue: EntryQueue,
  counters: Counters,
  enqueued: () => void,
  report: Reporter,
): void {
  buffer.replay(
    (json, ref) => {
      counters.calls += 1;
      counters.replayed += 1;
      const id = LEADING_ID.exec(json)?.[1] ?? '';
      const item = newQueueItem(id, '', ref.length, true, undefined, () => buffer.ack(ref));
      item.disk = ref;
      if (queue.enqueue(item)) enqueued();
      else {
        // Refused by the bound (a smaller maxBytes than the backlog): counted, and not kept.
        bump(counters.rejected, 'QUEUE_FULL');
        buffer.ack(ref);
      }
    },
    (segment) => {
      counters.calls += 1;
      bump(counters.dropped, 'buffer_corrupt');
      report?.(
        new ActivityError(
          'DROPPED',
          `disk buffer: a torn or damaged record in segment ${segment} was skipped (the rest of that segment cannot be read)`,
          { field: 'buffer.path' },
        ),
      );
    },
  );
}
