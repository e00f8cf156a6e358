/**
 * Regression tests of "Trust, part 1" faults 2, 3 and 5 on the recorder: deadlines on every store
 * call and on shutdown, one counter identity on every path, and leases that end zombie job runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActivityError } from '../errors.js';
import { createSqliteStore } from '../sqlite/store.js';
import { createMemoryStore } from '../testing/memoryStore.js';
import type { ActivityEntry, ActivityStore, AppendResult, JobUpdate } from '../types.js';
import { type ActivityOptions, createActivity } from './activity.js';
import type { ActivityStats, RecordInput } from './api.js';

const ORG = 'org_faults';

type Mode = 'ok' | 'fail' | 'hang';

/** A memory store whose calls can be made to fail or to hang (accept the call, never answer). */
function switchableStore() {
  const inner = createMemoryStore();
  let mode: Mode = 'ok';
  const calls = { append: 0, updateJob: 0 };
  const gate = <T>(work: () => Promise<T>): Promise<T> => {
    if (mode === 'fail') return Promise.reject(new Error('connection refused'));
    if (mode === 'hang') return new Promise<T>(() => undefined);
    return work();
  };
  const store: ActivityStore = {
    ...inner,
    append(entries: ActivityEntry[]): Promise<AppendResult> {
      calls.append += 1;
      return gate(() => inner.append(entries));
    },
    updateJob(orgId: string, id: string, update: JobUpdate): Promise<boolean> {
      calls.updateJob += 1;
      return gate(() => inner.updateJob(orgId, id, update));
    },
  };
  return {
    store,
    inner,
    calls,
    set mode(next: Mode) {
      mode = next;
    },
  };
}

const event = (n: number, extra: Partial<RecordInput> = {}): RecordInput => ({
  type: 'USER_ACTION',
  action: 'contact.updated',
  entity: { type: 'contact', id: `c_${n}`, label: `Contact ${n}` },
  metadata: { n },
  ...extra,
});

const sum = (map: Record<string, number>) => Object.values(map).reduce((a, b) => a + b, 0);

/** The identity of docs/event-model.md, "Counters". */
function expectIdentity(stats: ActivityStats): void {
  expect(stats.calls).toBe(stats.accepted + sum(stats.rejected));
  expect(stats.accepted).toBe(stats.persisted + sum(stats.dropped) + stats.pending);
  expect(stats.persisted).toBe(stats.inserted + stats.duplicates);
  expect(stats.pending).toBeGreaterThanOrEqual(0);
}

async function storedCount(store: ActivityStore): Promise<number> {
  return (await store.facets({ orgId: ORG, range: 'all' })).total;
}

const elapsed = async (work: Promise<unknown>): Promise<number> => {
  const start = performance.now();
  await work;
  return performance.now() - start;
};

describe('fault 2 — store calls have deadlines; flush and shutdown return by theirs', () => {
  it('fault 2: a store that never answers: shutdown({ timeoutMs }) returns by its deadline and counts every unwritten entry', async () => {
    const s = switchableStore();
    s.mode = 'hang';
    const errors: ActivityError[] = [];
    const activity = createActivity({
      store: s.store,
      defaultOrgId: ORG,
      flushIntervalMs: 5,
      writeTimeoutMs: 40,
      maxRetries: 50,
      retryBaseMs: 1,
      retryMaxMs: 5,
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 25; i++) activity.record(event(i));
    const ms = await elapsed(activity.shutdown({ timeoutMs: 300 }));
    expect(ms).toBeLessThan(600);
    const stats = activity.stats();
    expectIdentity(stats);
    expect(stats.pending).toBe(0);
    expect(stats.persisted).toBe(0);
    expect(sum(stats.dropped)).toBe(25);
    expect(stats.dropped.shutdown_timeout).toBeGreaterThan(0);
    // The hung call timed out and was retried, more than once: the writer never stopped retrying.
    expect(stats.timeouts).toBeGreaterThanOrEqual(2);
    expect(s.calls.append).toBeGreaterThanOrEqual(2);
    expect(errors.some((e) => e.code === 'DROPPED')).toBe(true);
  });

  it('fault 2: an in-flight write that passes its deadline is retried and lands once the store answers again', async () => {
    const s = switchableStore();
    s.mode = 'hang';
    const activity = createActivity({
      store: s.store,
      defaultOrgId: ORG,
      flushIntervalMs: 5,
      writeTimeoutMs: 30,
      maxRetries: 20,
      retryBaseMs: 5,
      retryMaxMs: 20,
    });
    const ids = Array.from({ length: 10 }, (_, i) => activity.record(event(i)));
    for (let i = 0; i < 200 && activity.stats().timeouts === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(activity.stats().timeouts).toBeGreaterThanOrEqual(1);
    s.mode = 'ok';
    await activity.shutdown({ timeoutMs: 2_000 });
    const stats = activity.stats();
    expectIdentity(stats);
    expect(stats).toMatchObject({ persisted: 10, pending: 0, dropped: {} });
    for (const id of ids) expect(await s.inner.get(ORG, id as string)).toBeDefined();
    expect(await storedCount(s.inner)).toBe(10);
  });

  it('fault 2: flush({ timeoutMs }) returns by its deadline with the rest still pending', async () => {
    const s = switchableStore();
    s.mode = 'hang';
    const activity = createActivity({ store: s.store, defaultOrgId: ORG, writeTimeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) activity.record(event(i));
    const ms = await elapsed(activity.flush({ timeoutMs: 100 }));
    expect(ms).toBeLessThan(400);
    expect(activity.stats().pending).toBe(5);
    expectIdentity(activity.stats());
    await activity.shutdown({ timeoutMs: 50 });
    expect(activity.stats()).toMatchObject({ pending: 0, dropped: { shutdown_timeout: 5 } });
  });

  it('fault 2: shutdown() with no options is bounded too (30 s default), and job updates have deadlines', async () => {
    const s = switchableStore();
    const activity = createActivity({
      store: s.store,
      defaultOrgId: ORG,
      flushIntervalMs: 1,
      writeTimeoutMs: 30,
      maxRetries: 1,
      retryBaseMs: 1,
    });
    const run = activity.job('SYNC_SQUARE_STOCK');
    await activity.flush();
    s.mode = 'hang';
    const ms = await elapsed(run.succeed());
    expect(ms).toBeLessThan(1_000);
    expect(activity.stats().droppedUpdates.store_failed).toBe(1);
    expect(activity.stats().timeouts).toBe(2);
    await activity.shutdown();
  });
});

describe('fault 3 — one counter identity for every policy and path', () => {
  it('fault 3: a refused call under overflow "reject" is rejected, never counted as accepted', async () => {
    const s = switchableStore();
    s.mode = 'hang';
    const activity = createActivity({
      store: s.store,
      defaultOrgId: ORG,
      overflow: 'reject',
      maxQueueBytes: 2_000,
      writeTimeoutMs: 20,
      flushIntervalMs: 60_000,
    });
    const ids = Array.from({ length: 30 }, (_, i) => activity.record(event(i)));
    const refused = ids.filter((id) => id === undefined).length;
    expect(refused).toBeGreaterThan(0);
    const stats = activity.stats();
    expect(stats.rejected.QUEUE_FULL).toBe(refused);
    expect(stats.calls).toBe(30);
    expect(stats.accepted).toBe(30 - refused);
    expectIdentity(stats);
    await activity.shutdown({ timeoutMs: 50 });
    expectIdentity(activity.stats());
  });

  type Step =
    | { kind: 'record'; n: number }
    | { kind: 'invalid' }
    | { kind: 'deferred-invalid' }
    | { kind: 'durable'; n: number }
    | { kind: 'duplicate' }
    | { kind: 'job'; finish: 'succeed' | 'fail' | 'none' }
    | { kind: 'mode'; mode: Mode }
    | { kind: 'wait'; ms: number };

  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: fc.nat(999).map((n) => ({ kind: 'record' as const, n })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'invalid' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'deferred-invalid' as const }) },
    { weight: 1, arbitrary: fc.nat(999).map((n) => ({ kind: 'durable' as const, n })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'duplicate' as const }) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('succeed', 'fail', 'none')
        .map((finish) => ({ kind: 'job' as const, finish })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Mode>('ok', 'fail', 'hang').map((mode) => ({ kind: 'mode' as const, mode })),
    },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }).map((ms) => ({ kind: 'wait' as const, ms })) },
  );

  it('fault 3: calls = accepted + rejected and accepted = persisted + dropped + pending, at every step (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.constantFrom<'reject' | 'drop-oldest'>('reject', 'drop-oldest'),
        fc.constantFrom(1_500, 6_000, 1_000_000),
        fc.boolean(),
        async (steps, overflow, maxQueueBytes, endHealthy) => {
          const s = switchableStore();
          const options: ActivityOptions = {
            store: s.store,
            defaultOrgId: ORG,
            overflow,
            maxQueueBytes,
            batchSize: 4,
            flushIntervalMs: 2,
            writeTimeoutMs: 10,
            maxRetries: 1,
            retryBaseMs: 1,
            retryMaxMs: 2,
            limits: { maxStringLength: 200 },
            sweepIntervalMs: false,
          };
          const activity = createActivity(options);
          const durable: Promise<unknown>[] = [];
          for (const st of steps) {
            switch (st.kind) {
              case 'record':
                activity.record(event(st.n));
                break;
              case 'invalid':
                activity.record({ type: 'NOPE' } as unknown as RecordInput);
                break;
              case 'deferred-invalid':
                activity.record(event(1, { metadata: { note: 'x'.repeat(300) } }));
                break;
              case 'durable':
                durable.push(activity.recordDurable(event(st.n)).catch(() => undefined));
                break;
              case 'duplicate':
                activity.record(event(2, { idempotencyKey: 'same-key' }));
                break;
              case 'job': {
                const run = activity.job('SYNC_SQUARE_STOCK');
                run.progress(1, 2);
                if (st.finish === 'succeed') void run.succeed();
                if (st.finish === 'fail') void run.fail(new Error('boom'));
                break;
              }
              case 'mode':
                s.mode = st.mode;
                break;
              case 'wait':
                await new Promise((resolve) => setTimeout(resolve, st.ms));
                break;
            }
            expectIdentity(activity.stats());
          }
          if (endHealthy) s.mode = 'ok';
          await activity.shutdown({ timeoutMs: 150 });
          await Promise.all(durable);
          const stats = activity.stats();
          expectIdentity(stats);
          expect(stats.pending).toBe(0);
          // What the counters call inserted is exactly what the store holds.
          expect(await storedCount(s.inner)).toBe(stats.inserted);
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});

describe('fault 5 — job runs have leases; abandoned runs are finalised once', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const sqlitePath = () => {
    const dir = mkdtempSync(join(tmpdir(), 'activity-lease-'));
    dirs.push(dir);
    return join(dir, 'activity.db');
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('fault 5: a run whose process stopped is finalised once as FAILED / ABANDONED, by whichever recorder sweeps', async () => {
    const path = sqlitePath();
    const storeA = createSqliteStore({ path });
    const crashed = createActivity({
      store: storeA,
      defaultOrgId: ORG,
      jobLeaseMs: 100,
      sweepIntervalMs: false,
    });
    const run = crashed.job('SYNC_SQUARE_STOCK', { total: 10 });
    run.progress(4);
    await crashed.flush();
    const stored = await storeA.get(ORG, run.id);
    expect(stored).toMatchObject({ status: 'IN_PROGRESS' });
    expect(Date.parse(stored?.leaseExpiresAt ?? '')).toBeGreaterThan(Date.parse(stored?.heartbeatAt ?? ''));
    // The process "dies": its timers stop, the run never finishes.
    await crashed.shutdown({ timeoutMs: 100 });
    await storeA.close();
    await sleep(150);

    const storeB = createSqliteStore({ path });
    const b = createActivity({ store: storeB, defaultOrgId: ORG, sweepIntervalMs: false });
    const c = createActivity({ store: storeB, defaultOrgId: ORG, sweepIntervalMs: false });
    const [rb, rc] = await Promise.all([b.sweepAbandonedRuns(), c.sweepAbandonedRuns()]);
    expect(rb.abandoned + rc.abandoned).toBe(1);
    const after = await storeB.get(ORG, run.id);
    expect(after).toMatchObject({
      status: 'FAILED',
      error: { code: 'ABANDONED', name: 'JobAbandoned' },
    });
    expect(after?.error?.message).toContain(stored?.heartbeatAt ?? 'missing');
    expect(after?.completedAt).toBeDefined();
    expect(after?.leaseExpiresAt).toBeUndefined();
    expect(await b.sweepAbandonedRuns()).toEqual({ abandoned: 0 });
    await b.shutdown();
    await c.shutdown();
    await storeB.close();
  });

  it('fault 5: a live run renews its lease by heartbeat, and the sweeper leaves it alone', async () => {
    const store = createMemoryStore();
    const live = createActivity({ store, defaultOrgId: ORG, jobLeaseMs: 90, flushIntervalMs: 1 });
    const sweeper = createActivity({ store, defaultOrgId: ORG, sweepIntervalMs: false });
    const run = live.job('SYNC_SQUARE_STOCK');
    await live.flush();
    const first = (await store.get(ORG, run.id))?.heartbeatAt;
    await sleep(250);
    expect(await sweeper.sweepAbandonedRuns()).toEqual({ abandoned: 0 });
    const entry = await store.get(ORG, run.id);
    expect(entry?.status).toBe('IN_PROGRESS');
    expect(Date.parse(entry?.heartbeatAt ?? '')).toBeGreaterThan(Date.parse(first ?? ''));
    await run.succeed();
    expect(await store.get(ORG, run.id)).toMatchObject({ status: 'SUCCESS' });
    await live.shutdown();
    await sweeper.shutdown();
  });

  it('fault 5: a run stored before leases existed is abandoned a day after it was last seen', async () => {
    const store = createMemoryStore();
    const old = new Date(Date.now() - 25 * 3600_000).toISOString();
    const fresh = new Date(Date.now() - 3600_000).toISOString();
    const base = {
      orgId: ORG,
      schemaVersion: 1,
      type: 'BACKGROUND_JOB' as const,
      status: 'IN_PROGRESS' as const,
      actor: { kind: 'system' as const, id: 'system' },
      action: 'SYNC_SQUARE_STOCK',
    };
    await store.append([
      { ...base, id: 'legacy-old', occurredAt: old, recordedAt: old },
      { ...base, id: 'legacy-fresh', occurredAt: fresh, recordedAt: fresh },
    ]);
    const activity = createActivity({ store, defaultOrgId: ORG, sweepIntervalMs: false });
    expect(await activity.sweepAbandonedRuns()).toEqual({ abandoned: 1 });
    expect((await store.get(ORG, 'legacy-old'))?.status).toBe('FAILED');
    expect((await store.get(ORG, 'legacy-fresh'))?.status).toBe('IN_PROGRESS');
    expect(activity.stats().abandonedRuns).toBe(1);
    await activity.shutdown();
  });

  it('fault 5: the recorder sweeps on its own timer', async () => {
    const store = createMemoryStore();
    const crashed = createActivity({ store, defaultOrgId: ORG, jobLeaseMs: 50, sweepIntervalMs: false });
    const run = crashed.job('SYNC_SQUARE_STOCK');
    await crashed.shutdown({ timeoutMs: 100 });
    const sweeper = createActivity({ store, defaultOrgId: ORG, sweepIntervalMs: 30 });
    for (let i = 0; i < 50 && (await store.get(ORG, run.id))?.status === 'IN_PROGRESS'; i++) await sleep(20);
    expect((await store.get(ORG, run.id))?.error?.code).toBe('ABANDONED');
    await sweeper.shutdown();
  });
});
