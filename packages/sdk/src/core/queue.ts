/**
 * The byte-bounded queue between `record()` and the writer, and its overflow policy. Entries leave
 * strictly in arrival order: the writer takes the head, overflow evicts the head. Bytes counted are
 * the serialized entries, queued and in flight. Waiters learn when everything up to a point settled.
 */
import { ActivityError } from '../errors.js';
import type { ActivityEntry } from '../types.js';
import { type Countable, type Counters, countDropped } from './counters.js';
import type { DiskRef } from './diskBuffer.js';
import type { Reporter } from './errorInfo.js';
import type { OverflowPolicy } from './options.js';

export type { Reporter } from './errorInfo.js';

/** Queued snapshots' UTF-8 bytes, first in first out, in one buffer allocated once (internal; exported for tests). */
export interface ByteRing {
  /** Copies `text` (`bytes` long in UTF-8) in; its offset, or -1 when there is no room (it stays a string). */
  put(text: string, bytes: number): number;
  /** Reads the record at `at`, `bytes` long. */
  read(at: number, bytes: number): string;
  /** Frees the oldest record, which is the one at `at`. */
  release(at: number, bytes: number): void;
}

/**
 * V8 promotes a string that waits in a queue to its old generation, and frees it only at a full
 * collection: a queue of strings held RSS at 15-20 times its byte bound under a lagging store. Bytes
 * in a buffer cost what they are. Records leave strictly in arrival order (the writer takes the head,
 * overflow evicts the head), so a ring with one wrap point is enough. Undefined without `Buffer`
 * (browsers, some edge runtimes): there the queue keeps strings. Internal: exported for its tests.
 */
export function createByteRing(size: number): ByteRing | undefined {
  if (typeof Buffer !== 'function') return undefined;
  // allocUnsafe: pages are committed only when written, and wrapping early (below) keeps the written
  // part near twice the most ever held, so a generous bound does not cost its size up front.
  let buffer: Buffer;
  try {
    buffer = Buffer.allocUnsafe(size);
  } catch {
    // A bound past Buffer's largest size, or no memory to reserve: the queue keeps strings.
    return undefined;
  }
  let head = 0;
  let tail = 0;
  /** End of the live records before the wrap (they run [head, wrapAt) then [0, tail)), or -1. */
  let wrapAt = -1;
  let live = 0;
  return {
    put(text, bytes) {
      let at: number;
      if (wrapAt === -1) {
        // Back to the start at the end, or early once the freed front holds twice what is live: the
        // written part of the buffer stays near three times the most ever held, not its whole size.
        if (bytes <= head && (head >= 2 * (tail - head) + bytes || tail + bytes > size)) {
          wrapAt = tail;
          at = 0;
        } else if (tail + bytes <= size) at = tail;
        else return -1;
      } else if (tail + bytes <= head) at = tail;
      else return -1;
      buffer.write(text, at, bytes, 'utf8');
      tail = at + bytes;
      live += 1;
      return at;
    },
    read(at, bytes) {
      return buffer.toString('utf8', at, at + bytes);
    },
    release(at, bytes) {
      live -= 1;
      head = at + bytes;
      if (head === wrapAt) {
        head = 0;
        wrapAt = -1;
      }
      if (live === 0) {
        head = 0;
        tail = 0;
        wrapAt = -1;
      }
    },
  };
}

/** One accepted entry while the recorder holds it. */
export interface QueueItem extends Countable {
  id: string;
  /**
   * The validated, redacted entry as JSON: the queued form. One string per entry keeps the queue's
   * memory close to its byte bound (the same entry as objects takes 3-5 times as much). '' while a
   * pending snapshot's bytes sit in the queue's ring (`ring`).
   */
  json: string;
  /** The entry as objects, kept only where the recorder reads it again (job runs, durable records). */
  entry: ActivityEntry | undefined;
  /**
   * True while `json` is record()'s snapshot of the input, not yet validated and redacted: that work
   * runs when the writer takes the item, off the caller's hot path.
   */
  pending: boolean;
  /** UTF-8 bytes of `json`. */
  bytes: number;
  /** Offset of a pending snapshot's bytes in the queue's ring (`json` is then ''), or -1. */
  ring: number;
  /** Where the entry sits in the disk buffer (`json` is then ''): the queue holds the reference only. */
  disk?: DiskRef | undefined;
  seq: number;
  /** Set once the writer took the item into a batch: it can no longer be edited in place. */
  taken: boolean;
  /** Called once with the outcome: committed (or duplicate), or dropped. */
  settle?: ((ok: boolean, error?: ActivityError) => void) | undefined;
}

/** A fresh queue item; `pending` marks a record() snapshot still to validate. */
export function newQueueItem(
  id: string,
  json: string,
  bytes: number,
  pending: boolean,
  entry?: ActivityEntry,
  settle?: QueueItem['settle'],
): QueueItem {
  return { id, json, entry, pending, bytes, ring: -1, seq: 0, taken: false, done: false, settle };
}

/** The queued entry as objects, parsed from its JSON when the queue kept only that. */
export function entryOf(item: QueueItem): ActivityEntry {
  return item.entry ?? (JSON.parse(item.json) as ActivityEntry);
}

/** Options of {@link EntryQueue}. */
export interface QueueOptions {
  /** Bound in serialized bytes, entries being written included. */
  maxBytes: number;
  overflow: OverflowPolicy;
  counters: Counters;
  report: Reporter;
  /** Keep pending snapshots' bytes in a ring buffer rather than as strings. @default true */
  ring?: boolean | undefined;
  /** Reads the text of an entry held in the disk buffer. */
  readDisk?: ((ref: DiskRef) => string) | undefined;
}

interface Waiter {
  target: number;
  resolve: () => void;
}

/** The queue. Counts what it accepts (`pending`) and what its policy evicts (`dropped.queue_full`). */
export class EntryQueue {
  readonly maxBytes: number;
  readonly overflow: OverflowPolicy;
  readonly #counters: Counters;
  readonly #report: Reporter;
  readonly #ring: ByteRing | undefined;
  readonly #readDisk: ((ref: DiskRef) => string) | undefined;
  #items: QueueItem[] = [];
  #inflight: QueueItem[] = [];
  #bytes = 0;
  #seq = 0;
  #overflowing = false;
  readonly #waiters: Waiter[] = [];

  constructor(options: QueueOptions) {
    this.maxBytes = options.maxBytes;
    this.overflow = options.overflow;
    this.#counters = options.counters;
    this.#report = options.report;
    this.#ring = options.ring === false ? undefined : createByteRing(options.maxBytes);
    this.#readDisk = options.readDisk;
  }

  /** Entries waiting to be taken. */
  get length(): number {
    return this.#items.length;
  }

  /** Entries queued or being written. */
  get entries(): number {
    return this.#items.length + this.#inflight.length;
  }

  /** Serialized bytes held, queued or being written. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Sequence number of the last entry enqueued. */
  get lastSeq(): number {
    return this.#seq;
  }

  /** The error of an overflow, naming the bound and the policy. */
  overflowError(message: string): ActivityError {
    return new ActivityError(
      'QUEUE_FULL',
      `queue full (${this.maxBytes} bytes, policy ${this.overflow}): ${message}`,
      { field: 'maxQueueBytes' },
    );
  }

  /** Reports an overflow once per episode (every loss is counted regardless). */
  noteOverflow(error: ActivityError, entry?: () => Partial<ActivityEntry>): void {
    if (this.#overflowing) return;
    this.#overflowing = true;
    if (this.#report !== undefined) this.#report(error, entry?.());
  }

  /** A write committed: the next overflow is a new episode. */
  endOverflow(): void {
    this.#overflowing = false;
  }

  /** Puts an accepted entry on the queue, applying the overflow policy. False when it was refused. */
  enqueue(item: QueueItem): boolean {
    if (!this.makeRoom(item.bytes)) {
      // Refused, never accepted: the caller counts it under rejected.QUEUE_FULL.
      item.done = true;
      this.noteOverflow(this.overflowError('new entry refused'), () => ({ id: item.id }));
      return false;
    }
    this.#seq += 1;
    item.seq = this.#seq;
    this.#toRing(item);
    this.#items.push(item);
    this.#bytes += item.bytes;
    this.#counters.pending += 1;
    return true;
  }

  /**
   * Makes room for `bytes` more under the bound: with drop-oldest, evicts the oldest queued entries
   * (never `keep`, the one growing); with reject, evicts nothing. True when the bytes fit.
   */
  makeRoom(bytes: number, keep?: QueueItem): boolean {
    if (this.#bytes + bytes <= this.maxBytes) return true;
    if (this.overflow === 'drop-oldest') {
      const error = this.overflowError('oldest queued entry dropped');
      let i = 0;
      while (i < this.#items.length && this.#bytes + bytes > this.maxBytes) {
        const oldest = this.#items[i] as QueueItem;
        if (oldest === keep) {
          i += 1;
          continue;
        }
        this.#items.splice(i, 1);
        this.#bytes -= oldest.bytes;
        this.#freeRing(oldest);
        this.#evict(oldest, error);
      }
      this.notify();
    }
    return this.#bytes + bytes <= this.maxBytes;
  }

  /** Sets a queued entry's size (a job update folded in, a snapshot validated) and counts the change. */
  resize(item: QueueItem, bytes: number): void {
    this.#bytes += bytes - item.bytes;
    item.bytes = bytes;
  }

  /** Takes up to `max` entries from the head for the writer; they can no longer be edited in place. */
  take(max: number): QueueItem[] {
    const taken = this.#items.splice(0, max);
    for (const item of taken) item.taken = true;
    return taken;
  }

  /** A snapshot's text, taken out of the ring (which frees its bytes) when it was there. */
  text(item: QueueItem): string {
    if (item.disk !== undefined && this.#readDisk !== undefined) return this.#readDisk(item.disk);
    if (this.#ring === undefined || item.ring < 0) return item.json;
    const text = this.#ring.read(item.ring, item.bytes);
    this.#ring.release(item.ring, item.bytes);
    item.ring = -1;
    return text;
  }

  /** A taken entry that will not be written (refused by its deferred validation): its bytes leave. */
  discard(item: QueueItem): void {
    this.#bytes -= item.bytes;
  }

  /** The batch the writer is writing now. */
  hold(batch: QueueItem[]): void {
    this.#inflight = batch;
  }

  /** The held batch was written or given up: its bytes leave and waiters learn of it. */
  release(batch: QueueItem[]): void {
    this.#inflight = [];
    for (const item of batch) this.#bytes -= item.bytes;
    this.notify();
  }

  /** Empties the queue at a shutdown deadline: what was queued or in flight, for the caller to count. */
  abandon(): QueueItem[] {
    const queued = this.#items.splice(0);
    // In-flight bytes leave the count when their write ends (release); queued ones leave now.
    for (const item of queued) this.#bytes -= item.bytes;
    const left = [...this.#inflight, ...queued];
    for (const item of left) this.#freeRing(item);
    return left;
  }

  /** Resolves once every entry enqueued up to `target` is settled; undefined when that is already so. */
  whenSettled(target = this.#seq): Promise<void> | undefined {
    if (this.#lowestUnsettled() > target) return undefined;
    return new Promise<void>((resolve) => this.#waiters.push({ target, resolve }));
  }

  /** Resolves the waiters whose entries have all settled. */
  notify(): void {
    const low = this.#lowestUnsettled();
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i];
      if (waiter !== undefined && waiter.target < low) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  #lowestUnsettled(): number {
    return this.#inflight[0]?.seq ?? this.#items[0]?.seq ?? Number.POSITIVE_INFINITY;
  }

  #evict(item: QueueItem, error: ActivityError): void {
    if (!countDropped(this.#counters, item, 'queue_full')) return;
    // Marked taken so job updates stop folding into an entry that left the queue.
    item.taken = true;
    item.settle?.(false, error);
    // A pending snapshot is not redacted yet: the handler gets its id only.
    this.noteOverflow(error, () => (item.pending ? { id: item.id } : entryOf(item)));
  }

  /** Moves a queued snapshot's text into the ring, when there is room. */
  #toRing(item: QueueItem): void {
    if (this.#ring === undefined || !item.pending || item.disk !== undefined) return;
    const at = this.#ring.put(item.json, item.bytes);
    if (at < 0) return;
    item.ring = at;
    item.json = '';
  }

  #freeRing(item: QueueItem): void {
    if (item.ring < 0) return;
    this.#ring?.release(item.ring, item.bytes);
    item.ring = -1;
  }
}
