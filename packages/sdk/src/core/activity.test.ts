import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ActivityError } from '../errors.js';
import { createSqliteStore } from '../sqlite/store.js';
import { createMemoryStore } from '../testing/memoryStore.js';
import {
  type ActivityEntry,
  type ActivityStore,
  type AppendResult,
  ENTRY_JSON,
  type JobUpdate,
} from '../types.js';
import { type ActivityOptions, createActivity, createByteRing } from './activity.js';
import type { RecordInput } from './api.js';
import { wineClubCatalog } from './presets/wineClub.js';

const ORG = 'org_test';
const TIMERS = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] as const;

/** A store wrapping the memory store, observing calls and able to fail, stall or refuse poison. */
function testStore(
  options: { failTimes?: number; delayMs?: number; poison?: (entry: ActivityEntry) => boolean } = {},
) {
  const inner = createMemoryStore();
  const appends: { size: number; at: number; ids: string[] }[] = [];
  const updates: { id: string; update: JobUpdate; at: number }[] = [];
  let failures = options.failTimes ?? 0;
  const store: ActivityStore = {
    ...inner,
    async append(entries: ActivityEntry[]): Promise<AppendResult> {
      appends.push({ size: entries.length, at: Date.now(), ids: entries.map((e) => e.id) });
      if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (failures > 0) {
        failures -= 1;
        throw new Error('database is locked');
      }
      if (options.poison !== undefined && entries.some(options.poison))
        throw new Error('constraint violated');
      return inner.append(entries);
    },
    async updateJob(orgId: string, id: string, update: JobUpdate): Promise<boolean> {
      updates.push({ id, update, at: Date.now() });
      return inner.updateJob(orgId, id, update);
    },
  };
  return { store, inner, appends, updates };
}

function setup(overrides: Partial<ActivityOptions> = {}, storeOptions: Parameters<typeof testStore>[0] = {}) {
  const t = testStore(storeOptions);
  const errors: ActivityError[] = [];
  const activity = createActivity({
    store: t.store,
    defaultOrgId: ORG,
    onError: (error) => errors.push(error),
    ...overrides,
  });
  return { ...t, activity, errors };
}

const event = (n: number, extra: Partial<RecordInput> = {}): RecordInput => ({
  type: 'USER_ACTION',
  action: 'contact.updated',
  entity: { type: 'contact', id: `c_${n}`, label: `Contact ${n}` },
  metadata: { n },
  ...extra,
});

async function countStored(store: ActivityStore, orgId = ORG): Promise<number> {
  return (await store.facets({ orgId, range: 'all' })).total;
}

describe('createActivity construction', () => {
  it.each([
    [{ store: undefined }, 'store', /createMemoryStore|createSqliteStore/],
    [{ store: { append: 1 } }, 'store', /ActivityStore/],
    [{ batchSize: 0 }, 'batchSize', /positive integer/],
    [{ batchSize: 2.5 }, 'batchSize', /positive integer/],
    [{ maxQueueBytes: -1 }, 'maxQueueBytes', /positive integer/],
    [{ flushIntervalMs: Number.NaN }, 'flushIntervalMs', /non-negative/],
    [{ maxRetries: -1 }, 'maxRetries', /non-negative integer/],
    [{ overflow: 'block' }, 'overflow', /'reject' or 'drop-oldest'/],
    [{ defaultOrgId: '' }, 'defaultOrgId', /non-empty/],
    [{ catalog: { jobs: {} } }, 'catalog', /defineCatalog/],
    [{ onError: 'log' }, 'onError', /function/],
    [{ retryable: { jobs: 'SYNC' } }, 'retryable.jobs', /array of strings/],
    [{ limits: { maxDepth: 0 } }, 'limits.maxDepth', /positive integer/],
  ])('throws CONFIG for %j naming the field and the fix', (bad, field, message) => {
    const { store } = testStore();
    const options = { store, ...bad } as unknown as ActivityOptions;
    let caught: unknown;
    try {
      createActivity(options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ActivityError);
    expect((caught as ActivityError).code).toBe('CONFIG');
    expect((caught as ActivityError).field).toBe(field);
    expect((caught as ActivityError).message).toMatch(message);
  });

  it('throws CONFIG when options are missing entirely', () => {
    expect(() => createActivity(undefined as unknown as ActivityOptions)).toThrow(ActivityError);
  });
});

describe('record()', () => {
  it('builds a complete entry from input, context and defaults', async () => {
    const { activity, inner } = setup({
      catalog: wineClubCatalog,
      now: () => new Date('2026-03-01T10:00:00.000Z'),
    });
    const error = new TypeError('card declined');
    const id = activity.record({
      type: 'USER_ACTION',
      action: 'contact.updated',
      entity: { type: 'contact', id: 'c_1', label: 'Alex Chen' },
      actor: { kind: 'user', id: 'u_1', name: 'Riley Park' },
      before: { name: 'Alex', address: { city: 'Napa' }, tags: ['a'] },
      after: { name: 'Alex Chen', address: { city: 'Sonoma' }, tags: ['a', 'vip'] },
      error,
    });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    await activity.flush();
    const entry = await inner.get(ORG, id as string);
    expect(entry).toMatchObject({
      id,
      orgId: ORG,
      type: 'USER_ACTION',
      status: 'SUCCESS',
      schemaVersion: 1,
      occurredAt: '2026-03-01T10:00:00.000Z',
      recordedAt: '2026-03-01T10:00:00.000Z',
      actor: { kind: 'user', id: 'u_1', name: 'Riley Park' },
      error: { name: 'TypeError', message: 'card declined' },
    });
    expect(entry?.error?.stack).toContain('card declined');
    expect(entry?.changes?.map((c) => c.path).sort()).toEqual(['address.city', 'name', 'tags.1']);
    expect(entry?.summary).toBeTypeOf('string');
  });

  it('defaults the actor to system and takes orgId from input, then context, then defaultOrgId', async () => {
    const { activity, inner } = setup();
    const a = activity.record(event(1));
    const b = activity.withContext({ orgId: 'org_ctx' }, () => activity.record(event(2)));
    const c = activity.withContext({ orgId: 'org_ctx' }, () =>
      activity.record(event(3, { orgId: 'org_input' })),
    );
    await activity.flush();
    expect((await inner.get(ORG, a as string))?.actor).toEqual({ kind: 'system', id: 'system' });
    expect(await inner.get('org_ctx', b as string)).toBeDefined();
    expect(await inner.get('org_input', c as string)).toBeDefined();
  });

  it('rejects an entry without any orgId, naming the field', () => {
    const { activity, errors } = setup({ defaultOrgId: undefined });
    expect(activity.record(event(1))).toBeUndefined();
    expect(errors[0]?.code).toBe('INVALID_EVENT');
    expect(errors[0]?.field).toBe('orgId');
    expect(activity.stats().rejected).toEqual({ INVALID_EVENT: 1 });
  });

  it('counts and reports invalid input by code, naming the field', () => {
    const { activity, errors } = setup({ limits: { maxBytes: 2000 } });
    expect(activity.record({ ...event(1), type: 'NOPE' as 'USER_ACTION' })).toBeUndefined();
    expect(activity.record(event(2, { metadata: { blob: 'x'.repeat(5000) } }))).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['INVALID_EVENT', 'EVENT_TOO_LARGE']);
    expect(errors[0]?.field).toBe('type');
    expect(activity.stats().rejected).toEqual({ INVALID_EVENT: 1, EVENT_TOO_LARGE: 1 });
    expect(activity.stats().recorded).toBe(0);
  });

  it('redacts secrets before anything is queued', async () => {
    const { activity, inner } = setup();
    const id = activity.record(
      event(1, { metadata: { password: 'hunter2', apiKey: 'sk_live_123', plan: 'gold' } }),
    );
    await activity.flush();
    const stored = JSON.stringify(await inner.get(ORG, id as string));
    expect(stored).not.toContain('hunter2');
    expect(stored).not.toContain('sk_live_123');
    expect(stored).toContain('gold');
  });

  it('never throws on garbage input: returns undefined and reports an ActivityError', () => {
    const { activity, errors } = setup({ defaultOrgId: undefined });
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withMap: true,
          withSet: true,
          withDate: true,
          withNullPrototype: true,
        }),
        (input) => {
          const before = errors.length;
          expect(activity.record(input as RecordInput)).toBeUndefined();
          expect(errors.length).toBe(before + 1);
          expect(errors.at(-1)).toBeInstanceOf(ActivityError);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on hostile field values, whatever reaches the helpers', async () => {
    const { activity, errors } = setup();
    const proxy = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
        ownKeys: () => {
          throw new Error('trap');
        },
      },
    );
    const getter = Object.defineProperty({}, 'message', {
      get: () => {
        throw new Error('getter');
      },
      enumerable: true,
    });
    const values: unknown[] = [
      proxy,
      getter,
      JSON.parse('{"__proto__":{"polluted":true}}'),
      '\u0000\uD800',
      10n,
      Symbol('s'),
    ];
    const calls = (a: unknown, b: unknown) => [
      () =>
        activity.record({
          type: 'USER_ACTION',
          action: a,
          metadata: b,
          entity: b,
          error: b,
          before: a,
          after: b,
        } as never),
      () => activity.userAction({ action: a, metadata: b, entity: b, actor: a } as never),
      () => activity.webhook({ provider: a, eventType: b, request: a, statusCode: b } as never),
      () => activity.system({ action: a, metadata: b } as never),
      () => activity.job(a as string, b as never).progress(a as number),
      () => activity.runJob(a as string, b as never, async () => undefined).catch(() => undefined),
      () => activity.recordDurable(a as never).catch(() => undefined),
    ];
    for (const a of values)
      for (const b of values) for (const call of calls(a, b)) expect(call).not.toThrow();
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withNullPrototype: true }), fc.anything(), (a, b) => {
        for (const call of calls(a, b)) expect(call).not.toThrow();
      }),
      { numRuns: 100 },
    );
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error).toBeInstanceOf(ActivityError);
    await activity.flush();
    expect(Object.getPrototypeOf({}).polluted).toBeUndefined();
  });

  it('does not call the store synchronously inside record()', () => {
    const { activity, appends } = setup({ batchSize: 1 });
    activity.record(event(1));
    activity.record(event(2));
    expect(appends).toHaveLength(0);
  });
});

describe('batching', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: [...TIMERS] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes full batches on the next turn and the rest after the interval', async () => {
    const { activity, appends } = setup({ batchSize: 3, flushIntervalMs: 1000 });
    for (let i = 0; i < 7; i++) activity.record(event(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(appends.map((a) => a.size)).toEqual([3, 3]);
    await vi.advanceTimersByTimeAsync(999);
    expect(appends.map((a) => a.size)).toEqual([3, 3]);
    await vi.advanceTimersByTimeAsync(1);
    expect(appends.map((a) => a.size)).toEqual([3, 3, 1]);
    expect(activity.stats()).toMatchObject({ recorded: 7, persisted: 7, queuedEntries: 0, queuedBytes: 0 });
  });

  it('flushes a partial batch by interval', async () => {
    const { activity, appends } = setup({ flushIntervalMs: 250 });
    activity.record(event(1));
    activity.record(event(2));
    await vi.advanceTimersByTimeAsync(249);
    expect(appends).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(appends.map((a) => a.size)).toEqual([2]);
  });

  it('retries a failing store with exponential backoff and full jitter, then succeeds', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { activity, appends, inner } = setup({ retryBaseMs: 100, maxRetries: 5 }, { failTimes: 3 });
    const ids = [activity.record(event(1)), activity.record(event(2))];
    const flushed = activity.flush();
    await vi.advanceTimersByTimeAsync(10_000);
    await flushed;
    const gaps = appends.slice(1).map((a, i) => a.at - (appends[i]?.at ?? 0));
    // Full jitter with random() = 0.5: half of 100, 200, 400.
    expect(gaps).toEqual([50, 100, 200]);
    expect(random).toHaveBeenCalledTimes(3);
    expect(activity.stats()).toMatchObject({ retried: 3, persisted: 2, dropped: {} });
    for (const id of ids) expect(await inner.get(ORG, id as string)).toBeDefined();
    random.mockRestore();
  });

  it('caps the backoff at retryMaxMs and drops (counted, reported) after maxRetries', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    const { activity, appends, errors } = setup(
      { retryBaseMs: 100, retryMaxMs: 300, maxRetries: 4 },
      { failTimes: 1000 },
    );
    const durable = activity.recordDurable(event(1));
    const caught = durable.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(5_000);
    const gaps = appends.slice(1).map((a, i) => a.at - (appends[i]?.at ?? 0));
    expect(gaps).toEqual([99, 199, 299, 299]);
    expect(await caught).toMatchObject({ code: 'STORE_FAILED' });
    expect(activity.stats()).toMatchObject({ retried: 4, persisted: 0, dropped: { store_failed: 1 } });
    expect(errors.map((e) => e.code)).toEqual(['STORE_FAILED']);
    vi.mocked(Math.random).mockRestore();
  });

  it('isolates a poison entry by bisection so the rest of its batch persists', async () => {
    const { activity, inner, errors } = setup(
      { batchSize: 8, maxRetries: 1, retryBaseMs: 10 },
      { poison: (e) => e.metadata?.poison === true },
    );
    const ids = Array.from({ length: 8 }, (_, i) =>
      activity.record(event(i, i === 5 ? { metadata: { poison: true } } : {})),
    );
    const flushed = activity.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    await flushed;
    expect(await countStored(inner)).toBe(7);
    expect(await inner.get(ORG, ids[5] as string)).toBeUndefined();
    expect(activity.stats()).toMatchObject({ persisted: 7, dropped: { store_failed: 1 } });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain(ids[5]);
  });

  it('drops the oldest entries when a slow store fills the queue (drop-oldest), counting them', async () => {
    const probe = setup();
    probe.activity.record(event(0));
    const size = probe.activity.stats().queuedBytes;
    const { activity, inner, errors } = setup(
      { batchSize: 2, maxQueueBytes: size * 6 + 10, overflow: 'drop-oldest', flushIntervalMs: 10 },
      { delayMs: 1_000 },
    );
    const ids = Array.from({ length: 20 }, (_, i) => activity.record(event(i)));
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(activity.stats().queuedBytes).toBeLessThanOrEqual(size * 6 + 10);
    const flushed = activity.flush();
    await vi.advanceTimersByTimeAsync(20_000);
    await flushed;
    const stats = activity.stats();
    expect(stats.recorded).toBe(20);
    expect(stats.dropped.queue_full).toBeGreaterThan(0);
    expect(stats.persisted + (stats.dropped.queue_full ?? 0)).toBe(20);
    // The newest entries survive.
    expect(await inner.get(ORG, ids[19] as string)).toBeDefined();
    expect(await inner.get(ORG, ids[3] as string)).toBeUndefined();
    expect(errors.filter((e) => e.code === 'QUEUE_FULL').length).toBeGreaterThanOrEqual(1);
  });

  it('refuses new entries when a slow store fills the queue (reject), counting them', async () => {
    const probe = setup();
    probe.activity.record(event(0));
    const size = probe.activity.stats().queuedBytes;
    const { activity, inner } = setup(
      { batchSize: 2, maxQueueBytes: size * 6 + 10, overflow: 'reject', flushIntervalMs: 10 },
      { delayMs: 1_000 },
    );
    const ids = Array.from({ length: 20 }, (_, i) => activity.record(event(i)));
    const refused = ids.filter((id) => id === undefined).length;
    expect(refused).toBeGreaterThan(0);
    const flushed = activity.flush();
    await vi.advanceTimersByTimeAsync(20_000);
    await flushed;
    const stats = activity.stats();
    // Refused at the call: rejected, never accepted (fault 3: these once bumped dropped but not recorded).
    expect(stats.rejected.QUEUE_FULL).toBe(refused);
    expect(stats.dropped.queue_full).toBeUndefined();
    expect(stats.recorded).toBe(20 - refused);
    expect(stats.calls).toBe(20);
    expect(stats.persisted).toBe(stats.recorded);
    // The oldest entries were kept.
    expect(await inner.get(ORG, ids[0] as string)).toBeDefined();
  });

  it('throttles job progress and always writes the last value', async () => {
    const { activity, inner, updates } = setup({ flushIntervalMs: 10, progressIntervalMs: 500 });
    const run = activity.job('SYNC_SQUARE_STOCK', { total: 1000 });
    await vi.advanceTimersByTimeAsync(20);
    for (let i = 1; i <= 1000; i++) {
      run.progress(i);
      if (i % 100 === 0) await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(600);
    await activity.flush();
    expect(updates.length).toBeLessThanOrEqual(3);
    const entry = await inner.get(ORG, run.id);
    expect(entry?.status).toBe('IN_PROGRESS');
    expect(entry?.progress).toEqual({ processed: 1000, total: 1000 });
  });
});

describe('flush and shutdown', () => {
  it('loses nothing: 10k records then shutdown are all persisted', async () => {
    const { activity, inner } = setup({ flushIntervalMs: 50 });
    for (let i = 0; i < 10_000; i++) activity.record(event(i));
    await activity.shutdown();
    expect(activity.stats()).toMatchObject({
      recorded: 10_000,
      persisted: 10_000,
      queuedEntries: 0,
      dropped: {},
    });
    expect(await countStored(inner)).toBe(10_000);
  });

  it('flush() awaits everything queued at call time', async () => {
    const { activity, inner } = setup({ flushIntervalMs: 60_000 }, { delayMs: 5 });
    const ids = Array.from({ length: 250 }, (_, i) => activity.record(event(i)));
    await activity.flush();
    expect(await countStored(inner)).toBe(250);
    expect(await inner.get(ORG, ids[249] as string)).toBeDefined();
  });

  it('rejects record() after shutdown with SHUTDOWN, counted and reported', async () => {
    const { activity, errors } = setup();
    await activity.shutdown();
    expect(activity.record(event(1))).toBeUndefined();
    await expect(activity.recordDurable(event(2))).rejects.toMatchObject({ code: 'SHUTDOWN' });
    expect(activity.stats().rejected).toEqual({ SHUTDOWN: 2 });
    expect(errors.map((e) => e.code)).toEqual(['SHUTDOWN']);
    await expect(activity.shutdown()).resolves.toBeUndefined();
  });

  it('recordDurable resolves with the entry once committed and rejects invalid input', async () => {
    const { activity, inner } = setup({ flushIntervalMs: 60_000 });
    const entry = await activity.recordDurable(event(1));
    expect(await inner.get(ORG, entry.id)).toMatchObject({ id: entry.id, action: 'contact.updated' });
    await expect(
      activity.recordDurable({ ...event(2), action: 42 as unknown as string }),
    ).rejects.toMatchObject({
      code: 'INVALID_EVENT',
      field: 'action',
    });
  });
});

describe('idempotency', () => {
  it('stores the same idempotencyKey once per org and counts the duplicate', async () => {
    const { activity, inner } = setup();
    activity.record(event(1, { idempotencyKey: 'import-42' }));
    activity.record(event(2, { idempotencyKey: 'import-42' }));
    await activity.flush();
    activity.record(event(3, { idempotencyKey: 'import-42' }));
    await activity.flush();
    expect(await countStored(inner)).toBe(1);
    // Persisted counts what the store holds for each accepted entry: one insert and two duplicates of it.
    expect(activity.stats()).toMatchObject({ persisted: 3, inserted: 1, duplicates: 2 });
  });

  it('uses a webhook provider event id as the natural key', async () => {
    const { activity, inner } = setup({ catalog: wineClubCatalog });
    const first = activity.webhook({
      provider: 'stripe',
      eventType: 'charge.refunded',
      eventId: 'evt_1',
      statusCode: 200,
    });
    activity.webhook({ provider: 'stripe', eventType: 'charge.refunded', eventId: 'evt_1', statusCode: 200 });
    await activity.flush();
    expect(await countStored(inner)).toBe(1);
    const stored = await inner.get(ORG, first as string);
    expect(stored).toMatchObject({
      type: 'WEBHOOK',
      action: 'charge.refunded',
      idempotencyKey: 'stripe:evt_1',
      actor: { kind: 'external', id: 'stripe', name: 'Stripe' },
      retryable: true,
      webhook: { direction: 'in', provider: 'stripe', eventType: 'charge.refunded', statusCode: 200 },
    });
  });
});

describe('helpers', () => {
  it('records user actions, failed webhooks and system events', async () => {
    const { activity, inner } = setup({ catalog: wineClubCatalog });
    const user = { kind: 'user' as const, id: 'u_1', name: 'Riley Park' };
    const a = activity.userAction({
      action: 'contact.tags_added',
      entity: { type: 'contact', id: 'c1' },
      actor: user,
      metadata: { tags: ['vip'] },
    });
    const w = activity.webhook({
      provider: 'fedex',
      eventType: 'shipment.exception',
      statusCode: 502,
      request: { headers: { authorization: 'Bearer abc.def' }, body: { id: 1 } },
    });
    const s = activity.system({ action: 'schema.migrated', metadata: { from: 1, to: 2 } });
    await activity.flush();
    expect(await inner.get(ORG, a as string)).toMatchObject({
      type: 'USER_ACTION',
      actor: user,
      metadata: { tags: ['vip'] },
    });
    const hook = await inner.get(ORG, w as string);
    expect(hook).toMatchObject({ status: 'FAILED', actor: { name: 'FedEx' }, retryable: false });
    expect(JSON.stringify(hook)).not.toContain('abc.def');
    expect(await inner.get(ORG, s as string)).toMatchObject({
      type: 'SYSTEM_EVENT',
      actor: { kind: 'system' },
    });
  });

  it('answers isRetryable from the catalog and the retryable option', () => {
    const { activity } = setup({
      catalog: wineClubCatalog,
      retryable: { jobs: ['CUSTOM_JOB'], providers: ['paypal'] },
    });
    expect(activity.isRetryable('BACKGROUND_JOB', 'SYNC_SQUARE_STOCK')).toBe(true);
    expect(activity.isRetryable('BACKGROUND_JOB', 'SYNC_WOO_PRODUCTS')).toBe(false);
    expect(activity.isRetryable('BACKGROUND_JOB', 'CUSTOM_JOB')).toBe(true);
    expect(activity.isRetryable('BACKGROUND_JOB', 'constructor')).toBe(false);
    expect(activity.isRetryable('WEBHOOK', 'stripe')).toBe(true);
    expect(activity.isRetryable('WEBHOOK', 'paypal')).toBe(true);
    expect(activity.isRetryable('USER_ACTION', 'stripe')).toBe(false);
  });
});

describe('job runs', () => {
  it('is IN_PROGRESS with progress while running, then final; once final it never changes', async () => {
    const { activity, inner } = setup({ catalog: wineClubCatalog, progressIntervalMs: 0 });
    const release = { type: 'release' as const, id: 'r1', label: 'Spring 2026 Reds' };
    const run = activity.job('PROCESS_RELEASE_PAYMENTS', { entity: release, total: 3 });
    await activity.flush();
    expect(await inner.get(ORG, run.id)).toMatchObject({
      type: 'BACKGROUND_JOB',
      status: 'IN_PROGRESS',
      action: 'PROCESS_RELEASE_PAYMENTS',
      retryable: true,
      progress: { processed: 0, total: 3 },
    });
    run.progress(2);
    await activity.flush();
    expect((await inner.get(ORG, run.id))?.progress).toEqual({ processed: 2, total: 3 });
    await run.succeed({ processed: 3, succeeded: 3, failed: 0 });
    const done = await inner.get(ORG, run.id);
    expect(done).toMatchObject({ status: 'SUCCESS', metadata: { processed: 3, succeeded: 3, failed: 0 } });
    expect(done?.completedAt).toBeTypeOf('string');
    expect(done?.durationMs).toBeGreaterThanOrEqual(0);
    expect(run.finished).toBe(true);
    await run.fail(new Error('late'));
    run.progress(3);
    await activity.flush();
    expect((await inner.get(ORG, run.id))?.status).toBe('SUCCESS');
    expect(activity.stats().ignoredJobCalls).toBe(2);
  });

  it('folds updates into an insert still queued: one append, no update call', async () => {
    const { activity, inner, appends, updates } = setup({ flushIntervalMs: 60_000 });
    const run = activity.job('SYNC_WOO_PRODUCTS');
    await run.warn('12 products skipped', { synced: 40, skipped: 12 });
    expect(appends).toHaveLength(1);
    expect(updates).toHaveLength(0);
    expect(await inner.get(ORG, run.id)).toMatchObject({
      status: 'WARNING',
      summary: '12 products skipped',
      metadata: { synced: 40, skipped: 12 },
    });
    expect((await inner.get(ORG, run.id))?.completedAt).toBeTypeOf('string');
  });

  it('applies an update after its insert even when the insert is still being written', async () => {
    const { store, inner, updates } = testStore();
    let release: () => void = () => undefined;
    let appendStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      appendStarted = resolve;
    });
    const gated: ActivityStore = {
      ...store,
      async append(entries) {
        appendStarted();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return store.append(entries);
      },
    };
    const activity = createActivity({ store: gated, defaultOrgId: ORG, flushIntervalMs: 1 });
    const run = activity.job('SEND_RELEASE_EMAILS');
    // The writer has taken the insert: the append is in flight, not committed.
    await started;
    const failed = run.fail(new Error('SMTP 421'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(updates).toHaveLength(0);
    expect(await inner.get(ORG, run.id)).toBeUndefined();
    release();
    await failed;
    expect(updates).toHaveLength(1);
    expect(await inner.get(ORG, run.id)).toMatchObject({ status: 'FAILED', error: { message: 'SMTP 421' } });
  });

  it('runJob records SUCCESS when fn resolves and returns its value', async () => {
    const { activity, inner } = setup();
    let id = '';
    const value = await activity.runJob('SYNC_SQUARE_STOCK', { total: 2 }, async (run) => {
      id = run.id;
      run.progress(2);
      return 'ok';
    });
    expect(value).toBe('ok');
    await activity.flush();
    expect(await inner.get(ORG, id)).toMatchObject({
      status: 'SUCCESS',
      progress: { processed: 2, total: 2 },
    });
  });

  it('runJob records FAILED with the error and rethrows', async () => {
    const { activity, inner } = setup();
    let id = '';
    const failure = new RangeError('Square API 503');
    await expect(
      activity.runJob('SYNC_SQUARE_STOCK', undefined, async (run) => {
        id = run.id;
        throw failure;
      }),
    ).rejects.toBe(failure);
    await activity.flush();
    const entry = await inner.get(ORG, id);
    expect(entry).toMatchObject({
      status: 'FAILED',
      error: { name: 'RangeError', message: 'Square API 503' },
    });
    expect(entry?.error?.stack).toContain('Square API 503');
  });

  it('returns an inert run when the job cannot be recorded', async () => {
    const { activity, errors } = setup({ defaultOrgId: undefined });
    const run = activity.job('SYNC');
    expect(run.finished).toBe(true);
    await expect(run.succeed()).resolves.toBeUndefined();
    expect(errors[0]?.field).toBe('orgId');
  });
});

describe('deferred validation', () => {
  it('returns an id, then rejects an invalid snapshot at write time, counted and reported with that id', async () => {
    const { activity, inner, errors } = setup({ limits: { maxStringLength: 100 } });
    const good = activity.record(event(1));
    const bad = activity.record(event(2, { metadata: { note: 'x'.repeat(200) } }));
    const after = activity.record(event(3));
    expect(bad).toBeTypeOf('string');
    expect(errors).toHaveLength(0);
    await activity.flush();
    expect(errors.map((e) => [e.code, e.field])).toEqual([['EVENT_TOO_LARGE', 'metadata.note']]);
    // Fault 3: refused at write time, it moves from pending to rejected (calls = accepted + rejected).
    expect(activity.stats()).toMatchObject({
      calls: 3,
      accepted: 2,
      persisted: 2,
      pending: 0,
      rejected: { EVENT_TOO_LARGE: 1 },
    });
    expect(activity.stats().queuedBytes).toBe(0);
    expect(await inner.get(ORG, bad as string)).toBeUndefined();
    expect(await inner.get(ORG, good as string)).toBeDefined();
    expect(await inner.get(ORG, after as string)).toBeDefined();
  });

  it('hands onError only the id of a rejected snapshot, never its unredacted content', async () => {
    const seen: unknown[] = [];
    const { activity } = setup({ limits: { maxStringLength: 100 }, onError: (_, entry) => seen.push(entry) });
    const id = activity.record(event(1, { metadata: { password: 'hunter2', note: 'x'.repeat(200) } }));
    await activity.flush();
    expect(seen).toEqual([{ id }]);
  });

  it('still rejects a durable record with the validation error before it returns', async () => {
    const { activity } = setup({ limits: { maxStringLength: 100 } });
    await expect(
      activity.recordDurable(event(1, { metadata: { note: 'x'.repeat(200) } })),
    ).rejects.toMatchObject({ code: 'EVENT_TOO_LARGE', field: 'metadata.note' });
  });

  it('stores the input as it was at record() time, whatever the host changes afterwards', async () => {
    const { activity, inner } = setup();
    const metadata = { plan: 'gold', tags: ['a'] };
    const id = activity.record(event(1, { metadata }));
    metadata.plan = 'changed';
    metadata.tags.push('b');
    await activity.flush();
    expect((await inner.get(ORG, id as string))?.metadata).toEqual({ plan: 'gold', tags: ['a'] });
  });

  it('redacts and cleans snapshots before they are stored', async () => {
    const { activity, inner } = setup();
    const id = activity.record(
      event(1, { summary: 'token=abc123', metadata: { apiKey: 'k', note: 'a\u0000b', lone: '\uD800' } }),
    );
    await activity.flush();
    const stored = await inner.get(ORG, id as string);
    expect(stored?.summary).toBe('token=[REDACTED]');
    expect(stored?.metadata).toEqual({ apiKey: '[REDACTED]', note: 'ab', lone: '\uFFFD' });
  });

  it('hands the store each entry with its JSON text, and SQLite stores that text as is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'activity-json-'));
    try {
      const sqlite = createSqliteStore({ path: join(dir, 'a.db') });
      const hints: (readonly string[] | undefined)[] = [];
      const store: ActivityStore = {
        ...sqlite,
        append: (entries) => {
          hints.push((entries as { [ENTRY_JSON]?: readonly string[] })[ENTRY_JSON]);
          return sqlite.append(entries);
        },
      };
      const activity = createActivity({ store, defaultOrgId: ORG });
      const id = activity.record(event(1, { metadata: { password: 'hunter2', n: 1 } }));
      await activity.shutdown();
      const data = sqlite.db
        .prepare('SELECT data FROM activity_entries WHERE id = ?')
        .pluck()
        .get(id) as string;
      expect(hints[0]).toEqual([data]);
      expect(JSON.parse(data)).toMatchObject({ id, metadata: { password: '[REDACTED]', n: 1 } });
      expect(await sqlite.get(ORG, id as string)).toEqual(JSON.parse(data));
      await sqlite.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('security review regressions', () => {
  it('records an entry full of pathological 32 KB strings without blocking on redaction (ReDoS)', async () => {
    const { activity, inner, errors } = setup();
    const jwtRun = 'eyJ-'.repeat(8_000);
    const schemeRun = `${'a.'.repeat(16_000)}://`;
    const metadata = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`k${i}`, jwtRun]));
    const id = activity.record(event(1, { metadata }));
    const hook = activity.webhook({
      provider: 'stripe',
      eventType: 'x',
      direction: 'in',
      request: { body: schemeRun },
    });
    // Before the fix this flush spent ~18 s in the redaction regexes; the 5 s timeout catches a return.
    await activity.flush();
    expect(errors).toEqual([]);
    expect((await inner.get(ORG, id as string))?.metadata).toEqual(metadata);
    expect((await inner.get(ORG, hook as string))?.webhook?.request?.body).toBe(schemeRun);
  }, 5_000);

  it('refuses a huge before/after with EVENT_TOO_LARGE before diffing them', async () => {
    const { activity, errors } = setup();
    // 2M items took 8.9 s inside record() before the check (the diff ran first).
    const list = Array.from({ length: 2_000_000 }, (_, i) => i);
    expect(activity.record(event(1, { before: { l: list }, after: { l: [] } }))).toBeUndefined();
    const keys = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    expect(activity.record(event(2, { before: {}, after: { m: keys } }))).toBeUndefined();
    const bulky = { rows: Array.from({ length: 300 }, () => 'x'.repeat(1_000)) };
    expect(activity.record(event(3, { before: bulky, after: {} }))).toBeUndefined();
    expect(errors.map((e) => [e.code, e.field])).toEqual([
      ['EVENT_TOO_LARGE', 'before.l'],
      ['EVENT_TOO_LARGE', 'after.m'],
      ['EVENT_TOO_LARGE', expect.stringMatching(/^before\.rows\.\d+$/)],
    ]);
    expect(errors[0]?.message).toMatch(/2000000 items, the limit is 1000/);
    expect(activity.stats().rejected).toEqual({ EVENT_TOO_LARGE: 3 });
    // Within the limits the diff is still computed.
    const ok = activity.record(event(4, { before: { l: [1, 2] }, after: { l: [1, 3] } }));
    expect(ok).toBeTypeOf('string');
    await activity.flush();
  }, 5_000);

  describe('a job update folded into its queued insert respects the queue bound', () => {
    function sizes() {
      const probe = setup();
      probe.activity.job('SYNC_WOO_PRODUCTS');
      const job = probe.activity.stats().queuedBytes;
      probe.activity.record(event(1));
      return { job, event: probe.activity.stats().queuedBytes - job };
    }

    it('reject: a progress update that does not fit is dropped and counted', async () => {
      const size = sizes();
      const bound = size.job + 2 * size.event;
      const { activity, inner, errors } = setup({
        flushIntervalMs: 60_000,
        maxQueueBytes: bound,
        overflow: 'reject',
        progressIntervalMs: 0,
      });
      const run = activity.job('SYNC_WOO_PRODUCTS');
      activity.record(event(1));
      activity.record(event(1));
      expect(activity.stats().queuedBytes).toBe(bound);
      run.progress(123_456_789, 987_654_321);
      expect(activity.stats().queuedBytes).toBeLessThanOrEqual(bound);
      // A job update is not an entry: its loss counts apart from dropped entries.
      expect(activity.stats().droppedUpdates).toEqual({ queue_full: 1 });
      expect(activity.stats().dropped).toEqual({});
      expect(errors.map((e) => [e.code, e.field])).toEqual([['QUEUE_FULL', 'maxQueueBytes']]);
      await activity.flush();
      expect((await inner.get(ORG, run.id))?.progress).toEqual({ processed: 0 });
    });

    it('reject: a final update that does not fit still lands, as a store update after the insert', async () => {
      const size = sizes();
      const bound = size.job + 2 * size.event;
      const { activity, inner, appends, updates } = setup({
        flushIntervalMs: 60_000,
        maxQueueBytes: bound,
        overflow: 'reject',
      });
      const run = activity.job('SYNC_WOO_PRODUCTS');
      activity.record(event(1));
      activity.record(event(1));
      const done = run.succeed({ note: 'x'.repeat(2_000) });
      expect(activity.stats().queuedBytes).toBeLessThanOrEqual(bound);
      await activity.flush();
      await done;
      const stored = await inner.get(ORG, run.id);
      expect(stored).toMatchObject({ status: 'SUCCESS', metadata: { note: 'x'.repeat(2_000) } });
      expect(appends.flatMap((a) => a.ids)).toContain(run.id);
      expect(updates.map((u) => [u.id, u.update.status])).toEqual([[run.id, 'SUCCESS']]);
      expect(activity.stats().dropped).toEqual({});
    });

    it('drop-oldest: growing the insert evicts the oldest other entries, counted, never the job itself', async () => {
      const size = sizes();
      const bound = size.job + 3 * size.event;
      const { activity, inner, updates } = setup({
        flushIntervalMs: 60_000,
        maxQueueBytes: bound,
        overflow: 'drop-oldest',
      });
      const ids = [activity.record(event(1)), activity.record(event(1))];
      const run = activity.job('SYNC_WOO_PRODUCTS');
      ids.push(activity.record(event(1)));
      expect(activity.stats().queuedBytes).toBe(bound);
      const done = run.succeed({ note: 'x'.repeat(2 * size.event) });
      expect(activity.stats().queuedBytes).toBeLessThanOrEqual(bound);
      const dropped = activity.stats().dropped.queue_full ?? 0;
      expect(dropped).toBeGreaterThanOrEqual(2);
      await activity.flush();
      await done;
      expect(await inner.get(ORG, ids[0] as string)).toBeUndefined();
      expect(await inner.get(ORG, run.id)).toMatchObject({ status: 'SUCCESS' });
      // Folded, so no separate update call.
      expect(updates).toEqual([]);
      expect(activity.stats().persisted + dropped).toBe(4);
    });
  });
});

describe('queue byte ring', () => {
  it('gives back every record exactly, whatever the sequence of puts and releases', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 400 }),
        fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.constant(null)), {
          maxLength: 200,
        }),
        (size, ops) => {
          const ring = createByteRing(size);
          if (ring === undefined) throw new Error('Buffer is available on Node');
          const held: { at: number; bytes: number; text: string }[] = [];
          for (const op of ops) {
            if (op === null) {
              const oldest = held.shift();
              if (oldest === undefined) continue;
              expect(ring.read(oldest.at, oldest.bytes)).toBe(oldest.text);
              ring.release(oldest.at, oldest.bytes);
              continue;
            }
            const text = `{${op}}`;
            const bytes = Buffer.byteLength(text);
            const at = ring.put(text, bytes);
            // A refusal only costs memory (the record stays a string); an empty ring never refuses.
            if (held.length === 0 && bytes <= size) expect(at).toBeGreaterThanOrEqual(0);
            if (at >= 0) {
              held.push({ at, bytes, text });
            }
            // Nothing written may have touched a record still held.
            for (const record of held) expect(ring.read(record.at, record.bytes)).toBe(record.text);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stores every surviving entry byte for byte through wrap-arounds, evictions and job folds', async () => {
    const payloads = new Map<string, Record<string, unknown>>();
    // Sizes vary (multi-byte text included) so records straddle the ring's end and its wrap point.
    const payload = (i: number) => ({ i, text: `Zoë 東京 😀 ${'x'.repeat((i * 37) % 900)}` });
    const { activity, inner } = setup(
      { batchSize: 7, maxQueueBytes: 12_000, overflow: 'drop-oldest', flushIntervalMs: 5 },
      { delayMs: 3 },
    );
    const runs: { id: string; n: number }[] = [];
    for (let i = 0; i < 600; i++) {
      const metadata = payload(i);
      const id = activity.record(event(i, { metadata }));
      if (id !== undefined) payloads.set(id, metadata);
      if (i % 50 === 0) {
        const run = activity.job('SYNC_WOO_PRODUCTS');
        runs.push({ id: run.id, n: i });
        void run.succeed({ n: i });
      }
      if (i % 40 === 39) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await activity.flush();
    const stats = activity.stats();
    expect(stats.dropped.queue_full ?? 0).toBeGreaterThan(0);
    expect(stats.rejected).toEqual({});
    let stored = 0;
    for (const [id, metadata] of payloads) {
      const entry = await inner.get(ORG, id);
      if (entry === undefined) continue;
      stored++;
      expect(entry.metadata).toEqual(metadata);
    }
    expect(stored).toBeGreaterThan(20);
    let jobs = 0;
    for (const run of runs) {
      const entry = await inner.get(ORG, run.id);
      if (entry === undefined) continue;
      jobs++;
      expect(entry).toMatchObject({ status: 'SUCCESS', metadata: { n: run.n } });
    }
    // Nothing lost silently: every accepted entry is stored or counted as dropped.
    expect(stats.persisted).toBe(stored + jobs);
    expect(stats.persisted + (stats.dropped.queue_full ?? 0)).toBe(stats.recorded);
  });
});
