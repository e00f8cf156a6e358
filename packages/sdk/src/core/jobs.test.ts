import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityError } from '../errors.js';
import type { ActivityEntry, ActivityStore, JobUpdate, StorePage } from '../types.js';
import { bump, createCounters } from './counters.js';
import { entryConfig, finishEntry } from './entry.js';
import { asActivityError } from './errorInfo.js';
import { type JobHost, JobRunner } from './jobs.js';
import { EntryQueue, newQueueItem, type QueueItem } from './queue.js';

const ORG = 'org_jobs';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] as const;

type Answer = 'ok' | 'refuse' | 'fail';

/** A fake store for job updates and sweeps, and a host around a real queue with no writer. */
function setup(options: Partial<JobHost> & { answer?: () => Answer; stored?: ActivityEntry[] } = {}) {
  const counters = createCounters();
  const errors: ActivityError[] = [];
  const report = (error: ActivityError) => void errors.push(error);
  const config = entryConfig({ store: {} as ActivityStore, defaultOrgId: ORG });
  const queue = new EntryQueue({ maxBytes: 1 << 20, overflow: 'drop-oldest', counters, report });
  const updates: { id: string; update: JobUpdate; at: number }[] = [];
  const stored = options.stored ?? [];
  const final = new Set<string>();
  const store: JobHost['store'] = {
    async updateJob(_org, id, update) {
      updates.push({ id, update, at: Date.now() });
      const answer = options.answer?.() ?? 'ok';
      if (answer === 'fail') throw new Error('connection reset');
      if (answer === 'refuse' || final.has(id)) return false;
      if (update.status !== undefined && update.status !== 'IN_PROGRESS') final.add(id);
      return true;
    },
    async query(filter): Promise<StorePage> {
      return { entries: stored.filter((e) => e.orgId === filter.orgId && !final.has(e.id)), next: undefined };
    },
    async listOrgs() {
      return [...new Set(stored.map((e) => e.orgId))];
    },
  };
  const inserts: QueueItem[] = [];
  let drains = 0;
  const host: JobHost = {
    config,
    store,
    counters,
    queue,
    drainSoon: () => {
      drains += 1;
    },
    submit(make, settle) {
      counters.calls += 1;
      try {
        const prepared = finishEntry(config, make());
        const item = newQueueItem(prepared.id, prepared.json, prepared.bytes, false, prepared.entry, settle);
        queue.enqueue(item);
        inserts.push(item);
        return { id: item.id, entry: item.entry, item };
      } catch (error) {
        return asActivityError(error);
      }
    },
    rejectStart: (error) => bump(counters.rejected, error.code),
    report,
    retry: { maxRetries: 2, retryBaseMs: 100, retryMaxMs: 1_000, random: () => 0.5 },
    writeTimeoutMs: 0,
    jobLeaseMs: 60_000,
    progressIntervalMs: 500,
    sweepIntervalMs: 0,
    isClosed: () => false,
    ...options,
  };
  const jobs = new JobRunner(host);
  /** The writer took the insert and the store committed it (or lost it). */
  const commit = (item: QueueItem | undefined, ok = true) => {
    queue.take(queue.length);
    item?.settle?.(ok);
  };
  return { jobs, counters, errors, queue, updates, inserts, commit, store, drains: () => drains, final };
}

describe('JobRunner', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: [...TIMERS] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('enqueues the run IN_PROGRESS with a lease, and folds updates into it while the writer has not taken it', async () => {
    const { jobs, inserts, updates, drains, commit } = setup();
    const run = jobs.job('IMPORT', { total: 10 });
    const item = inserts[0];
    expect(item?.entry).toMatchObject({
      type: 'BACKGROUND_JOB',
      status: 'IN_PROGRESS',
      action: 'IMPORT',
      progress: { processed: 0, total: 10 },
      heartbeatAt: new Date(T0).toISOString(),
      leaseExpiresAt: new Date(T0 + 60_000).toISOString(),
    });
    run.progress(4);
    expect(item?.entry?.progress).toEqual({ processed: 4, total: 10 });
    const done = run.succeed({ rows: 10 });
    expect(item?.entry).toMatchObject({ status: 'SUCCESS', metadata: { rows: 10 } });
    expect(JSON.parse(item?.json ?? '{}')).toMatchObject({ status: 'SUCCESS', progress: { processed: 4 } });
    expect(drains()).toBe(1);
    commit(item);
    await done;
    expect(updates).toHaveLength(0);
  });

  it('chains an update after the insert commits once the writer took it, never before', async () => {
    const { jobs, inserts, updates, queue } = setup();
    const run = jobs.job('IMPORT');
    const item = inserts[0] as QueueItem;
    queue.take(1);
    const done = run.fail(new Error('boom'));
    await vi.advanceTimersByTimeAsync(10);
    expect(updates).toHaveLength(0);
    item.settle?.(true);
    await done;
    expect(updates).toHaveLength(1);
    expect(updates[0]?.update).toMatchObject({ status: 'FAILED', error: { message: 'boom' } });
  });

  it('counts an update lost when its insert was never stored', async () => {
    const { jobs, inserts, updates, counters, queue } = setup();
    const run = jobs.job('IMPORT');
    queue.take(1);
    const done = run.succeed();
    inserts[0]?.settle?.(false);
    await done;
    expect(updates).toHaveLength(0);
    expect(counters.droppedUpdates).toEqual({ job_update_lost: 1 });
  });

  it('throttles progress to one write per interval and always writes the last value', async () => {
    const { jobs, inserts, updates, commit } = setup();
    const run = jobs.job('IMPORT');
    commit(inserts[0]);
    run.progress(1);
    run.progress(2);
    run.progress(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(updates.map((u) => u.update.progress?.processed)).toEqual([1]);
    await vi.advanceTimersByTimeAsync(500);
    expect(updates.map((u) => u.update.progress?.processed)).toEqual([1, 3]);
    expect(updates[1]?.at).toBe(T0 + 500);
    // Every progress write renews the lease.
    expect(updates[1]?.update.leaseExpiresAt).toBe(new Date(T0 + 500 + 60_000).toISOString());
  });

  it('renews the lease by heartbeat every third of it while the run lives, and stops when it ends', async () => {
    const { jobs, inserts, updates, commit } = setup({ jobLeaseMs: 3_000 });
    const run = jobs.job('IMPORT');
    commit(inserts[0]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.update).toEqual({
      heartbeatAt: new Date(T0 + 1_000).toISOString(),
      leaseExpiresAt: new Date(T0 + 4_000).toISOString(),
    });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(updates).toHaveLength(3);
    await run.succeed();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(updates).toHaveLength(4);
    expect(updates[3]?.update.status).toBe('SUCCESS');
  });

  it('retries a failing update with backoff, then counts it under droppedUpdates.store_failed', async () => {
    const { jobs, inserts, updates, counters, commit, errors } = setup({ answer: () => 'fail' });
    const run = jobs.job('IMPORT');
    commit(inserts[0]);
    const done = run.succeed();
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
    expect(updates.map((u) => u.at - T0)).toEqual([0, 50, 150]);
    expect(counters.retried).toBe(2);
    expect(counters.droppedUpdates).toEqual({ store_failed: 1 });
    expect(errors.map((e) => e.code)).toEqual(['STORE_FAILED']);
  });

  it('counts calls on a final run as ignored, and refuses invalid progress apart from entries', async () => {
    const { jobs, inserts, counters, commit } = setup();
    const run = jobs.job('IMPORT');
    commit(inserts[0]);
    run.progress(-1);
    expect(counters.droppedUpdates).toEqual({ INVALID_EVENT: 1 });
    await run.succeed();
    await run.fail(new Error('late'));
    run.progress(5);
    expect(counters.ignoredJobCalls).toBe(2);
    expect(run.finished).toBe(true);
  });

  it('runJob: SUCCESS when the function resolves, FAILED (rethrown) when it throws, inside the run context', async () => {
    const { jobs, inserts, commit } = setup();
    const seen: unknown[] = [];
    const ok = jobs.runJob('A', undefined, async (run) => {
      const { currentContext } = await import('./context.js');
      seen.push(currentContext()?.parentId === run.id);
      return 7;
    });
    commit(inserts[0]);
    expect(await ok).toBe(7);
    expect(seen).toEqual([true]);
    const failing = jobs.runJob('B', undefined, async () => {
      throw new Error('nope');
    });
    commit(inserts[1]);
    await expect(failing).rejects.toThrow('nope');
  });

  it('a run that cannot start still answers the JobRun contract and counts the rejection', async () => {
    const { jobs, counters, inserts } = setup();
    const run = jobs.job('IMPORT', { total: -1 });
    expect(inserts).toHaveLength(0);
    expect(counters.rejected).toEqual({ INVALID_EVENT: 1 });
    expect(run.finished).toBe(true);
    await run.succeed();
    expect(counters.ignoredJobCalls).toBe(1);
  });
});

describe('JobRunner sweeper', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: [...TIMERS] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const stale = (id: string, lease: number | undefined, orgId = ORG): ActivityEntry =>
    ({
      id,
      orgId,
      type: 'BACKGROUND_JOB',
      status: 'IN_PROGRESS',
      occurredAt: new Date(T0 - 3_600_000).toISOString(),
      recordedAt: new Date(T0 - 3_600_000).toISOString(),
      heartbeatAt: lease === undefined ? undefined : new Date(lease - 60_000).toISOString(),
      leaseExpiresAt: lease === undefined ? undefined : new Date(lease).toISOString(),
    }) as ActivityEntry;

  it('finalises each expired run once as FAILED / ABANDONED, leaving live and unexpired runs alone', async () => {
    const stored = [
      stale('expired', T0 - 1),
      stale('fresh', T0 + 30_000),
      stale('other-org', T0 - 5_000, 'org_b'),
      stale('legacy-recent', undefined),
    ];
    const { jobs, updates, counters } = setup({ stored });
    const run = jobs.job('IMPORT');
    stored.push(stale(run.id, T0 - 1));
    expect(await jobs.sweepAbandonedRuns()).toEqual({ abandoned: 2 });
    expect(updates.map((u) => u.id).sort()).toEqual(['expired', 'other-org']);
    expect(updates[0]?.update).toMatchObject({
      status: 'FAILED',
      error: { code: 'ABANDONED', name: 'JobAbandoned' },
      completedAt: new Date(T0).toISOString(),
    });
    expect(updates[0]?.update.error?.message).toContain(new Date(T0 - 60_001).toISOString());
    expect(await jobs.sweepAbandonedRuns()).toEqual({ abandoned: 0 });
    expect(counters.abandonedRuns).toBe(2);
  });

  it('treats a run stored without a lease as abandoned a day after it was last seen', async () => {
    const stored = [stale('legacy', undefined)];
    const { jobs } = setup({ stored });
    expect(await jobs.sweepAbandonedRuns()).toEqual({ abandoned: 0 });
    vi.setSystemTime(T0 + 24 * 3_600_000);
    expect(await jobs.sweepAbandonedRuns({ orgId: ORG })).toEqual({ abandoned: 1 });
  });

  it('never rejects: a failing store is reported and counted as sweep_failed', async () => {
    const { jobs, counters, errors, store } = setup();
    store.listOrgs = () => Promise.reject(new Error('down'));
    expect(await jobs.sweepAbandonedRuns()).toEqual({ abandoned: 0 });
    expect(counters.droppedUpdates).toEqual({ sweep_failed: 1 });
    expect(errors[0]?.message).toContain('down');
  });

  it('sweeps on its timer when sweepIntervalMs is set', async () => {
    const { jobs, updates } = setup({ stored: [stale('expired', T0 - 1)], sweepIntervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(updates.map((u) => u.id)).toEqual(['expired']);
    jobs.stop();
  });
});
