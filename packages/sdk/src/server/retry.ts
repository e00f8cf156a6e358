/**
 * Retry from the entry: host code registers a handler per job name or webhook provider; a retry runs it
 * as a new BACKGROUND_JOB entry linked to the original by `retryOf`, with the viewer as actor.
 */
import type { ActivityRecorder, JobRun } from '../core/api.js';
import { ActivityError } from '../errors.js';
import type { ActivityEntry, Viewer, WebhookInfo } from '../types.js';

/** What a retry handler receives. */
export interface RetryContext {
  /** The entry being retried (always of the viewer's org). */
  entry: ActivityEntry;
  /** Who asked for the retry. */
  viewer: Viewer;
  /** The new run; report progress on it. Finished for you when the handler settles. */
  run: JobRun;
  /** Aborted when the handler is closed; long handlers should stop early. */
  signal?: AbortSignal | undefined;
}

/**
 * Re-runs the work of an entry. Resolve (optionally with metadata for the new entry) on success; throw
 * to fail the run. The handler may also finish `run` itself (warn, for instance).
 */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers written as `async () => {}` return Promise<void>
export type RetryHandler = (ctx: RetryContext) => Promise<void | Record<string, unknown>>;

/** Retry registrations: handlers by job name and by webhook provider, plus re-trigger links. */
export interface RetryOptions {
  /** Handlers by BACKGROUND_JOB action (job name), e.g. `{ SYNC_SQUARE_STOCK: async ({ run }) => … }`. */
  jobs?: Record<string, RetryHandler> | undefined;
  /** Handlers by webhook provider slug, e.g. `{ stripe: async ({ entry }) => redeliver(entry) }`. */
  providers?: Record<string, RetryHandler> | undefined;
  /** Where an entry that cannot be retried in place is re-triggered (a host page), if anywhere. */
  retriggerUrl?: ((entry: ActivityEntry) => string | undefined) | undefined;
}

const own = <T>(record: Record<string, T> | undefined, key: string | undefined): T | undefined =>
  record !== undefined && key !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;

/** The handler registered for an entry: by job name for jobs, by provider for webhooks. */
export function findRetryHandler(
  options: RetryOptions | undefined,
  entry: Pick<ActivityEntry, 'type' | 'action'> & { webhook?: Pick<WebhookInfo, 'provider'> | undefined },
): RetryHandler | undefined {
  if (entry.type === 'BACKGROUND_JOB') return own(options?.jobs, entry.action);
  if (entry.type === 'WEBHOOK') return own(options?.providers, entry.webhook?.provider);
  return undefined;
}

/** The entry as the API shows it: `retryable` and `retriggerUrl` reflect the handler's registrations. */
export function decorateEntry(options: RetryOptions | undefined, entry: ActivityEntry): ActivityEntry {
  const retryable = findRetryHandler(options, entry) !== undefined;
  const retriggerUrl = entry.retriggerUrl ?? options?.retriggerUrl?.(entry);
  const out: ActivityEntry = { ...entry, retryable };
  if (retriggerUrl !== undefined) out.retriggerUrl = retriggerUrl;
  return out;
}

/** Tracks the retries still running, so a host (or a test) can wait for them or abort them. */
export interface RetryRunner {
  /** Starts a retry of `entry` for `viewer`; resolves with the new run once its entry is started. */
  start(entry: ActivityEntry, viewer: Viewer): JobRun;
  /** Resolves when every running retry has settled. */
  idle(): Promise<void>;
  /** Aborts the signal given to running handlers. */
  abort(): void;
}

/**
 * Creates the runner. `start` throws `NOT_RETRYABLE` (with the re-trigger link as `details`) when no
 * handler is registered, and `CONFLICT` while the original is still running.
 */
export function createRetryRunner(
  activity: ActivityRecorder,
  options: RetryOptions | undefined,
): RetryRunner {
  const running = new Set<Promise<void>>();
  const controller = new AbortController();

  return {
    start(entry, viewer) {
      const handler = findRetryHandler(options, entry);
      if (handler === undefined) {
        const url = entry.retriggerUrl ?? options?.retriggerUrl?.(entry);
        throw new NotRetryableError(entry, url);
      }
      if (entry.status === 'IN_PROGRESS') {
        throw new ActivityError('CONFLICT', 'entry is still in progress; retry once it has finished', {
          status: 409,
        });
      }
      const run = activity.job(entry.action, {
        orgId: viewer.orgId,
        actor: { kind: 'user', id: viewer.userId, name: viewer.name },
        entity: entry.entity,
        retryOf: entry.id,
        correlationId: entry.correlationId,
        parentId: entry.id,
      });
      // The HTTP response does not wait for the handler: a retry may take minutes; the run's entry shows it.
      const task = (async () => {
        try {
          const metadata = await handler({ entry, viewer, run, signal: controller.signal });
          if (!run.finished) await run.succeed(metadata ?? undefined);
        } catch (error) {
          if (!run.finished) await run.fail(error);
        }
      })();
      running.add(task);
      void task.finally(() => running.delete(task));
      return run;
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    abort() {
      controller.abort();
    },
  };
}

/** `NOT_RETRYABLE`, carrying the host page where the entry can be re-triggered, when there is one. */
export class NotRetryableError extends ActivityError {
  /** Where to re-trigger the work, if the host gave one. */
  readonly retriggerUrl: string | undefined;

  constructor(entry: ActivityEntry, retriggerUrl: string | undefined) {
    super(
      'NOT_RETRYABLE',
      retriggerUrl === undefined
        ? `"${entry.action}" has no retry handler`
        : `"${entry.action}" cannot be retried in place; re-trigger it at ${retriggerUrl}`,
      { status: 409 },
    );
    this.retriggerUrl = retriggerUrl;
  }
}
