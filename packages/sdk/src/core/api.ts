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

/** Counters exposed by `activity.stats()`. Nothing is lost without being counted here. */
export interface ActivityStats {
  recorded: number;
  persisted: number;
  duplicates: number;
  /** Entries refused, by reason (error code): at `record()` time, or when the writer validates its snapshot. */
  rejected: Record<string, number>;
  /** Entries dropped from a full queue or after retries were exhausted, by reason. */
  dropped: Record<string, number>;
  retried: number;
  /** Calls on a job run that was already final (ignored). */
  ignoredJobCalls?: number;
  queuedEntries: number;
  queuedBytes: number;
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
  /** Writes everything queued. */
  flush(): Promise<void>;
  /** Flushes, then stops accepting entries. */
  shutdown(): Promise<void>;
  stats(): ActivityStats;
  /** True when a retry handler is registered for the entry's job name or webhook provider. */
  isRetryable(type: ActivityType, actionOrProvider: string): boolean;
  /** The store entries go to. */
  readonly store: ActivityStore;
}

/** Callback receiving every problem the pipeline hides from host code. */
export type ActivityErrorHandler = (error: ActivityError, entry?: Partial<ActivityEntry>) => void;

/** Internal helper type re-exported for adapters. */
export type ErrorLike = ActivityErrorInfo;
