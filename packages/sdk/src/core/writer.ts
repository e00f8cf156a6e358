/**
 * The writer: drains the queue to the store in batches, by size (a full batch starts on the next
 * turn) and by interval (a partial one waits `flushIntervalMs`). Every store call runs under the write
 * deadline; a failing batch is retried with backoff and full jitter, then bisected so one poison entry
 * never costs the rest. It talks to an `ActivityStore` and nothing else.
 */
import { ActivityError } from '../errors.js';
import { type ActivityEntry, type ActivityStore, type AppendResult, ENTRY_JSON } from '../types.js';
import { type Counters, countDropped, countPersisted } from './counters.js';
import { isTimeout, storeCall } from './deadline.js';
import { toErrorInfo } from './errorInfo.js';
import { type EntryQueue, entryOf, type QueueItem, type Reporter } from './queue.js';
import { backoff, type RetryPolicy, sleep } from './retry.js';

/** Options of {@link Writer}. */
export interface WriterOptions {
  store: Pick<ActivityStore, 'append'>;
  queue: EntryQueue;
  counters: Counters;
  /** Entries per store call. */
  batchSize: number;
  /** Longest an entry waits in a partial batch. */
  flushIntervalMs: number;
  /** Deadline of one store call; 0 disables it. */
  writeTimeoutMs: number;
  retry: RetryPolicy;
  report: Reporter;
  /**
   * Hold the backlog through an outage (a disk buffer holds it): a batch whose retries ran out because
   * the store is unreachable (deadline passed, connection refused or reset) waits `retryMaxMs` and is
   * tried again, instead of being dropped. Refusals of the data itself are bisected and dropped as usual.
   */
  holdOnOutage?: boolean | undefined;
  /** Turns a batch just taken into what is written (deferred validation). @default the batch itself */
  prepare?: ((batch: QueueItem[]) => QueueItem[]) | undefined;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, connection failures.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  'SQLITE_BUSY',
]);

/** A failure that says the store cannot be reached now, not that it refuses the data. */
export function isUnreachable(error: unknown): boolean {
  if (isTimeout(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE.has(code);
}

/** The single writer of a recorder. */
export class Writer {
  readonly #o: WriterOptions;
  #running = false;
  /** Write partial batches too (interval passed, a flush or a durable record waits). */
  #drainAll = false;
  /** Set when shutdown's deadline passed: the writer stops retrying what it already counted. */
  #abandoned = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;

  constructor(options: WriterOptions) {
    this.#o = options;
  }

  /** After an enqueue: a full batch is written on the next turn, a partial one after the interval. */
  enqueued(): void {
    if (this.#o.queue.length >= this.#o.batchSize) this.#scheduleDrain();
    else this.#armTimer();
  }

  /** Writes everything queued on the next turn, partial batches included (a caller awaits it). */
  drainSoon(): void {
    this.#drainAll = true;
    this.#scheduleDrain();
  }

  /** Resolves once every entry enqueued up to now is persisted or counted as lost. */
  settled(): Promise<void> {
    const done = this.#o.queue.whenSettled();
    if (done === undefined) return Promise.resolve();
    this.#drainAll = true;
    void this.#pump();
    return done;
  }

  /** At a shutdown deadline: everything still queued or in flight is counted as dropped, once. */
  abandon(): void {
    const { queue, counters, report } = this.#o;
    const error = new ActivityError(
      'DROPPED',
      'shutdown() deadline passed before the store took this entry: it was not written',
    );
    this.#abandoned = true;
    for (const item of queue.abandon()) {
      if (!item.done && report !== undefined) report(error, item.pending ? { id: item.id } : entryOf(item));
      if (countDropped(counters, item, 'shutdown_timeout')) item.settle?.(false, error);
    }
    queue.notify();
  }

  /** Clears the writer's timers (the host may exit). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  #armTimer(): void {
    if (this.#timer !== undefined || this.#o.queue.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drainAll = true;
      void this.#pump();
    }, this.#o.flushIntervalMs);
    // The interval timer alone must not keep the host process alive; shutdown() flushes explicitly.
    this.#timer.unref?.();
  }

  #scheduleDrain(): void {
    if (this.#immediate !== undefined || this.#running) return;
    // Never call the store synchronously inside record(): the write starts on the next turn.
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    const { queue, batchSize, prepare } = this.#o;
    this.#running = true;
    try {
      while (queue.length > 0 && (this.#drainAll || queue.length >= batchSize)) {
        const taken = queue.take(batchSize);
        const batch = prepare === undefined ? taken : prepare(taken);
        queue.hold(batch);
        if (batch.length > 0) {
          try {
            await this.#writeBatch(batch);
          } catch (error) {
            // writeBatch catches store errors; this guards against a bug losing the batch silently.
            this.#dropFailed(batch, error);
          }
        }
        queue.release(batch);
      }
      if (queue.length === 0) this.#drainAll = false;
    } finally {
      this.#running = false;
    }
    queue.notify();
    this.#armTimer();
  }

  /** Writes a batch: retries with backoff, then bisects to isolate entries the store keeps refusing. */
  async #writeBatch(items: QueueItem[]): Promise<void> {
    const { retry, counters } = this.#o;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        this.#committed(items, await this.#append(items));
        return;
      } catch (error) {
        lastError = error;
        // Past a shutdown deadline its entries are already counted: no more attempts.
        if (this.#abandoned) break;
        const hold = attempt >= retry.maxRetries;
        if (hold && (!this.#o.holdOnOutage || !isUnreachable(error))) break;
        counters.retried += 1;
        await sleep(hold ? retry.retryMaxMs : backoff(attempt + 1, retry));
      }
    }
    if (this.#abandoned) return;
    // Bisection isolates a poison entry; a store that does not answer has none to find, and halving
    // would only multiply the wait by the batch size.
    if (items.length === 1 || isTimeout(lastError)) this.#dropFailed(items, lastError);
    else await this.#bisect(items);
  }

  // Halves get one attempt each: the whole batch already spent its retries on transient failures.
  async #bisect(items: QueueItem[]): Promise<void> {
    const middle = Math.ceil(items.length / 2);
    for (const half of [items.slice(0, middle), items.slice(middle)]) {
      try {
        this.#committed(half, await this.#append(half));
      } catch (error) {
        if (half.length === 1 || isTimeout(error)) this.#dropFailed(half, error);
        else await this.#bisect(half);
      }
    }
  }

  #append(items: QueueItem[]): Promise<AppendResult> {
    const { store, writeTimeoutMs, counters } = this.#o;
    const entries: ActivityEntry[] = new Array(items.length);
    const texts: string[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as QueueItem;
      entries[i] = entryOf(item);
      texts[i] = item.json;
    }
    // Stores that write JSON (SQLite) reuse the text made at record() time instead of serialising again.
    Object.defineProperty(entries, ENTRY_JSON, { value: texts });
    return storeCall(
      () => store.append(entries),
      writeTimeoutMs,
      'store.append',
      () => {
        counters.timeouts += 1;
      },
    );
  }

  #committed(items: QueueItem[], result: AppendResult | undefined): void {
    const { counters, queue } = this.#o;
    counters.inserted += typeof result?.inserted === 'number' ? result.inserted : items.length;
    counters.duplicates += typeof result?.duplicates === 'number' ? result.duplicates : 0;
    queue.endOverflow();
    for (const item of items) {
      // Persisted: the store holds it, newly inserted or already there (a duplicate). An entry already
      // counted (dropped at a shutdown deadline) whose write landed late stays counted once.
      if (countPersisted(counters, item)) item.settle?.(true);
    }
  }

  #dropFailed(items: QueueItem[], cause: unknown): void {
    const { counters, report, retry } = this.#o;
    for (const item of items) {
      if (item.done) continue;
      const error = new ActivityError(
        'STORE_FAILED',
        `store.append failed (${toErrorInfo(cause).message}); entry ${item.id} dropped after ${retry.maxRetries} retries`,
        { cause },
      );
      countDropped(counters, item, 'store_failed');
      item.settle?.(false, error);
      if (report !== undefined) report(error, entryOf(item));
    }
  }
}
