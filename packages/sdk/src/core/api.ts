/**
 * The public shape of the recorder returned by `createActivity()`.
 * Other parts of the SDK (the server handler's retry and export, retention) depend only on this file.
 */
import type { ActivityError } from '../errors.js';
import type {
  ActivityEntry,
  ActivityErrorInfo,
  ActivityStatus,
  ActivityStore,
  ActivityType,
  Actor,
  EntityRef,
  FieldChange,
  RequestContext,
  WebhookInfo,
} from '../types.js';

/** Fields common to every recorded input. Anything omitted is taken from the async context or defaults. */
export interface RecordBase {
  /** Tenant. Falls back to the context's orgId, then to `defaultOrgId`. */
  orgId?: string | undefined;
  actor?: Actor | undefined;
  /** When it happened. @default now */
  occurredAt?: Date | string | undefined;
  summary?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  /** Precomputed field changes; or pass `before`/`after` and the SDK diffs them. */
  changes?: FieldChange[] | undefined;
  before?: unknown;
  after?: unknown;
  error?: unknown;
  correlationId?: string | undefined;
  parentId?: string | undefined;
  retryOf?: string | undefined;
  idempotencyKey?: string | undefined;
  context?: RequestContext | undefined;
  /** Caller-chosen id (UUIDv7 generated when omitted). */
  id?: string | undefined;
}

/** Untyped input to `record()`; the catalog narrows `action`, `entity.type` and `metadata`. */
export interface RecordInput extends RecordBase {
  type: ActivityType;
  action: string;
  status?: ActivityStatus | undefined;
  entity?: EntityRef | undefined;
  webhook?: WebhookInfo | undefined;
}

/** Options of `activity.job(name, options)`. */
export interface JobOptions extends Omit<RecordBase, 'changes' | 'before' | 'after' | 'error'> {
  entity?: EntityRef | undefined;
  /** Total units of work, when known up front. */
  total?: number | undefined;
}

/**
 * A running BACKGROUND_JOB: one entry whose status moves IN_PROGRESS → SUCCESS / WARNING / FAILED.
 * Once final, further calls are ignored (and counted).
 */
export interface JobRun {
  /** Entry id of the run. */
  readonly id: string;
  readonly orgId: string;
  /** Reports progress; throttled so a tight loop does not flood the store. */
  progress(processed: number, total?: number): void;
  /** Finishes with SUCCESS. */
  succeed(metadata?: Record<string, unknown>): Promise<void>;
  /** Finishes with WARNING ("completed with caveats"). */
  warn(message: string, metadata?: Record<string, unknown>): Promise<void>;
  /** Finishes with FAILED, capturing the error (message and stack, redacted). */
  fail(error: unknown, metadata?: Record<string, unknown>): Promise<void>;
  /** True once a final status was set. */
  readonly finished: boolean;
}

/**
 * Counters exposed by `activity.stats()`. Nothing is lost without being counted here, and at every
 * moment, for every overflow policy and path:
 * `calls = accepted + Σ rejected` and `accepted = persisted + Σ dropped + pending`.
 * Job updates (progress, heartbeats, final status) are not entries: their losses count apart, in
 * `droppedUpdates`.
 */
export interface ActivityStats {
  /** Entries handed to the recorder: `record`, `recordDurable`, the helpers and job starts. */
  calls: number;
  /** Calls whose entry was taken in: `calls` minus every rejection. */
  accepted: number;
  /** Same as `accepted` (the name before 0.2). */
  recorded: number;
  /** Accepted entries the store holds: newly inserted, or already there (a duplicate of an earlier write). */
  persisted: number;
  /** Of `persisted`, those the store newly inserted. */
  inserted: number;
  /** Of `persisted`, those the store already held (same id or idempotency key). */
  duplicates: number;
  /** Accepted entries not yet persisted nor dropped: queued or being written. */
  pending: number;
  /**
   * Entries refused, by reason (error code): invalid input or after shutdown at `record()` time,
   * `QUEUE_FULL` under the `reject` policy, or invalid when the writer validates its snapshot.
   */
  rejected: Record<string, number>;
  /**
   * Accepted entries lost, by reason: `queue_full` (evicted under `drop-oldest`), `store_failed`
   * (retries exhausted), `shutdown_timeout` (still unwritten at shutdown's deadline; with a disk buffer
   * they stay on disk for the next recorder), `buffer_corrupt` (a torn record the disk buffer skipped).
   */
  dropped: Record<string, number>;
  /** Job updates lost, by reason (`queue_full`, `store_failed`, `job_update_refused`, `job_update_lost`, `sweep_failed`). */
  droppedUpdates: Record<string, number>;
  /** Store calls attempted again after a failure. */
  retried: number;
  /** Store calls that passed their deadline (`writeTimeoutMs`). */
  timeouts: number;
  /** Calls on a job run that was already final (ignored). */
  ignoredJobCalls?: number;
  /** Runs this recorder's sweeps finalised as abandoned. */
  abandonedRuns: number;
  /** Entries a buffered recorder read back from its disk buffer at start (each also counted in `calls`). */
  replayed?: number;
  queuedEntries: number;
  queuedBytes: number;
}

/** What `sweepAbandonedRuns()` did. */
export interface SweepResult {
  /** Runs finalised as FAILED / `ABANDONED` by this sweep. */
  abandoned: number;
}

/** Async context carried through `withContext`. */
export interface ActivityContext {
  orgId?: string | undefined;
  actor?: Actor | undefined;
  correlationId?: string | undefined;
  parentId?: string | undefined;
  context?: RequestContext | undefined;
}

/** The recorder. Every method is safe to call from host code: none throws, except `recordDurable`'s promise. */
export interface ActivityRecorder {
  /**
   * Checks, snapshots and enqueues; full validation and redaction run before the write. Returns the entry
   * id, or undefined when the input was rejected at once (a later rejection goes to `onError` with the id).
   */
  record(input: RecordInput): string | undefined;
  /** Like `record`, but resolves with the stored entry once committed; rejects with an `ActivityError`. */
  recordDurable(input: RecordInput): Promise<ActivityEntry>;
  /** Starts a BACKGROUND_JOB run. The entry is written IN_PROGRESS at once. */
  job(name: string, options?: JobOptions): JobRun;
  /** Runs `fn` as a job: SUCCESS when it resolves, FAILED (error captured) when it throws; rethrows. */
  runJob<T>(name: string, options: JobOptions | undefined, fn: (run: JobRun) => Promise<T>): Promise<T>;
  /** Runs `fn` with actor, org and correlation carried to every entry recorded inside it. */
  withContext<T>(context: ActivityContext, fn: () => T): T;
  /** The current async context, if any. */
  currentContext(): ActivityContext | undefined;
  /** Writes everything queued; with `timeoutMs`, returns by then with the rest still queued. */
  flush(options?: { timeoutMs?: number | undefined }): Promise<void>;
  /**
   * Stops accepting entries and flushes. Returns by `timeoutMs` (default 30 s) whatever the store
   * does; entries still unwritten then are counted under `stats().dropped.shutdown_timeout`.
   */
  shutdown(options?: { timeoutMs?: number | undefined }): Promise<void>;
  stats(): ActivityStats;
  /**
   * Finalises job runs whose lease expired (their process died) as FAILED with error code
   * `ABANDONED`, each once whichever process sweeps. Runs on a timer by default; never rejects.
   */
  sweepAbandonedRuns(options?: { orgId?: string | undefined }): Promise<SweepResult>;
  /** True when a retry handler is registered for the entry's job name or webhook provider. */
  isRetryable(type: ActivityType, actionOrProvider: string): boolean;
  /** The store entries go to. */
  readonly store: ActivityStore;
}

/** Callback receiving every problem the pipeline hides from host code. */
export type ActivityErrorHandler = (error: ActivityError, entry?: Partial<ActivityEntry>) => void;

/** Internal helper type re-exported for adapters. */
export type ErrorLike = ActivityErrorInfo;
