/**
 * Job runs: one BACKGROUND_JOB entry moved IN_PROGRESS → SUCCESS / WARNING / FAILED. Progress is
 * throttled; every write renews the run's lease, and a heartbeat renews it while the process lives;
 * a sweeper finalises the runs of processes that died. An update never reaches the store before the
 * row it updates: it folds into the queued insert, or follows the insert's commit.
 */
import { ActivityError } from '../errors.js';
import type { ActivityEntry, ActivityStatus, ActivityStore, JobProgress, JobUpdate } from '../types.js';
import type { ActivityContext, JobOptions, SweepResult } from './api.js';
import { currentContext, withContext } from './context.js';
import { bump, type Counters } from './counters.js';
import { storeCall } from './deadline.js';
import { buildEntry, type EntryConfig, finishEntry, newEntryId, SYSTEM_ACTOR } from './entry.js';
import { asActivityError, compact, isObject, safeString, toErrorInfo } from './errorInfo.js';
import type { Submitted } from './intake.js';
import type { EntryQueue, QueueItem, Reporter } from './queue.js';
import type { TypedJobRun } from './recorderTypes.js';
import { backoff, type RetryPolicy, sleep } from './retry.js';
import { type StoreCaller, sweepStore } from './sweeper.js';
import type { PreparedEntry } from './validate.js';

/** What job runs need from the recorder around them. */
export interface JobHost {
  config: EntryConfig;
  store: Pick<ActivityStore, 'updateJob' | 'query' | 'listOrgs'>;
  counters: Counters;
  queue: Pick<EntryQueue, 'makeRoom' | 'resize' | 'overflowError' | 'noteOverflow'>;
  /** Writes what is queued on the next turn (a final state someone may await). */
  drainSoon(): void;
  /** Validates in full and enqueues the run's insert, kept as objects; settles once stored or lost. */
  submit(make: () => Record<string, unknown>, settle: (ok: boolean) => void): Submitted | ActivityError;
  /** Counts and reports a run that could not start. */
  rejectStart(error: ActivityError): void;
  report: Reporter;
  retry: RetryPolicy;
  writeTimeoutMs: number;
  jobLeaseMs: number;
  progressIntervalMs: number;
  /** 0: this recorder does not sweep on a timer. */
  sweepIntervalMs: number;
  isClosed(): boolean;
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

/** The job runs of one recorder, their leases and its sweeper. */
export class JobRunner {
  readonly #h: JobHost;
  readonly #runs = new Set<RunState>();
  readonly #updates = new Set<Promise<void>>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #sweeping: Promise<SweepResult> | undefined;
  readonly #call: StoreCaller;

  constructor(host: JobHost) {
    this.#h = host;
    this.#call = (call, what) =>
      storeCall(call, host.writeTimeoutMs, what, () => {
        host.counters.timeouts += 1;
      });
    if (host.sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => void this.sweepAbandonedRuns(), host.sweepIntervalMs);
      this.#sweepTimer.unref?.();
    }
  }

  /** Starts a run: its IN_PROGRESS entry is enqueued at once. */
  job(name: string, options?: JobOptions): TypedJobRun {
    return this.#start(name, options).run;
  }

  /** Runs `fn` as a job inside its context: SUCCESS when it resolves, FAILED when it throws (rethrown). */
  async runJob<T>(
    name: string,
    options: JobOptions | undefined,
    fn: (run: TypedJobRun) => Promise<T>,
  ): Promise<T> {
    const { run, correlationId } = this.#start(name, options);
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

  /** Resolves once `entries` (the writer's) has and the job updates under way now are done. */
  async drain(entries: () => Promise<void>): Promise<void> {
    const updates = [...this.#updates];
    await entries();
    await Promise.allSettled(updates);
    // Updates chained while the inserts above were committing belong to what was queued at call time.
    await Promise.allSettled([...this.#updates]);
  }

  /**
   * Finds job runs whose lease expired (their process died) and finalises each once as FAILED with
   * error code `ABANDONED`. Never rejects: a store failure is reported through `onError` and counted.
   */
  sweepAbandonedRuns(options: { orgId?: string | undefined } = {}): Promise<SweepResult> {
    if (this.#sweeping !== undefined) return this.#sweeping;
    const { store, counters, report, config } = this.#h;
    this.#sweeping = (async () => {
      const now = config.clock().getTime();
      const live = new Set([...this.#runs].map((state) => state.id));
      const tally = { swept: 0 };
      try {
        await sweepStore(store, this.#call, now, live, tally, options?.orgId);
      } catch (error) {
        bump(counters.droppedUpdates, 'sweep_failed');
        report?.(
          new ActivityError('STORE_FAILED', `sweepAbandonedRuns: ${toErrorInfo(error).message}`, {
            cause: error,
          }),
        );
      }
      counters.abandonedRuns += tally.swept;
      return { abandoned: tally.swept };
    })().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  /** Clears every timer: heartbeat, sweeper and trailing progress writes. */
  stop(): void {
    this.#stopHeartbeat();
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    for (const state of this.#runs) {
      if (state.progressTimer !== undefined) clearTimeout(state.progressTimer);
      state.progressTimer = undefined;
    }
  }

  #start(name: string, jobOptions?: JobOptions): { run: TypedJobRun; correlationId: string | undefined } {
    const { config } = this.#h;
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
      startedAt: config.clock().getTime(),
      total: undefined,
      lastProgressAt: 0,
      pendingProgress: undefined,
      progressTimer: undefined,
      lastBeatAt: config.clock().getTime(),
    };
    const result = this.#h.submit(
      () => this.#candidate(state, name, jobOptions),
      (ok) => resolveCommitted(ok),
    );
    if (result instanceof ActivityError) {
      this.#h.rejectStart(result);
      resolveCommitted(false);
      // A run that could not start still honours the JobRun contract; its calls do nothing.
      state.finished = true;
      state.id = newEntryId();
      return { run: this.#makeRun(state), correlationId: undefined };
    }
    state.id = result.id;
    // Kept entries always carry their objects.
    const entry = result.entry as ActivityEntry;
    state.orgId = entry.orgId;
    state.entry = entry;
    state.item = result.item;
    void state.committed.then(() => {
      state.item = undefined;
    });
    this.#runs.add(state);
    this.#armHeartbeat();
    return { run: this.#makeRun(state), correlationId: entry.correlationId };
  }

  /** The IN_PROGRESS entry of a run starting. May throw. */
  #candidate(state: RunState, name: string, jobOptions: JobOptions | undefined): Record<string, unknown> {
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
    const id = typeof rest.id === 'string' && rest.id !== '' ? rest.id : newEntryId();
    const candidate = buildEntry(
      this.#h.config,
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
    Object.assign(candidate, this.#renewLease(state));
    return candidate;
  }

  #makeRun(state: RunState): TypedJobRun {
    const counters = this.#h.counters;
    const end = (status: ActivityStatus, extra: JobUpdate): Promise<void> => {
      if (state.finished) {
        counters.ignoredJobCalls += 1;
        return Promise.resolve();
      }
      return this.#finish(state, status, extra);
    };
    return {
      id: state.id,
      orgId: state.orgId,
      get finished() {
        return state.finished;
      },
      progress: (processed: number, total?: number): void => this.#progress(state, processed, total),
      succeed: (metadata?: Record<string, unknown>) => end('SUCCESS', { metadata }),
      warn: (message: string, metadata?: Record<string, unknown>) =>
        end('WARNING', { summary: typeof message === 'string' ? message : safeString(message), metadata }),
      fail: (error: unknown, metadata?: Record<string, unknown>) =>
        end('FAILED', { error: toErrorInfo(error), metadata }),
    };
  }

  #progress(state: RunState, processed: number, total: number | undefined): void {
    if (state.finished) {
      this.#h.counters.ignoredJobCalls += 1;
      return;
    }
    if (typeof processed !== 'number' || !Number.isFinite(processed) || processed < 0) {
      this.#rejectUpdate(
        new ActivityError(
          'INVALID_EVENT',
          `progress.processed: must be a non-negative number, got ${safeString(processed)}`,
          { field: 'progress.processed' },
        ),
      );
      return;
    }
    const { clock } = this.#h.config;
    const interval = this.#h.progressIntervalMs;
    if (total !== undefined) state.total = total;
    state.pendingProgress = compact({ processed, total: state.total });
    const elapsed = clock().getTime() - state.lastProgressAt;
    if (elapsed >= interval) this.#sendProgress(state);
    else if (state.progressTimer === undefined) {
      // Trailing write, so the latest progress is stored even when the loop stops calling.
      state.progressTimer = setTimeout(() => {
        state.progressTimer = undefined;
        this.#sendProgress(state);
      }, interval - elapsed);
      state.progressTimer.unref?.();
    }
  }

  #sendProgress(state: RunState): void {
    const progress = state.pendingProgress;
    if (progress === undefined || state.finished) return;
    state.pendingProgress = undefined;
    state.lastProgressAt = this.#h.config.clock().getTime();
    void this.#applyUpdate(state, { progress, ...this.#renewLease(state) }, false);
  }

  /** The final transition: SUCCESS, WARNING or FAILED, with the progress not yet written. */
  #finish(state: RunState, status: ActivityStatus, extra: JobUpdate): Promise<void> {
    state.finished = true;
    this.#runs.delete(state);
    if (this.#runs.size === 0) this.#stopHeartbeat();
    if (state.progressTimer !== undefined) clearTimeout(state.progressTimer);
    state.progressTimer = undefined;
    const now = this.#h.config.clock();
    const update: JobUpdate = compact({
      ...extra,
      status,
      progress: state.pendingProgress,
      completedAt: now.toISOString(),
      durationMs: Math.max(0, now.getTime() - state.startedAt),
    });
    state.pendingProgress = undefined;
    return this.#applyUpdate(state, update, true);
  }

  /** A job update refused (invalid progress, metadata or error): not an entry, so counted apart. */
  #rejectUpdate(error: ActivityError): void {
    bump(this.#h.counters.droppedUpdates, error.code);
    this.#h.report?.(error);
  }

  /** Validates and redacts an update against the run's entry; the final status lands even without its extras. */
  #prepareUpdate(
    state: RunState,
    raw: JobUpdate,
    final: boolean,
  ): { update: JobUpdate; prepared: PreparedEntry } | undefined {
    const base = state.entry as ActivityEntry;
    const { config } = this.#h;
    try {
      const candidate = compact({
        ...base,
        ...compact({ ...raw }),
        metadata: raw.metadata === undefined ? base.metadata : { ...base.metadata, ...raw.metadata },
      });
      return { update: raw, prepared: finishEntry(config, candidate) };
    } catch (error) {
      this.#rejectUpdate(asActivityError(error));
      if (!final) return undefined;
      // The final status must land even when its metadata or error cannot be stored.
      const update = compact({
        status: raw.status,
        completedAt: raw.completedAt,
        durationMs: raw.durationMs,
        progress: raw.progress,
      });
      try {
        return { update, prepared: finishEntry(config, compact({ ...base, ...update })) };
      } catch {
        return undefined;
      }
    }
  }

  /**
   * Applies an update: folded into the queued insert when the writer has not taken it yet, or
   * chained after the insert's commit otherwise, so an update never reaches the store before its row.
   */
  #applyUpdate(state: RunState, raw: JobUpdate, final: boolean): Promise<void> {
    if (state.entry === undefined) return Promise.resolve();
    const ready = this.#prepareUpdate(state, raw, final);
    if (ready === undefined) return Promise.resolve();
    const { update, prepared } = ready;
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
      const { queue } = this.#h;
      // Folding grows a queued entry: the byte bound and its policy apply as to a new one.
      if (queue.makeRoom(prepared.bytes - item.bytes, item)) {
        queue.resize(item, prepared.bytes);
        item.json = prepared.json;
        item.entry = merged;
        // The caller may await the final state: write it now rather than after the interval.
        if (final) this.#h.drainSoon();
        return state.committed.then(() => undefined);
      }
      if (!final) {
        // Progress is superseded by the next write anyway: dropped and counted.
        bump(this.#h.counters.droppedUpdates, 'queue_full');
        queue.noteOverflow(queue.overflowError(`progress update of job ${state.id} dropped`), () => merged);
        return Promise.resolve();
      }
      // The final state must land: it follows the queued insert as a store update instead, held
      // outside the queue like updates of entries already taken. It carries the progress that
      // could not be folded in either.
      if (merged.progress !== undefined) late = { ...clean, progress: merged.progress };
    }
    state.chain = state.chain.then(async () => {
      if (await state.committed) await this.#updateWithRetry(state, late);
      else {
        bump(this.#h.counters.droppedUpdates, 'job_update_lost');
        this.#h.report?.(
          new ActivityError('DROPPED', `job ${state.id}: update lost because its entry was never stored`),
          state.entry,
        );
      }
    });
    return this.#track(state.chain);
  }

  #track(promise: Promise<void>): Promise<void> {
    this.#updates.add(promise);
    void promise.finally(() => this.#updates.delete(promise));
    return promise;
  }

  /** Applies `updateJob` with the same retry policy as appends. Never rejects. */
  async #updateWithRetry(state: RunState, update: JobUpdate): Promise<void> {
    const { store, counters, report, retry } = this.#h;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      try {
        const ok = await this.#call(() => store.updateJob(state.orgId, state.id, update), 'store.updateJob');
        if (!ok) {
          bump(counters.droppedUpdates, 'job_update_refused');
          report?.(
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
        if (attempt >= retry.maxRetries) break;
        counters.retried += 1;
        await sleep(backoff(attempt + 1, retry));
      }
    }
    bump(counters.droppedUpdates, 'store_failed');
    report?.(
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

  /** The lease fields of a write that shows the run alive now. */
  #renewLease(state: RunState): { heartbeatAt: string; leaseExpiresAt: string } {
    const now = this.#h.config.clock().getTime();
    state.lastBeatAt = now;
    return {
      heartbeatAt: new Date(now).toISOString(),
      leaseExpiresAt: new Date(now + this.#h.jobLeaseMs).toISOString(),
    };
  }

  /** One timer for every live run: renews a lease no progress write renewed in the last third of it. */
  #armHeartbeat(): void {
    if (this.#heartbeat !== undefined || this.#h.isClosed()) return;
    const every = Math.max(1, Math.floor(this.#h.jobLeaseMs / 3));
    this.#heartbeat = setInterval(() => {
      const now = this.#h.config.clock().getTime();
      for (const state of this.#runs) {
        if (!state.finished && now - state.lastBeatAt >= every) {
          void this.#applyUpdate(state, this.#renewLease(state), false);
        }
      }
    }, every);
    // A running job keeps the process alive by its own work; the heartbeat must not.
    this.#heartbeat.unref?.();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
