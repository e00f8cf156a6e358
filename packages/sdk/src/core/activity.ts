/**
 * The recorder, wired from its parts: `record()` builds an entry (entry.ts), makes the quick checks
 * and enqueues a JSON snapshot of it without ever throwing or awaiting (queue.ts); a single writer
 * drains the byte-bounded queue in batches, validating and redacting each snapshot on its own first
 * (deferred.ts), with deadlines, retries and bisection (writer.ts). Job runs, their leases and the
 * sweeper live in jobs.ts; the counters and their identity in counters.ts.
 */
import { ActivityError } from '../errors.js';
import { ACTIVITY_TYPES, type ActivityEntry, type ActivityType } from '../types.js';
import type { RecordInput } from './api.js';
import { diskWriter, replayBuffer } from './buffered.js';
import type { CatalogDefinition, SystemInput, UserActionInput, WebhookInput } from './catalog.js';
import { currentContext, withContext } from './context.js';
import { bump, createCounters, statsOf } from './counters.js';
import { withDeadline, within } from './deadline.js';
import { deferredValidation } from './deferred.js';
import { openDiskBuffer } from './diskBuffer.js';
import { buildEntry, entryConfig, isRetryable, webhookInput } from './entry.js';
import { toErrorInfo, toReporter } from './errorInfo.js';
import { createIntake, type Settle } from './intake.js';
import { JobRunner } from './jobs.js';
import { type ActivityOptions, checkConfig, type DrainOptions, resolveSettings } from './options.js';
import { EntryQueue } from './queue.js';
import type { Activity } from './recorderTypes.js';
import { Writer } from './writer.js';

export { toErrorInfo } from './errorInfo.js';
export type { ActivityOptions, DrainOptions, OverflowPolicy } from './options.js';
export { type ByteRing, createByteRing } from './queue.js';
export type { Activity, RejectionCode, TypedJobOptions, TypedJobRun } from './recorderTypes.js';
export { ABANDONED } from './sweeper.js';

/**
 * Creates the recorder. Misconfiguration throws `ActivityError('CONFIG')` here, with the fix in the
 * message; nothing after construction throws into host code.
 * @example const activity = createActivity({ store: createSqliteStore({ path: 'activity.db' }), catalog });
 */
export function createActivity<const C extends CatalogDefinition = CatalogDefinition>(
  options: ActivityOptions<C>,
): Activity<C> {
  checkConfig(options);
  const { store, catalog, onError } = options;
  const settings = resolveSettings(options);
  const config = entryConfig(options);
  const counters = createCounters();
  const report = toReporter(onError);
  const retry = settings;
  const buffer = options.buffer === undefined ? undefined : openDiskBuffer(options.buffer);
  const queue = new EntryQueue({
    maxBytes: buffer?.maxBytes ?? settings.maxQueueBytes,
    overflow: settings.overflow,
    counters,
    report,
    // With a disk buffer the queue holds places in it, not text.
    ring: buffer === undefined,
    readDisk: buffer === undefined ? undefined : (ref) => buffer.read(ref),
  });
  const writer = new Writer({
    ...settings,
    store,
    queue,
    counters,
    retry,
    report,
    prepare: deferredValidation(config, queue, counters, report),
    holdOnOutage: buffer !== undefined,
  });
  let closed = false;
  let shutdownPromise: Promise<void> | undefined;

  function reject(error: ActivityError, silent = false): void {
    bump(counters.rejected, error.code);
    if (!silent) report?.(error);
  }

  const submit = createIntake({
    config,
    catalog,
    strictCatalog: options.strictCatalog === true,
    counters,
    queue,
    toDisk: buffer === undefined ? undefined : diskWriter(buffer, report),
    enqueued: () => writer.enqueued(),
    report,
    isClosed: () => closed,
  });

  const jobs = new JobRunner({
    ...settings,
    config,
    store,
    counters,
    queue,
    retry,
    report,
    drainSoon: () => writer.drainSoon(),
    submit: (make, settle) => submit(make, settle, true),
    // QUEUE_FULL was reported once per overflow episode by the queue.
    rejectStart: (error) => reject(error, error.code === 'QUEUE_FULL'),
    isClosed: () => closed,
  });

  if (buffer !== undefined) replayBuffer(buffer, queue, counters, () => writer.enqueued(), report);

  function recordWith(make: () => Record<string, unknown>): string | undefined {
    const result = submit(make);
    if (result instanceof ActivityError) {
      reject(result, result.code === 'QUEUE_FULL');
      return undefined;
    }
    return result.id;
  }

  function recordDurable(input: RecordInput): Promise<ActivityEntry> {
    return new Promise<ActivityEntry>((resolve, rejectPromise) => {
      let entry: ActivityEntry | undefined;
      const settle: Settle = (ok, error) => {
        if (ok && entry !== undefined) resolve(entry);
        else rejectPromise(error ?? new ActivityError('DROPPED', 'entry was dropped before it was stored'));
      };
      const result = submit(() => buildEntry(config, input), settle, true);
      if (result instanceof ActivityError) {
        reject(result, true);
        rejectPromise(result);
        return;
      }
      entry = result.entry;
      // A caller awaiting durability should not wait for the interval.
      writer.drainSoon();
    });
  }

  const drain = () => jobs.drain(() => writer.settled());

  function shutdown(drainOptions: DrainOptions = {}): Promise<void> {
    if (shutdownPromise !== undefined) return shutdownPromise;
    closed = true;
    const timeoutMs = drainOptions?.timeoutMs ?? 30_000;
    const started = Date.now();
    shutdownPromise = (async () => {
      const drained = await within(drain(), timeoutMs);
      writer.stop();
      jobs.stop();
      // At the deadline, what is unwritten stays in the disk buffer for the next recorder.
      if (!drained) buffer?.freeze();
      if (!drained) writer.abandon();
      buffer?.close();
      if (!drained) return;
      try {
        const left = Math.max(0, timeoutMs - (Date.now() - started));
        if (store.flush !== undefined) await withDeadline(store.flush(), left || 1, 'store.flush');
      } catch (error) {
        const message = `store.flush failed: ${toErrorInfo(error).message}`;
        report?.(new ActivityError('STORE_FAILED', message, { cause: error }));
      }
    })();
    return shutdownPromise;
  }

  const activity = {
    record: (input: RecordInput) => recordWith(() => buildEntry(config, input)),
    recordDurable,
    userAction: (input: UserActionInput<CatalogDefinition>) =>
      recordWith(() => buildEntry(config, { ...(input as object), type: 'USER_ACTION' })),
    system: (input: SystemInput<CatalogDefinition>) =>
      recordWith(() => buildEntry(config, { ...(input as object), type: 'SYSTEM_EVENT' })),
    webhook: (input: WebhookInput<CatalogDefinition>) =>
      recordWith(() => buildEntry(config, webhookInput(config, input))),
    job: jobs.job.bind(jobs),
    runJob: jobs.runJob.bind(jobs),
    sweepAbandonedRuns: jobs.sweepAbandonedRuns.bind(jobs),
    withContext,
    currentContext,
    flush: async (drainOptions: DrainOptions = {}) => void (await within(drain(), drainOptions?.timeoutMs)),
    shutdown,
    stats: () => statsOf(counters, queue.entries, queue.bytes),
    isRetryable: (type: ActivityType, name: string) =>
      ACTIVITY_TYPES.includes(type) && isRetryable(config, type, name),
    store,
    catalog,
  };
  // The implementation is untyped (it must survive any runtime input); the catalog types its surface.
  return activity as unknown as Activity<C>;
}
