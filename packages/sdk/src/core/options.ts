/** The recorder's options: their types, the construction-time check and the defaults. */
import { ActivityError } from '../errors.js';
import type { ActivityStore } from '../types.js';
import type { ActivityErrorHandler } from './api.js';
import type { CatalogDefinition } from './catalog.js';
import type { BufferOptions } from './diskBuffer.js';
import { isObject, safeString } from './errorInfo.js';
import type { RedactionOptions } from './redact.js';
import type { ValidationLimits } from './validate.js';

const MIB = 1024 * 1024;

/** What to do when the queue's byte bound is reached. */
export type OverflowPolicy = 'reject' | 'drop-oldest';

/** Options of `createActivity()`. */
export interface ActivityOptions<C extends CatalogDefinition = CatalogDefinition> {
  /** Where entries go (`createSqliteStore`, `createPostgresStore`, `createMemoryStore` …). */
  store: ActivityStore;
  /** The typed catalog from `defineCatalog()`: types `record()` and the helpers, labels the UI. */
  catalog?: C | undefined;
  /** Tenant used when neither the input nor the async context names one. */
  defaultOrgId?: string | undefined;
  /** Entries per store call; a full batch is written at once. @default 100 */
  batchSize?: number | undefined;
  /** Longest an entry waits in a partial batch. @default 250 */
  flushIntervalMs?: number | undefined;
  /** Bound of the queue in serialized bytes (entries being written included). @default 16 MiB */
  maxQueueBytes?: number | undefined;
  /** Policy when the bound is reached: refuse the new entry, or evict the oldest queued. @default 'drop-oldest' */
  overflow?: OverflowPolicy | undefined;
  /** Retries of a failing store call before its entries are dropped (counted). @default 5 */
  maxRetries?: number | undefined;
  /** Base of the exponential backoff. @default 100 */
  retryBaseMs?: number | undefined;
  /** Ceiling of one backoff delay. @default 10000 */
  retryMaxMs?: number | undefined;
  /** Least time between two progress writes of one job run (the last one is always written). @default 500 */
  progressIntervalMs?: number | undefined;
  /** Secret keys and paths to redact, added to the defaults. */
  redact?: RedactionOptions | undefined;
  /** Size and depth limits of one entry. */
  limits?: Partial<ValidationLimits> | undefined;
  /** Job names and webhook providers that have a retry handler (added to the catalog's `retryable`). */
  retryable?: { jobs?: string[] | undefined; providers?: string[] | undefined } | undefined;
  /** Receives every problem hidden from host code: rejected input, overflow, store failures. */
  onError?: ActivityErrorHandler | undefined;
  /**
   * With a catalog, an entity type, action, job name, system event or webhook provider it does not
   * declare is reported through `onError` (`INVALID_EVENT` naming the field) and still recorded; `true`
   * rejects such an entry instead (counted in `stats().rejected.INVALID_EVENT`). @default false
   */
  strictCatalog?: boolean | undefined;
  /**
   * Deadline of one store call (append, job update, flush): a call that passes it counts as failed and
   * is retried like any failure, so a store that never answers cannot hold the writer. 0 disables it.
   * @default 30000
   */
  writeTimeoutMs?: number | undefined;
  /**
   * Lease of a running job: renewed by progress writes and a heartbeat (every third of it) while the
   * process lives. A run whose lease has expired is abandoned (its process died) and the sweeper
   * finalises it as FAILED with error code `ABANDONED`. @default 60000
   */
  jobLeaseMs?: number | undefined;
  /**
   * How often this recorder sweeps the store for abandoned runs (`sweepAbandonedRuns()`), or `false`
   * to leave it to another process or the retention schedule. @default jobLeaseMs
   */
  sweepIntervalMs?: number | false | undefined;
  /**
   * Opt-in disk buffer: `record()` appends each accepted entry to segment files in `path` before it
   * returns, the writer drains them to the store, and a recorder started on the same folder replays
   * what a crash left. While the store is down the backlog grows on disk up to `maxBytes` (the queue
   * bound then; `maxQueueBytes` is not used), after which `overflow` applies. Survives a crash of the
   * process (kill -9), not of the machine, unless `fsync: 'always'`. Node.js only.
   */
  buffer?: BufferOptions | undefined;
  /** Clock, for tests. @default () => new Date() */
  now?: (() => Date) | undefined;
}

/** Options of `flush()` and `shutdown()`. */
export interface DrainOptions {
  /**
   * Longest the call waits. `flush` then returns with the rest still queued; `shutdown` stops, and
   * counts every entry it could not write under `stats().dropped.shutdown_timeout`.
   * @default flush: no limit (store calls have their own deadline); shutdown: 30000
   */
  timeoutMs?: number | undefined;
}

/** Throws `ActivityError('CONFIG')` naming the option and the fix; nothing after construction throws. */
export function checkConfig(options: unknown): asserts options is ActivityOptions {
  const fail = (field: string, message: string): never => {
    throw new ActivityError('CONFIG', `createActivity: ${field} ${message}`, { field });
  };
  if (!isObject(options)) fail('options', 'must be an object: createActivity({ store })');
  const o = options as Record<string, unknown>;
  const store = o.store as Partial<ActivityStore> | undefined;
  if (!isObject(store) || typeof store.append !== 'function' || typeof store.updateJob !== 'function') {
    fail(
      'store',
      'is required: pass an ActivityStore, e.g. createSqliteStore({ path }) from @activity/sdk/sqlite or createMemoryStore() from @activity/sdk/testing',
    );
  }
  const positiveInt = (key: string) => {
    const v = o[key];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) {
      fail(key, `must be a positive integer, got ${safeString(v)}`);
    }
  };
  const nonNegative = (key: string, integer: boolean) => {
    const v = o[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
      fail(
        key,
        `must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got ${safeString(v)}`,
      );
    }
  };
  positiveInt('batchSize');
  positiveInt('maxQueueBytes');
  nonNegative('flushIntervalMs', false);
  nonNegative('maxRetries', true);
  nonNegative('retryBaseMs', false);
  nonNegative('retryMaxMs', false);
  nonNegative('progressIntervalMs', false);
  nonNegative('writeTimeoutMs', false);
  positiveInt('jobLeaseMs');
  if (o.sweepIntervalMs !== false) nonNegative('sweepIntervalMs', false);
  if (o.overflow !== undefined && o.overflow !== 'reject' && o.overflow !== 'drop-oldest') {
    fail('overflow', `must be 'reject' or 'drop-oldest', got ${safeString(o.overflow)}`);
  }
  if (o.defaultOrgId !== undefined && (typeof o.defaultOrgId !== 'string' || o.defaultOrgId === '')) {
    fail('defaultOrgId', 'must be a non-empty string');
  }
  if (o.catalog !== undefined && (!isObject(o.catalog) || !isObject(o.catalog.entities))) {
    fail('catalog', 'must come from defineCatalog({ entities: { … } })');
  }
  if (o.onError !== undefined && typeof o.onError !== 'function') fail('onError', 'must be a function');
  if (o.now !== undefined && typeof o.now !== 'function') fail('now', 'must be a function returning a Date');
  checkBuffer(o.buffer, fail);
  const retryable = o.retryable;
  if (retryable !== undefined) {
    if (!isObject(retryable)) fail('retryable', 'must be { jobs?: string[], providers?: string[] }');
    for (const key of ['jobs', 'providers'] as const) {
      const list = (retryable as Record<string, unknown>)[key];
      if (list !== undefined && !(Array.isArray(list) && list.every((x) => typeof x === 'string'))) {
        fail(`retryable.${key}`, 'must be an array of strings');
      }
    }
  }
}

/** The numeric options with their defaults applied. */
export interface Settings {
  batchSize: number;
  flushIntervalMs: number;
  maxQueueBytes: number;
  overflow: OverflowPolicy;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  progressIntervalMs: number;
  writeTimeoutMs: number;
  jobLeaseMs: number;
  /** 0 when this recorder does not sweep. */
  sweepIntervalMs: number;
}

/** Applies the documented defaults. */
export function resolveSettings(options: ActivityOptions): Settings {
  const jobLeaseMs = options.jobLeaseMs ?? 60_000;
  return {
    batchSize: options.batchSize ?? 100,
    flushIntervalMs: options.flushIntervalMs ?? 250,
    maxQueueBytes: options.maxQueueBytes ?? 16 * MIB,
    overflow: options.overflow ?? 'drop-oldest',
    maxRetries: options.maxRetries ?? 5,
    retryBaseMs: options.retryBaseMs ?? 100,
    retryMaxMs: options.retryMaxMs ?? 10_000,
    progressIntervalMs: options.progressIntervalMs ?? 500,
    writeTimeoutMs: options.writeTimeoutMs ?? 30_000,
    jobLeaseMs,
    sweepIntervalMs: options.sweepIntervalMs === false ? 0 : (options.sweepIntervalMs ?? jobLeaseMs),
  };
}

function checkBuffer(buffer: unknown, fail: (field: string, message: string) => never): void {
  if (buffer === undefined) return;
  if (!isObject(buffer) || typeof buffer.path !== 'string' || buffer.path === '') {
    fail('buffer', "must be { path: string, maxBytes?: number }, e.g. { path: './activity-buffer' }");
  }
  const b = buffer as Record<string, unknown>;
  for (const key of ['maxBytes', 'segmentBytes']) {
    const v = b[key];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) {
      fail(`buffer.${key}`, `must be a positive integer, got ${safeString(v)}`);
    }
  }
  if (b.fsync !== undefined && b.fsync !== 'never' && b.fsync !== 'always') {
    fail('buffer.fsync', `must be 'never' or 'always', got ${safeString(b.fsync)}`);
  }
}
