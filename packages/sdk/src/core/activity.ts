/**
 * The recording pipeline: `record()` builds an entry, makes the quick checks and enqueues a JSON snapshot
 * of it without ever throwing or awaiting; a single writer drains the byte-bounded queue in batches (by
 * size and by interval), validates and redacts each snapshot on its own before anything is stored,
 * retries store failures with backoff and full jitter, and bisects a failing batch so one poison entry
 * never costs the rest. Job runs are one entry moved IN_PROGRESS → final by `updateJob`.
 */
import { V7Generator } from 'uuidv7';
import { ActivityError, type ActivityErrorCode } from '../errors.js';
import {
  ACTIVITY_STATUSES,
  ACTIVITY_TYPES,
  ACTOR_KINDS,
  type ActivityEntry,
  type ActivityErrorInfo,
  type ActivityStatus,
  type ActivityStore,
  type ActivityType,
  type Actor,
  type AppendResult,
  ENTRY_JSON,
  type JobProgress,
  type JobUpdate,
  SCHEMA_VERSION,
} from '../types.js';
import type {
  ActivityContext,
  ActivityErrorHandler,
  ActivityRecorder,
  ActivityStats,
  JobOptions,
  JobRun,
  RecordInput,
  SweepResult,
} from './api.js';
import type {
  CatalogDefinition,
  EntityRefOf,
  JobEntityOf,
  JobMetadataOf,
  JobNameOf,
  JobResultMetadata,
  RecordInputOf,
  SystemInput,
  UserActionInput,
  WebhookInput,
} from './catalog.js';
import { checkCatalog } from './catalogCheck.js';
import { currentContext, withContext } from './context.js';
import { withDeadline } from './deadline.js';
import { diffObjects, summarizeChanges } from './diff.js';
import { compileRedactor, type EntryScrubber, type RedactionOptions } from './redact.js';
import {
  boundText,
  checkDiffSize,
  isSnapshotSafe,
  type PreparedEntry,
  prepareEntry,
  prepareSnapshot,
  resolveLimits,
  utf8Bytes,
  type ValidationLimits,
} from './validate.js';

/** What to do when the queue's byte bound is reached. */
export type OverflowPolicy = 'reject' | 'drop-oldest';

/** Options of {@link createActivity}. */
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

/** Error code stored on a job run that the sweeper finalised because its process stopped. */
export const ABANDONED = 'ABANDONED';
/** Lease assumed for runs stored without one (written before leases existed). */
const LEGACY_LEASE_MS = 24 * 60 * 60 * 1000;

/** A job run whose `succeed()` metadata is typed by the catalog. */
export interface TypedJobRun<M = Record<string, unknown>> extends Omit<JobRun, 'succeed' | 'warn' | 'fail'> {
  succeed(metadata?: M): Promise<void>;
  warn(message: string, metadata?: Partial<M>): Promise<void>;
  fail(error: unknown, metadata?: Partial<M>): Promise<void>;
}

/** Options of `activity.job(name)` with the entity type checked against the job's catalog entry. */
export type TypedJobOptions<C, N extends string> = Omit<JobOptions, 'entity'> & {
  entity?: EntityRefOf<JobEntityOf<C, N>> | undefined;
};

/** The recorder returned by {@link createActivity}, typed by catalog `C` (all `string` without one). */
export interface Activity<C extends CatalogDefinition = CatalogDefinition> extends ActivityRecorder {
  record(input: RecordInputOf<C>): string | undefined;
  recordDurable(input: RecordInputOf<C>): Promise<ActivityEntry>;
  /** Records a USER_ACTION: `action` is `${entity.type}.${action}` from the catalog. */
  userAction(input: UserActionInput<C>): string | undefined;
  /** Records a WEBHOOK exchange; the actor is the provider (external). */
  webhook(input: WebhookInput<C>): string | undefined;
  /** Records a SYSTEM_EVENT. */
  system(input: SystemInput<C>): string | undefined;
  job<N extends JobNameOf<C>>(
    name: N,
    options?: TypedJobOptions<C, N>,
  ): TypedJobRun<JobResultMetadata<JobMetadataOf<C, N>>>;
  runJob<N extends JobNameOf<C>, T>(
    name: N,
    options: TypedJobOptions<C, N> | undefined,
    fn: (run: TypedJobRun<JobResultMetadata<JobMetadataOf<C, N>>>) => Promise<T>,
  ): Promise<T>;
  /** The catalog given at construction. */
  readonly catalog: C | undefined;
}

const SYSTEM_ACTOR: Actor = Object.freeze({ kind: 'system', id: 'system' });

/**
 * Entry ids: UUIDv7 from the `uuidv7` package, fed from a pool of 4 KiB of crypto randomness. The
 * package's default refills every 8 words, and that call was a tenth of record()'s cost.
 */
const entryIds = (() => {
  const pool = new Uint32Array(1024);
  let cursor = pool.length;
  const generator = new V7Generator({
    nextUint32(): number {
      if (cursor >= pool.length) {
        crypto.getRandomValues(pool);
        cursor = 0;
      }
      return pool[cursor++] as number;
    },
  });
  return (): string => generator.generate().toString();
})();
const MIB = 1024 * 1024;

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

interface QueueItem {
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
  seq: number;
  /** Set once the writer took the item into a batch: it can no longer be edited in place. */
  taken: boolean;
  /** Set once the entry is counted as persisted, dropped or rejected: it is counted exactly once. */
  done: boolean;
  /** Called once with the outcome: committed (or duplicate), or dropped. */
  settle?: ((ok: boolean, error?: ActivityError) => void) | undefined;
}

interface Waiter {
  target: number;
  resolve: () => void;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '[unprintable value]';
  }
}

/** Turns anything thrown into the stored error shape; never throws itself. */
export function toErrorInfo(error: unknown): ActivityErrorInfo {
  try {
    if (error !== null && typeof error === 'object') {
      const e = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
      const info: ActivityErrorInfo = {
        name: typeof e.name === 'string' && e.name !== '' ? e.name : 'Error',
        message: typeof e.message === 'string' ? e.message : safeString(error),
      };
      if (typeof e.stack === 'string') info.stack = e.stack;
      if (typeof e.code === 'string') info.code = e.code;
      return info;
    }
    return { name: 'Error', message: typeof error === 'string' ? error : safeString(error) };
  } catch {
    return { name: 'Error', message: '[error could not be read]' };
  }
}

function toIso(value: unknown, fallback: Date, field: string): string {
  if (value === undefined) return fallback.toISOString();
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new ActivityError('INVALID_EVENT', `${field}: invalid Date`, { field });
    }
    return value.toISOString();
  }
  if (typeof value === 'string') return value;
  throw new ActivityError(
    'INVALID_EVENT',
    `${field}: expected a Date or an ISO 8601 string, got ${describe(value)}`,
    {
      field,
    },
  );
}

/** Removes undefined-valued keys, so validation sees only what the caller set. */
function compact<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}

/** Anything thrown while reading host input, as the INVALID_EVENT naming `field` (the input when unknown). */
function asActivityError(error: unknown, field = 'input'): ActivityError {
  if (error instanceof ActivityError) return error;
  // The message is the thrower's: bounded, so a hostile 50 MB message is not copied into every report.
  return new ActivityError(
    'INVALID_EVENT',
    `${field} could not be read: ${boundText(toErrorInfo(error).message)}`,
    { cause: error, field },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkConfig(options: unknown): asserts options is ActivityOptions {
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

/** Per-run bookkeeping of a job. */
interface RunState {
  id: string;
  orgId: string;
  /** Latest known view of the entry (as enqueued, with updates folded in). */
  entry: ActivityEntry | undefined;
  item: QueueItem | undefined;
  /** Resolves true once the IN_PROGRESS insert committed, false if it was dropped. */
  committed: Promise<boolean>;
  /** Store updates of this run, applied strictly one after another. */
  chain: Promise<void>;
  finished: boolean;
  startedAt: number;
  total: number | undefined;
  lastProgressAt: number;
  pendingProgress: JobProgress | undefined;
  progressTimer: ReturnType<typeof setTimeout> | undefined;
  /** Clock time of the last lease renewal sent (start, progress or heartbeat). */
  lastBeatAt: number;
}

/**
 * Creates the recorder. Misconfiguration throws `ActivityError('CONFIG')` here, with the fix in the
 * message; nothing after construction throws into host code.
 * @example const activity = createActivity({ store: createSqliteStore({ path: 'activity.db' }), catalog });
 */
export function createActivity<const C extends CatalogDefinition = CatalogDefinition>(
  options: ActivityOptions<C>,
): Activity<C> {
  checkConfig(options);
  const store = options.store;
  const catalog = options.catalog;
  const batchSize = options.batchSize ?? 100;
  const flushIntervalMs = options.flushIntervalMs ?? 250;
  const maxQueueBytes = options.maxQueueBytes ?? 16 * MIB;
  const overflow = options.overflow ?? 'drop-oldest';
  const maxRetries = options.maxRetries ?? 5;
  const retryBaseMs = options.retryBaseMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 10_000;
  const progressIntervalMs = options.progressIntervalMs ?? 500;
  const writeTimeoutMs = options.writeTimeoutMs ?? 30_000;
  const jobLeaseMs = options.jobLeaseMs ?? 60_000;
  const sweepIntervalMs = options.sweepIntervalMs === false ? 0 : (options.sweepIntervalMs ?? jobLeaseMs);
  const limits = resolveLimits(options.limits);
  const redactor: EntryScrubber = compileRedactor(options.redact);
  const clock = options.now ?? (() => new Date());
  const onError = options.onError;
  const retryableJobs = new Set(options.retryable?.jobs ?? []);
  const retryableProviders = new Set(options.retryable?.providers ?? []);

  // One identity holds at every moment, for every policy and path (docs/event-model.md, "Counters"):
  //   calls = accepted + rejected,  accepted = persisted + dropped + pending.
  // Each entry is counted once (QueueItem.done): job updates are not entries and count apart.
  const counters = {
    calls: 0,
    pending: 0,
    inserted: 0,
    persisted: 0,
    duplicates: 0,
    retried: 0,
    timeouts: 0,
    ignoredJobCalls: 0,
    abandonedRuns: 0,
    rejected: {} as Record<string, number>,
    dropped: {} as Record<string, number>,
    droppedUpdates: {} as Record<string, number>,
  };

  const queue: QueueItem[] = [];
  const ring = createByteRing(maxQueueBytes);
  let inflight: QueueItem[] = [];
  let queuedBytes = 0;
  let seq = 0;
  let running = false;
  let drainAll = false;
  let closed = false;
  let overflowing = false;
  let shutdownPromise: Promise<void> | undefined;
  /** Set when shutdown's deadline passed: the writer stops retrying what it already counted. */
  let abandoned = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let immediate: ReturnType<typeof setImmediate> | undefined;
  const waiters: Waiter[] = [];
  const pendingUpdates = new Set<Promise<void>>();
  const runs = new Set<RunState>();

  function report(error: ActivityError, entry?: Partial<ActivityEntry>): void {
    if (onError === undefined) return;
    try {
      onError(error, entry);
    } catch {
      // A throwing handler must not turn into a throw inside record().
    }
  }

  function bump(map: Record<string, number>, key: string, by = 1): void {
    map[key] = (map[key] ?? 0) + by;
  }

  function reject(error: ActivityError, silent = false): void {
    bump(counters.rejected, error.code);
    if (!silent) report(error);
  }

  /** A job update refused (invalid progress, metadata or error): not an entry, so counted apart. */
  function rejectUpdate(error: ActivityError): void {
    bump(counters.droppedUpdates, error.code);
    report(error);
  }

  // --- retryable --------------------------------------------------------------------------------

  function isRetryable(type: ActivityType, name: string): boolean {
    if (typeof name !== 'string') return false;
    if (type === 'BACKGROUND_JOB') {
      const jobs = catalog?.jobs;
      return (
        retryableJobs.has(name) ||
        (jobs !== undefined && Object.hasOwn(jobs, name) && jobs[name]?.retryable === true)
      );
    }
    if (type === 'WEBHOOK') {
      const hooks = catalog?.webhooks;
      return (
        retryableProviders.has(name) ||
        (hooks !== undefined && Object.hasOwn(hooks, name) && hooks[name]?.retryable === true)
      );
    }
    return false;
  }

  // --- building ---------------------------------------------------------------------------------

  /** Builds the candidate entry from host input, the async context and defaults. May throw. */
  function build(raw: unknown, status?: ActivityStatus): Record<string, unknown> {
    if (!isObject(raw)) {
      throw new ActivityError('INVALID_EVENT', `input: expected an object, got ${describe(raw)}`, {
        field: 'input',
      });
    }
    const input = raw as Partial<RecordInput>;
    const ctx: ActivityContext | undefined = currentContext();
    const now = clock();
    const orgId = input.orgId ?? ctx?.orgId ?? options.defaultOrgId;
    if (orgId === undefined || orgId === '') {
      throw new ActivityError(
        'INVALID_EVENT',
        'orgId: is required — pass orgId, run inside activity.withContext({ orgId }, fn), or set defaultOrgId',
        { field: 'orgId' },
      );
    }
    const type = input.type;
    let changes = input.changes;
    if (changes === undefined && (input.before !== undefined || input.after !== undefined)) {
      // The diff walks all of both objects: a huge one is refused first, in bounded time.
      let field = 'before';
      try {
        checkDiffSize(input.before, limits, field);
        field = 'after';
        checkDiffSize(input.after, limits, field);
        field = 'changes';
        changes = diffObjects(input.before, input.after);
      } catch (error) {
        // Hostile getters and proxies throw their own errors: name the side that held them.
        throw asActivityError(error, field);
      }
    }
    const webhook = input.webhook;
    let idempotencyKey = input.idempotencyKey;
    if (idempotencyKey === undefined && isObject(webhook)) {
      // The provider's event id is the natural key: a redelivered webhook is stored once.
      const { provider, eventId } = webhook;
      if (typeof provider === 'string' && typeof eventId === 'string' && eventId !== '') {
        idempotencyKey = `${provider}:${eventId}`;
      }
    }
    let retryable: boolean | undefined;
    let retriggerUrl: string | undefined;
    if (type === 'BACKGROUND_JOB' && typeof input.action === 'string') {
      retryable = isRetryable(type, input.action);
      const jobs = catalog?.jobs;
      if (jobs !== undefined && Object.hasOwn(jobs, input.action))
        retriggerUrl = jobs[input.action]?.retriggerUrl;
    } else if (type === 'WEBHOOK' && isObject(webhook) && typeof webhook.provider === 'string') {
      retryable = isRetryable(type, webhook.provider);
    }
    let summary = input.summary;
    if (summary === undefined && Array.isArray(changes) && changes.length > 0)
      summary = summarizeChanges(changes);
    const recordedAt = now.toISOString();
    // Undefined members are left in: both validation paths drop them (deleting would slow the object).
    return {
      id: input.id ?? entryIds(),
      orgId,
      occurredAt: input.occurredAt === undefined ? recordedAt : toIso(input.occurredAt, now, 'occurredAt'),
      recordedAt,
      schemaVersion: SCHEMA_VERSION,
      type,
      status: input.status ?? status ?? 'SUCCESS',
      actor: input.actor ?? ctx?.actor ?? SYSTEM_ACTOR,
      action: input.action,
      entity: input.entity,
      summary,
      changes,
      metadata: input.metadata,
      error: input.error === undefined ? undefined : toErrorInfo(input.error),
      webhook,
      correlationId: input.correlationId ?? ctx?.correlationId,
      parentId: input.parentId ?? ctx?.parentId,
      retryOf: input.retryOf,
      idempotencyKey,
      context: input.context ?? ctx?.context,
      retryable,
      retriggerUrl,
    };
  }

  /** Validates and redacts a candidate (one private copy, redacted in place) and serialises it. Throws ActivityError. */
  function finish(candidate: Record<string, unknown>): PreparedEntry {
    return prepareEntry(candidate, limits, redactor.scrubEntry);
  }

  /**
   * {@link finish} for a snapshot: its parsed copy is private, so it is checked and redacted in place
   * rather than copied again, unless a string needs cleaning (a `\u` escape in the text) or the check
   * finds anything unusual; then the exact path decides.
   */
  function finishSnapshot(json: string, bytes: number): PreparedEntry {
    const fast = json.includes('\\u')
      ? undefined
      : prepareSnapshot(json, bytes, limits, redactor.scrubChanged);
    // A fresh parse: the fast path may have redacted part of its copy before giving up.
    return fast ?? finish(JSON.parse(json) as Record<string, unknown>);
  }

  /**
   * The cheap checks record() makes before deferring the rest: what a wrong call gets wrong (type,
   * status, action, actor, a host-given id). Anything failing them is validated in full at once, so
   * the error is the precise one.
   */
  function passesQuickChecks(candidate: Record<string, unknown>): boolean {
    const { id, orgId, type, status, action, actor } = candidate;
    return (
      typeof id === 'string' &&
      id !== '' &&
      id.length <= 256 &&
      id.trim() === id &&
      typeof orgId === 'string' &&
      (ACTIVITY_TYPES as readonly unknown[]).includes(type) &&
      (ACTIVITY_STATUSES as readonly unknown[]).includes(status) &&
      (status !== 'IN_PROGRESS' || type === 'BACKGROUND_JOB') &&
      typeof action === 'string' &&
      action.trim() !== '' &&
      isObject(actor) &&
      typeof actor.id === 'string' &&
      (ACTOR_KINDS as readonly unknown[]).includes(actor.kind)
    );
  }

  /**
   * record()'s synchronous part: a JSON snapshot of the input (later host mutation cannot change what
   * is stored) after the quick checks. Deep validation and redaction run when the writer takes it.
   * Input that fails the checks, cannot be serialised or is already too large is decided here instead.
   */
  function snapshot(candidate: Record<string, unknown>): QueueItem {
    let json: string | undefined;
    try {
      // The bounded plain-JSON check first: JSON.stringify would silently turn a Map into {} (where
      // recordDurable refuses it) and spend seconds on a sparse array of length 1e8.
      if (passesQuickChecks(candidate) && isSnapshotSafe(candidate, limits)) json = JSON.stringify(candidate);
    } catch {
      // Throwing getters or proxies: the full validation below names the field.
    }
    if (json === undefined || json.length > limits.maxBytes) {
      const prepared = finish(candidate);
      return queueItem(prepared.id, prepared.json, prepared.bytes, false);
    }
    return queueItem(candidate.id as string, json, utf8Bytes(json), true);
  }

  function queueItem(
    id: string,
    json: string,
    bytes: number,
    pending: boolean,
    entry?: ActivityEntry,
    settle?: QueueItem['settle'],
  ): QueueItem {
    return { id, json, entry, pending, bytes, ring: -1, seq: 0, taken: false, done: false, settle };
  }

  /** Moves a queued snapshot's text into the ring, when there is room. */
  function toRing(item: QueueItem): void {
    if (ring === undefined || !item.pending) return;
    const at = ring.put(item.json, item.bytes);
    if (at < 0) return;
    item.ring = at;
    item.json = '';
  }

  /** A snapshot's text, taken out of the ring (which frees its bytes) when it was there. */
  function fromRing(item: QueueItem): string {
    if (ring === undefined || item.ring < 0) return item.json;
    const text = ring.read(item.ring, item.bytes);
    ring.release(item.ring, item.bytes);
    item.ring = -1;
    return text;
  }

  /**
   * Validates and redacts the snapshots of a batch the writer just took, each on its own: an invalid
   * one is counted and reported (with its id) and leaves the batch, the rest are written.
   */
  function preparePending(batch: QueueItem[]): QueueItem[] {
    let valid: QueueItem[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i] as QueueItem;
      if (!item.pending) {
        valid?.push(item);
        continue;
      }
      item.pending = false;
      try {
        const prepared = finishSnapshot(fromRing(item), item.bytes);
        queuedBytes += prepared.bytes - item.bytes;
        item.bytes = prepared.bytes;
        item.json = prepared.json;
        // Held only while the batch is written: the store receives these objects.
        item.entry = prepared.entry;
        valid?.push(item);
      } catch (error) {
        valid ??= batch.slice(0, i);
        queuedBytes -= item.bytes;
        const failure = asActivityError(error);
        // Accepted at record() time, refused now: it moves from pending to rejected.
        item.done = true;
        counters.pending -= 1;
        bump(counters.rejected, failure.code);
        report(failure, { id: item.id });
      }
    }
    return valid ?? batch;
  }

  /** The queued entry as objects, parsed from its JSON when the queue kept only that. */
  function entryOf(item: QueueItem): ActivityEntry {
    return item.entry ?? (JSON.parse(item.json) as ActivityEntry);
  }

  // --- queue and writer -------------------------------------------------------------------------

  function lowestUnsettled(): number {
    return inflight[0]?.seq ?? queue[0]?.seq ?? Number.POSITIVE_INFINITY;
  }

  function notifyWaiters(): void {
    const low = lowestUnsettled();
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (waiter !== undefined && waiter.target < low) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  function armTimer(): void {
    if (timer !== undefined || queue.length === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      drainAll = true;
      void pump();
    }, flushIntervalMs);
    // The interval timer alone must not keep the host process alive; shutdown() flushes explicitly.
    timer.unref?.();
  }

  function scheduleDrain(): void {
    if (immediate !== undefined || running) return;
    // Never call the store synchronously inside record(): the write starts on the next turn.
    immediate = setImmediate(() => {
      immediate = undefined;
      void pump();
    });
  }

  function overflowError(message: string): ActivityError {
    return new ActivityError(
      'QUEUE_FULL',
      `queue full (${maxQueueBytes} bytes, policy ${overflow}): ${message}`,
      {
        field: 'maxQueueBytes',
      },
    );
  }

  /** Counts an accepted entry as dropped (once) and settles its waiter. */
  function dropItem(item: QueueItem, reason: string, error: ActivityError): void {
    if (item.done) return;
    item.done = true;
    counters.pending -= 1;
    bump(counters.dropped, reason);
    item.settle?.(false, error);
  }

  function dropForOverflow(item: QueueItem, error: ActivityError): void {
    if (item.done) return;
    item.done = true;
    counters.pending -= 1;
    bump(counters.dropped, 'queue_full');
    // Marked taken so job updates stop folding into an entry that left the queue.
    item.taken = true;
    item.settle?.(false, error);
    // Reported once per overflow episode; every drop is counted in stats().dropped.queue_full.
    if (!overflowing) {
      overflowing = true;
      // A pending snapshot is not redacted yet: the handler gets its id only.
      if (onError !== undefined) report(error, item.pending ? { id: item.id } : entryOf(item));
    }
  }

  /**
   * Makes room for `bytes` more under the bound: with drop-oldest, evicts the oldest queued entries
   * (never `keep`, the one growing); with reject, evicts nothing. True when the bytes fit.
   */
  function makeRoom(bytes: number, keep?: QueueItem): boolean {
    if (queuedBytes + bytes <= maxQueueBytes) return true;
    if (overflow === 'drop-oldest') {
      const error = overflowError('oldest queued entry dropped');
      let i = 0;
      while (i < queue.length && queuedBytes + bytes > maxQueueBytes) {
        const oldest = queue[i] as QueueItem;
        if (oldest === keep) {
          i += 1;
          continue;
        }
        queue.splice(i, 1);
        queuedBytes -= oldest.bytes;
        if (oldest.ring >= 0) {
          ring?.release(oldest.ring, oldest.bytes);
          oldest.ring = -1;
        }
        dropForOverflow(oldest, error);
      }
      notifyWaiters();
    }
    return queuedBytes + bytes <= maxQueueBytes;
  }

  /** Puts an accepted entry on the queue, applying the overflow policy. False when it was refused. */
  function enqueue(item: QueueItem): boolean {
    if (!makeRoom(item.bytes)) {
      // Refused, never accepted: the caller counts it under rejected.QUEUE_FULL.
      item.done = true;
      if (!overflowing) {
        overflowing = true;
        report(overflowError('new entry refused'), { id: item.id });
      }
      return false;
    }
    seq += 1;
    item.seq = seq;
    toRing(item);
    queue.push(item);
    queuedBytes += item.bytes;
    counters.pending += 1;
    if (queue.length >= batchSize) scheduleDrain();
    else armTimer();
    return true;
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  /** Full jitter: uniform in [0, min(max, base · 2^(attempt−1))]. */
  function backoff(attempt: number): number {
    return Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1));
  }

  function committed(items: QueueItem[], result: AppendResult | undefined): void {
    const inserted = typeof result?.inserted === 'number' ? result.inserted : items.length;
    const duplicates = typeof result?.duplicates === 'number' ? result.duplicates : 0;
    counters.inserted += inserted;
    counters.duplicates += duplicates;
    overflowing = false;
    for (const item of items) {
      // An entry already counted (dropped at a shutdown deadline) whose write landed late stays counted once.
      if (item.done) continue;
      item.done = true;
      counters.pending -= 1;
      // Persisted: the store holds it, newly inserted or already there (a duplicate).
      counters.persisted += 1;
      item.settle?.(true);
    }
  }

  function dropFailed(items: QueueItem[], cause: unknown): void {
    for (const item of items) {
      if (item.done) continue;
      const error = new ActivityError(
        'STORE_FAILED',
        `store.append failed (${toErrorInfo(cause).message}); entry ${item.id} dropped after ${maxRetries} retries`,
        { cause },
      );
      dropItem(item, 'store_failed', error);
      if (onError !== undefined) report(error, entryOf(item));
    }
  }

  async function append(items: QueueItem[]): Promise<AppendResult> {
    const entries: ActivityEntry[] = new Array(items.length);
    const texts: string[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as QueueItem;
      entries[i] = entryOf(item);
      texts[i] = item.json;
    }
    // Stores that write JSON (SQLite) reuse the text made at record() time instead of serialising again.
    Object.defineProperty(entries, ENTRY_JSON, { value: texts });
    return storeCall(() => store.append(entries), 'store.append');
  }

  /** A store call under the write deadline; a synchronous throw becomes a rejection. */
  function storeCall<T>(call: () => Promise<T>, what: string): Promise<T> {
    let promise: Promise<T>;
    try {
      promise = Promise.resolve(call());
    } catch (error) {
      return Promise.reject(error);
    }
    return withDeadline(promise, writeTimeoutMs, what).catch((error: unknown) => {
      if (error instanceof ActivityError && error.code === 'TIMEOUT') counters.timeouts += 1;
      throw error;
    });
  }

  function isTimeout(error: unknown): boolean {
    return error instanceof ActivityError && error.code === 'TIMEOUT';
  }

  /** Writes a batch: retries with backoff, then bisects to isolate entries the store keeps refusing. */
  async function writeBatch(items: QueueItem[]): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        committed(items, await append(items));
        return;
      } catch (error) {
        lastError = error;
        // Past a shutdown deadline its entries are already counted: no more attempts.
        if (attempt >= maxRetries || abandoned) break;
        counters.retried += 1;
        await sleep(backoff(attempt + 1));
      }
    }
    if (abandoned) return;
    // Bisection isolates a poison entry; a store that does not answer has none to find, and halving
    // would only multiply the wait by the batch size.
    if (items.length === 1 || isTimeout(lastError)) dropFailed(items, lastError);
    else await bisect(items);
  }

  // Halves get one attempt each: the whole batch already spent its retries on transient failures.
  async function bisect(items: QueueItem[]): Promise<void> {
    const middle = Math.ceil(items.length / 2);
    for (const half of [items.slice(0, middle), items.slice(middle)]) {
      try {
        committed(half, await append(half));
      } catch (error) {
        if (half.length === 1 || isTimeout(error)) dropFailed(half, error);
        else await bisect(half);
      }
    }
  }

  async function pump(): Promise<void> {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0 && (drainAll || queue.length >= batchSize)) {
        const taken = queue.splice(0, batchSize);
        for (const item of taken) item.taken = true;
        const batch = preparePending(taken);
        inflight = batch;
        if (batch.length === 0) {
          inflight = [];
          notifyWaiters();
          continue;
        }
        try {
          await writeBatch(batch);
        } catch (error) {
          // writeBatch catches store errors; this guards against a bug losing the batch silently.
          dropFailed(batch, error);
        }
        inflight = [];
        for (const item of batch) queuedBytes -= item.bytes;
        notifyWaiters();
      }
      if (queue.length === 0) drainAll = false;
    } finally {
      running = false;
    }
    notifyWaiters();
    armTimer();
  }

  // --- record -----------------------------------------------------------------------------------

  /** Builds, prepares and enqueues an entry. `keep` holds its objects on the item for later reads. */
  function submit(
    make: () => Record<string, unknown>,
    settle?: (ok: boolean, error?: ActivityError) => void,
    keep = false,
  ): { id: string; entry: ActivityEntry | undefined; item: QueueItem } | ActivityError {
    counters.calls += 1;
    try {
      if (closed) {
        return new ActivityError('SHUTDOWN', 'record() after shutdown(): the entry was not accepted');
      }
      const candidate = make();
      const unknownName = catalog === undefined ? undefined : checkCatalog(catalog, candidate);
      if (unknownName !== undefined) {
        if (options.strictCatalog === true) throw unknownName;
        report(unknownName, { id: candidate.id as string });
      }
      let item: QueueItem;
      if (keep) {
        // Job runs and durable records read their entry again: validated in full, now.
        const prepared = finish(candidate);
        item = queueItem(prepared.id, prepared.json, prepared.bytes, false, prepared.entry, settle);
      } else {
        item = snapshot(candidate);
        item.settle = settle;
      }
      if (!enqueue(item)) return overflowError('entry refused');
      return { id: item.id, entry: item.entry, item };
    } catch (error) {
      return asActivityError(error);
    }
  }

  function recordWith(make: () => Record<string, unknown>): string | undefined {
    const result = submit(make);
    if (result instanceof ActivityError) {
      // QUEUE_FULL was reported once per overflow episode by enqueue().
      reject(result, result.code === 'QUEUE_FULL');
      return undefined;
    }
    return result.id;
  }

  function record(input: RecordInput): string | undefined {
    return recordWith(() => build(input));
  }

  function recordDurable(input: RecordInput): Promise<ActivityEntry> {
    return new Promise<ActivityEntry>((resolve, rejectPromise) => {
      let entry: ActivityEntry | undefined;
      const result = submit(
        () => build(input),
        (ok, error) => {
          if (ok && entry !== undefined) resolve(entry);
          else rejectPromise(error ?? new ActivityError('DROPPED', 'entry was dropped before it was stored'));
        },
        true,
      );
      if (result instanceof ActivityError) {
        reject(result, true);
        rejectPromise(result);
        return;
      }
      entry = result.entry;
      // A caller awaiting durability should not wait for the interval.
      scheduleDrain();
      drainAll = true;
    });
  }

  // --- helpers ----------------------------------------------------------------------------------

  function userAction(input: UserActionInput<CatalogDefinition>): string | undefined {
    return recordWith(() => build({ ...(input as object), type: 'USER_ACTION' }));
  }

  function system(input: SystemInput<CatalogDefinition>): string | undefined {
    return recordWith(() => build({ ...(input as object), type: 'SYSTEM_EVENT' }));
  }

  function webhook(input: WebhookInput<CatalogDefinition>): string | undefined {
    return recordWith(() => {
      if (!isObject(input)) {
        throw new ActivityError('INVALID_EVENT', `input: expected an object, got ${describe(input)}`, {
          field: 'input',
        });
      }
      const {
        provider,
        eventType,
        direction,
        eventId,
        url,
        request,
        response,
        statusCode,
        durationMs,
        ...base
      } = input;
      const hooks = catalog?.webhooks;
      const label =
        typeof provider === 'string' && hooks !== undefined && Object.hasOwn(hooks, provider)
          ? hooks[provider]?.label
          : undefined;
      return build({
        ...base,
        type: 'WEBHOOK',
        action: eventType,
        status: base.status ?? (typeof statusCode === 'number' && statusCode >= 400 ? 'FAILED' : 'SUCCESS'),
        actor: base.actor ?? { kind: 'external', id: provider, name: label ?? provider },
        webhook: compact({
          direction: direction ?? 'in',
          provider,
          eventType,
          eventId,
          url,
          request,
          response,
          statusCode,
          durationMs,
        }),
      });
    });
  }

  // --- jobs -------------------------------------------------------------------------------------

  function track(promise: Promise<void>): Promise<void> {
    pendingUpdates.add(promise);
    void promise.finally(() => pendingUpdates.delete(promise));
    return promise;
  }

  /** Applies `updateJob` with the same retry policy as appends. Never rejects. */
  async function updateWithRetry(state: RunState, update: JobUpdate): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        const ok = await storeCall(() => store.updateJob(state.orgId, state.id, update), 'store.updateJob');
        if (!ok) {
          bump(counters.droppedUpdates, 'job_update_refused');
          report(
            new ActivityError(
              'DROPPED',
              `store.updateJob refused the update of job ${state.id}: missing or already final`,
            ),
            state.entry,
          );
        }
        return;
      } catch (error) {
        lastError = error;
        if (attempt >= maxRetries) break;
        counters.retried += 1;
        await sleep(backoff(attempt + 1));
      }
    }
    bump(counters.droppedUpdates, 'store_failed');
    report(
      new ActivityError(
        'STORE_FAILED',
        `store.updateJob failed for job ${state.id}: ${toErrorInfo(lastError).message}`,
        {
          cause: lastError,
        },
      ),
      state.entry,
    );
  }

  /**
   * Validates and redacts an update against the run's entry, then folds it into the queued insert
   * when the writer has not taken it yet, or chains it after the insert's commit otherwise, so an
   * update never reaches the store before the row it updates.
   */
  function applyUpdate(state: RunState, raw: JobUpdate, final: boolean): Promise<void> {
    const base = state.entry;
    if (base === undefined) return Promise.resolve();
    let update: JobUpdate = raw;
    let prepared: PreparedEntry;
    try {
      const candidate = compact({
        ...base,
        ...compact({ ...raw }),
        metadata: raw.metadata === undefined ? base.metadata : { ...base.metadata, ...raw.metadata },
      });
      prepared = finish(candidate);
    } catch (error) {
      rejectUpdate(asActivityError(error));
      if (!final) return Promise.resolve();
      // The final status must land even when its metadata or error cannot be stored.
      update = compact({
        status: raw.status,
        completedAt: raw.completedAt,
        durationMs: raw.durationMs,
        progress: raw.progress,
      });
      try {
        prepared = finish(compact({ ...base, ...update }));
      } catch {
        return Promise.resolve();
      }
    }
    const merged = prepared.entry;
    const clean: JobUpdate = compact({
      status: update.status,
      progress: update.progress === undefined ? undefined : merged.progress,
      metadata: update.metadata === undefined ? undefined : merged.metadata,
      error: update.error === undefined ? undefined : merged.error,
      summary: update.summary === undefined ? undefined : merged.summary,
      completedAt: update.completedAt,
      durationMs: update.durationMs,
      heartbeatAt: update.heartbeatAt,
      leaseExpiresAt: update.leaseExpiresAt,
    });
    state.entry = merged;
    const item = state.item;
    let late = clean;
    if (item !== undefined && !item.taken) {
      // Folding grows a queued entry: the byte bound and its policy apply as to a new one.
      if (makeRoom(prepared.bytes - item.bytes, item)) {
        queuedBytes += prepared.bytes - item.bytes;
        item.bytes = prepared.bytes;
        item.json = prepared.json;
        item.entry = merged;
        if (final) {
          // The caller may await the final state: write it now rather than after the interval.
          drainAll = true;
          scheduleDrain();
        }
        return state.committed.then(() => undefined);
      }
      if (!final) {
        // Progress is superseded by the next write anyway: dropped and counted.
        const error = overflowError(`progress update of job ${state.id} dropped`);
        bump(counters.droppedUpdates, 'queue_full');
        if (!overflowing) {
          overflowing = true;
          report(error, merged);
        }
        return Promise.resolve();
      }
      // The final state must land: it follows the queued insert as a store update instead, held
      // outside the queue like updates of entries already taken. It carries the progress that
      // could not be folded in either.
      if (merged.progress !== undefined) late = { ...clean, progress: merged.progress };
    }
    state.chain = state.chain.then(async () => {
      if (await state.committed) await updateWithRetry(state, late);
      else {
        bump(counters.droppedUpdates, 'job_update_lost');
        report(
          new ActivityError('DROPPED', `job ${state.id}: update lost because its entry was never stored`),
          state.entry,
        );
      }
    });
    return track(state.chain);
  }

  function makeRun(state: RunState): TypedJobRun {
    const sendProgress = (): void => {
      const progress = state.pendingProgress;
      if (progress === undefined || state.finished) return;
      state.pendingProgress = undefined;
      state.lastProgressAt = clock().getTime();
      void applyUpdate(state, { progress, ...renewLease(state) }, false);
    };
    const ignored = (): Promise<void> => {
      counters.ignoredJobCalls += 1;
      return Promise.resolve();
    };
    const end = (status: ActivityStatus, extra: JobUpdate): Promise<void> => {
      if (state.finished) return ignored();
      state.finished = true;
      runs.delete(state);
      if (runs.size === 0) stopHeartbeat();
      if (state.progressTimer !== undefined) clearTimeout(state.progressTimer);
      state.progressTimer = undefined;
      const now = clock();
      const update: JobUpdate = compact({
        ...extra,
        status,
        progress: state.pendingProgress,
        completedAt: now.toISOString(),
        durationMs: Math.max(0, now.getTime() - state.startedAt),
      });
      state.pendingProgress = undefined;
      return applyUpdate(state, update, true);
    };
    return {
      id: state.id,
      orgId: state.orgId,
      get finished() {
        return state.finished;
      },
      progress(processed: number, total?: number): void {
        if (state.finished) {
          counters.ignoredJobCalls += 1;
          return;
        }
        if (typeof processed !== 'number' || !Number.isFinite(processed) || processed < 0) {
          rejectUpdate(
            new ActivityError(
              'INVALID_EVENT',
              `progress.processed: must be a non-negative number, got ${safeString(processed)}`,
              {
                field: 'progress.processed',
              },
            ),
          );
          return;
        }
        if (total !== undefined) state.total = total;
        state.pendingProgress = compact({ processed, total: state.total });
        const elapsed = clock().getTime() - state.lastProgressAt;
        if (elapsed >= progressIntervalMs) sendProgress();
        else if (state.progressTimer === undefined) {
          // Trailing write, so the latest progress is stored even when the loop stops calling.
          state.progressTimer = setTimeout(() => {
            state.progressTimer = undefined;
            sendProgress();
          }, progressIntervalMs - elapsed);
          state.progressTimer.unref?.();
        }
      },
      succeed(metadata?: Record<string, unknown>): Promise<void> {
        return end('SUCCESS', { metadata });
      },
      warn(message: string, metadata?: Record<string, unknown>): Promise<void> {
        return end('WARNING', {
          summary: typeof message === 'string' ? message : safeString(message),
          metadata,
        });
      },
      fail(error: unknown, metadata?: Record<string, unknown>): Promise<void> {
        return end('FAILED', { error: toErrorInfo(error), metadata });
      },
    };
  }

  function startJob(
    name: string,
    jobOptions?: JobOptions,
  ): { run: TypedJobRun; correlationId: string | undefined } {
    let resolveCommitted: (ok: boolean) => void = () => undefined;
    const state: RunState = {
      id: '',
      orgId: '',
      entry: undefined,
      item: undefined,
      committed: new Promise<boolean>((resolve) => {
        resolveCommitted = resolve;
      }),
      chain: Promise.resolve(),
      finished: false,
      startedAt: clock().getTime(),
      total: undefined,
      lastProgressAt: 0,
      pendingProgress: undefined,
      progressTimer: undefined,
      lastBeatAt: clock().getTime(),
    };
    const result = submit(
      () => {
        const opts: JobOptions = isObject(jobOptions) ? jobOptions : {};
        const { total, ...rest } = opts;
        if (total !== undefined && (typeof total !== 'number' || !Number.isFinite(total) || total < 0)) {
          throw new ActivityError(
            'INVALID_EVENT',
            `total: must be a non-negative number, got ${safeString(total)}`,
            {
              field: 'total',
            },
          );
        }
        state.total = total;
        const id = typeof rest.id === 'string' && rest.id !== '' ? rest.id : entryIds();
        const candidate = build(
          {
            ...rest,
            id,
            type: 'BACKGROUND_JOB',
            action: name,
            // A job is run by the system unless told otherwise; who triggered it stays in the context.
            actor: rest.actor ?? SYSTEM_ACTOR,
            // The run groups its own entries: children inherit this correlation id.
            correlationId: rest.correlationId ?? currentContext()?.correlationId ?? id,
          },
          'IN_PROGRESS',
        );
        candidate.status = 'IN_PROGRESS';
        candidate.progress = { processed: 0, ...(total === undefined ? {} : { total }) };
        Object.assign(candidate, renewLease(state));
        return candidate;
      },
      (ok) => resolveCommitted(ok),
      true,
    );
    if (result instanceof ActivityError) {
      reject(result, result.code === 'QUEUE_FULL');
      resolveCommitted(false);
      // A run that could not start still honours the JobRun contract; its calls do nothing.
      state.finished = true;
      state.id = entryIds();
      return { run: makeRun(state), correlationId: undefined };
    }
    state.id = result.id;
    // Kept entries (keep = true) always carry their objects.
    const entry = result.entry as ActivityEntry;
    state.orgId = entry.orgId;
    state.entry = entry;
    state.item = result.item;
    void state.committed.then(() => {
      state.item = undefined;
    });
    runs.add(state);
    armHeartbeat();
    return { run: makeRun(state), correlationId: entry.correlationId };
  }

  // --- leases -----------------------------------------------------------------------------------

  let heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  let sweepTimer: ReturnType<typeof setInterval> | undefined;
  let sweeping: Promise<SweepResult> | undefined;

  /** The lease fields of a write that shows the run alive now. */
  function renewLease(state: RunState): { heartbeatAt: string; leaseExpiresAt: string } {
    const now = clock().getTime();
    state.lastBeatAt = now;
    return {
      heartbeatAt: new Date(now).toISOString(),
      leaseExpiresAt: new Date(now + jobLeaseMs).toISOString(),
    };
  }

  /** One timer for every live run: renews a lease no progress write renewed in the last third of it. */
  function armHeartbeat(): void {
    if (heartbeatTimer !== undefined || closed) return;
    const every = Math.max(1, Math.floor(jobLeaseMs / 3));
    heartbeatTimer = setInterval(() => {
      const now = clock().getTime();
      for (const state of runs) {
        if (!state.finished && now - state.lastBeatAt >= every) {
          void applyUpdate(state, renewLease(state), false);
        }
      }
    }, every);
    // A running job keeps the process alive by its own work; the heartbeat must not.
    heartbeatTimer.unref?.();
  }

  function stopHeartbeat(): void {
    if (heartbeatTimer !== undefined) clearInterval(heartbeatTimer);
    heartbeatTimer = undefined;
  }

  /** When a stored IN_PROGRESS run counts as abandoned: its lease's end, or the legacy grace. */
  function leaseEnd(entry: ActivityEntry): number {
    const lease = Date.parse(entry.leaseExpiresAt ?? '');
    if (Number.isFinite(lease)) return lease;
    const seen = Date.parse(entry.heartbeatAt ?? entry.recordedAt);
    return (Number.isFinite(seen) ? seen : 0) + LEGACY_LEASE_MS;
  }

  function abandonedUpdate(entry: ActivityEntry, now: number): JobUpdate {
    const lastSeen = entry.heartbeatAt ?? entry.recordedAt;
    const started = Date.parse(entry.occurredAt);
    return {
      status: 'FAILED',
      error: {
        name: 'JobAbandoned',
        code: ABANDONED,
        message: `No heartbeat since ${lastSeen}: the process running this job stopped (crash, deploy or kill) before it finished.`,
      },
      completedAt: new Date(now).toISOString(),
      durationMs: Math.max(0, (Date.parse(lastSeen) || now) - (Number.isFinite(started) ? started : now)),
    };
  }

  /** Finalises the expired runs of one org; the store's IN_PROGRESS guard makes each finalise once. */
  async function sweepOrg(orgId: string, now: number, live: Set<string>): Promise<number> {
    let swept = 0;
    let after: { occurredAt: string; id: string } | undefined;
    do {
      const page = await storeCall(
        () =>
          store.query({
            orgId,
            range: 'all',
            types: ['BACKGROUND_JOB'],
            statuses: ['IN_PROGRESS'],
            limit: 200,
            after,
          }),
        'store.query',
      );
      for (const entry of page.entries) {
        if (entry.status !== 'IN_PROGRESS' || live.has(entry.id) || leaseEnd(entry) > now) continue;
        const ok = await storeCall(
          () => store.updateJob(orgId, entry.id, abandonedUpdate(entry, now)),
          'store.updateJob',
        );
        if (ok) swept += 1;
      }
      after = page.next;
    } while (after !== undefined);
    return swept;
  }

  /**
   * Finds job runs whose lease expired (their process died) and finalises each once as FAILED with
   * error code `ABANDONED`, so the page stops waiting and Retry accepts them. Never rejects: a store
   * failure is reported through `onError` and counted.
   */
  function sweepAbandonedRuns(sweepOptions: { orgId?: string } = {}): Promise<SweepResult> {
    if (sweeping !== undefined) return sweeping;
    sweeping = (async () => {
      const now = clock().getTime();
      const live = new Set([...runs].map((state) => state.id));
      let swept = 0;
      try {
        const orgs =
          typeof sweepOptions.orgId === 'string'
            ? [sweepOptions.orgId]
            : await storeCall(() => store.listOrgs(), 'store.listOrgs');
        for (const orgId of orgs) swept += await sweepOrg(orgId, now, live);
      } catch (error) {
        bump(counters.droppedUpdates, 'sweep_failed');
        report(
          new ActivityError('STORE_FAILED', `sweepAbandonedRuns: ${toErrorInfo(error).message}`, {
            cause: error,
          }),
        );
      }
      counters.abandonedRuns += swept;
      return { abandoned: swept };
    })().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  }

  if (sweepIntervalMs > 0) {
    sweepTimer = setInterval(() => void sweepAbandonedRuns(), sweepIntervalMs);
    sweepTimer.unref?.();
  }

  function job(name: string, jobOptions?: JobOptions): TypedJobRun {
    return startJob(name, jobOptions).run;
  }

  async function runJob<T>(
    name: string,
    jobOptions: JobOptions | undefined,
    fn: (run: TypedJobRun) => Promise<T>,
  ): Promise<T> {
    const { run, correlationId } = startJob(name, jobOptions);
    const scope: ActivityContext = { parentId: run.id, correlationId };
    if (run.orgId !== '') scope.orgId = run.orgId;
    return withContext(scope, async () => {
      try {
        const value = await fn(run);
        if (!run.finished) await run.succeed();
        return value;
      } catch (error) {
        if (!run.finished) await run.fail(error);
        throw error;
      }
    });
  }

  // --- lifecycle --------------------------------------------------------------------------------

  /** Resolves when `work` does or `timeoutMs` passes (true when the work finished first). */
  function within(work: Promise<unknown>, timeoutMs: number | undefined): Promise<boolean> {
    if (timeoutMs === undefined || !(timeoutMs >= 0) || timeoutMs === Number.POSITIVE_INFINITY) {
      return work.then(() => true);
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      void work.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async function drain(): Promise<void> {
    const target = seq;
    const updates = [...pendingUpdates];
    if (lowestUnsettled() <= target) {
      const done = new Promise<void>((resolve) => waiters.push({ target, resolve }));
      drainAll = true;
      void pump();
      await done;
    }
    await Promise.allSettled(updates);
    // Updates chained while the inserts above were committing belong to what was queued at call time.
    await Promise.allSettled([...pendingUpdates]);
  }

  async function flush(drainOptions: DrainOptions = {}): Promise<void> {
    await within(drain(), drainOptions?.timeoutMs);
  }

  /** At a shutdown deadline: everything still queued or in flight is counted as dropped, once. */
  function abandonQueue(): void {
    const error = new ActivityError(
      'DROPPED',
      'shutdown() deadline passed before the store took this entry: it was not written',
    );
    abandoned = true;
    const queued = queue.splice(0);
    // In-flight bytes leave the count when their write ends (pump); queued ones leave now.
    for (const item of queued) queuedBytes -= item.bytes;
    for (const item of [...inflight, ...queued]) {
      if (item.ring >= 0) {
        ring?.release(item.ring, item.bytes);
        item.ring = -1;
      }
      if (!item.done && onError !== undefined) report(error, item.pending ? { id: item.id } : entryOf(item));
      dropItem(item, 'shutdown_timeout', error);
    }
    notifyWaiters();
  }

  function stopTimers(): void {
    if (timer !== undefined) clearTimeout(timer);
    if (immediate !== undefined) clearImmediate(immediate);
    timer = undefined;
    immediate = undefined;
    stopHeartbeat();
    if (sweepTimer !== undefined) clearInterval(sweepTimer);
    sweepTimer = undefined;
    for (const state of runs) {
      if (state.progressTimer !== undefined) clearTimeout(state.progressTimer);
      state.progressTimer = undefined;
    }
  }

  function shutdown(drainOptions: DrainOptions = {}): Promise<void> {
    if (shutdownPromise !== undefined) return shutdownPromise;
    closed = true;
    const timeoutMs = drainOptions?.timeoutMs ?? 30_000;
    const started = Date.now();
    shutdownPromise = (async () => {
      const drained = await within(drain(), timeoutMs);
      stopTimers();
      if (!drained) {
        abandonQueue();
        return;
      }
      try {
        const left = Math.max(0, timeoutMs - (Date.now() - started));
        if (store.flush !== undefined) await withDeadline(store.flush(), left || 1, 'store.flush');
      } catch (error) {
        report(
          new ActivityError('STORE_FAILED', `store.flush failed: ${toErrorInfo(error).message}`, {
            cause: error,
          }),
        );
      }
    })();
    return shutdownPromise;
  }

  function stats(): ActivityStats {
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
      queuedEntries: queue.length + inflight.length,
      queuedBytes,
    };
  }

  const activity = {
    record,
    recordDurable,
    userAction,
    webhook,
    system,
    job,
    runJob,
    withContext,
    currentContext,
    flush,
    shutdown,
    stats,
    sweepAbandonedRuns,
    isRetryable: (type: ActivityType, name: string) =>
      ACTIVITY_TYPES.includes(type) && isRetryable(type, name),
    store,
    catalog,
  };
  // The implementation is untyped (it must survive any runtime input); the catalog types its surface.
  return activity as unknown as Activity<C>;
}

/** Error codes `record()` can count under `stats().rejected`. */
export type RejectionCode = Extract<ActivityErrorCode, 'INVALID_EVENT' | 'EVENT_TOO_LARGE' | 'SHUTDOWN'>;
