import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityError } from '../errors.js';
import type { ActivityEntry, ActivityStore, AppendResult } from '../types.js';
import { createCounters } from './counters.js';
import { EntryQueue, newQueueItem, type QueueItem } from './queue.js';
import { Writer, type WriterOptions } from './writer.js';

const TIMERS = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] as const;

/** A fake store: records each append (ids, time) and answers as `answer` says. */
function fakeStore(answer: (ids: string[], call: number) => 'ok' | 'fail' | 'hang' = () => 'ok') {
  const calls: { ids: string[]; at: number }[] = [];
  const stored = new Set<string>();
  const store: Pick<ActivityStore, 'append'> = {
    append(entries: ActivityEntry[]): Promise<AppendResult> {
      const ids = entries.map((e) => e.id);
      calls.push({ ids, at: Date.now() });
      const outcome = answer(ids, calls.length);
      if (outcome === 'hang') return new Promise(() => undefined);
      if (outcome === 'fail') return Promise.reject(new Error('database is locked'));
      let inserted = 0;
      for (const id of ids) {
        if (stored.has(id)) continue;
        stored.add(id);
        inserted += 1;
      }
      return Promise.resolve({ inserted, duplicates: ids.length - inserted });
    },
  };
  return { store, calls, stored };
}

function entryItem(id: string): QueueItem {
  const entry = { id, orgId: 'org' } as ActivityEntry;
  const json = JSON.stringify(entry);
  return newQueueItem(id, json, json.length, false, entry);
}

function setup(store: Pick<ActivityStore, 'append'>, options: Partial<WriterOptions> = {}) {
  const counters = createCounters();
  const errors: ActivityError[] = [];
  const report = (error: ActivityError) => void errors.push(error);
  const queue = new EntryQueue({ maxBytes: 1 << 20, overflow: 'drop-oldest', counters, report });
  const writer = new Writer({
    store,
    queue,
    counters,
    batchSize: 3,
    flushIntervalMs: 1_000,
    writeTimeoutMs: 0,
    retry: { maxRetries: 3, retryBaseMs: 100, retryMaxMs: 10_000, random: () => 0.5 },
    report,
    ...options,
  });
  const add = (...ids: string[]) => {
    const items = ids.map(entryItem);
    for (const item of items) {
      queue.enqueue(item);
      writer.enqueued();
    }
    return items;
  };
  return { writer, queue, counters, errors, add };
}

describe('Writer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: [...TIMERS] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a full batch on the next turn, never inside the enqueue, and a partial one after the interval', async () => {
    const { store, calls } = fakeStore();
    const { add, counters } = setup(store);
    add('a', 'b', 'c', 'd');
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b', 'c']]);
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => c.ids)).toEqual([['a', 'b', 'c'], ['d']]);
    expect(counters).toMatchObject({ persisted: 4, inserted: 4, pending: 0 });
  });

  it('retries with exponential backoff and full jitter, then commits', async () => {
    const { store, calls } = fakeStore((_, call) => (call <= 3 ? 'fail' : 'ok'));
    const { add, counters, writer } = setup(store);
    add('a');
    const settled = writer.settled();
    await vi.advanceTimersByTimeAsync(5_000);
    await settled;
    const gaps = calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));
    // random() = 0.5: half of 100, 200, 400.
    expect(gaps).toEqual([50, 100, 200]);
    expect(counters).toMatchObject({ retried: 3, persisted: 1, dropped: {} });
  });

  it('caps one delay at retryMaxMs', async () => {
    const { store, calls } = fakeStore(() => 'fail');
    const { add, writer } = setup(store, {
      retry: { maxRetries: 4, retryBaseMs: 100, retryMaxMs: 300, random: () => 1 },
    });
    add('a');
    void writer.settled();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0))).toEqual([100, 200, 300, 300]);
  });

  it('bisects a failing batch so one poison entry costs only itself', async () => {
    const { store, stored } = fakeStore((ids) => (ids.includes('p') ? 'fail' : 'ok'));
    const { add, counters, errors, writer } = setup(store, { batchSize: 8 });
    const items = add('a', 'b', 'c', 'd', 'p', 'f', 'g', 'h');
    const outcomes: boolean[] = [];
    for (const item of items) item.settle = (ok) => outcomes.push(ok);
    const settled = writer.settled();
    await vi.advanceTimersByTimeAsync(5_000);
    await settled;
    expect([...stored].sort()).toEqual(['a', 'b', 'c', 'd', 'f', 'g', 'h']);
    expect(counters).toMatchObject({ persisted: 7, pending: 0, dropped: { store_failed: 1 } });
    expect(outcomes.filter((ok) => !ok)).toHaveLength(1);
    expect(errors.map((e) => e.code)).toEqual(['STORE_FAILED']);
    expect(errors[0]?.message).toContain('entry p dropped');
  });

  it('counts a store that never answers as timeouts, and does not bisect it', async () => {
    const { store, calls } = fakeStore(() => 'hang');
    const { add, counters, writer } = setup(store, { writeTimeoutMs: 1_000 });
    add('a', 'b', 'c');
    const settled = writer.settled();
    await vi.advanceTimersByTimeAsync(60_000);
    await settled;
    // One attempt and three retries, each on the whole batch.
    expect(calls.map((c) => c.ids.length)).toEqual([3, 3, 3, 3]);
    expect(counters).toMatchObject({ timeouts: 4, retried: 3, dropped: { store_failed: 3 }, pending: 0 });
  });

  it('counts a duplicate as persisted once, newly inserted apart', async () => {
    const { store, stored } = fakeStore();
    stored.add('a');
    const { add, counters, writer } = setup(store);
    add('a', 'b');
    const settled = writer.settled();
    await vi.advanceTimersByTimeAsync(0);
    await settled;
    expect(counters).toMatchObject({ persisted: 2, inserted: 1, duplicates: 1 });
  });

  it('abandon(): what is queued or in flight is counted once as shutdown_timeout, even when the write lands late', async () => {
    let release: (() => void) | undefined;
    const store: Pick<ActivityStore, 'append'> = {
      append: (entries) =>
        new Promise((resolve) => {
          release = () => resolve({ inserted: entries.length, duplicates: 0 });
        }),
    };
    const { add, counters, writer, queue, errors } = setup(store);
    add('a', 'b', 'c', 'd', 'e');
    void writer.settled();
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.length).toBe(2);
    writer.abandon();
    expect(counters).toMatchObject({ pending: 0, persisted: 0, dropped: { shutdown_timeout: 5 } });
    expect(errors.filter((e) => e.code === 'DROPPED')).toHaveLength(5);
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(counters).toMatchObject({ pending: 0, persisted: 0, dropped: { shutdown_timeout: 5 } });
    expect(queue.bytes).toBe(0);
  });

  it('writes what prepare() returns and leaves out what it refused', async () => {
    const { store, calls } = fakeStore();
    const { add, writer } = setup(store, { prepare: (batch) => batch.filter((i) => i.id !== 'b') });
    add('a', 'b', 'c');
    const settled = writer.settled();
    await vi.advanceTimersByTimeAsync(0);
    await settled;
    expect(calls.map((c) => c.ids)).toEqual([['a', 'c']]);
  });

  it('stop() clears its timer: nothing is written after it', async () => {
    const { store, calls } = fakeStore();
    const { add, writer } = setup(store);
    add('a');
    writer.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toHaveLength(0);
  });
});

describe('Writer holding an outage (holdOnOutage, with a disk buffer)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: [...TIMERS] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

  it('keeps retrying a store that is unreachable, every retryMaxMs once its retries ran out, and drops nothing', async () => {
    let down = true;
    const calls: number[] = [];
    const store: Pick<ActivityStore, 'append'> = {
      append: (entries) => {
        calls.push(Date.now());
        return down
          ? Promise.reject(refused())
          : Promise.resolve({ inserted: entries.length, duplicates: 0 });
      },
    };
    const { add, counters, writer } = setup(store, { holdOnOutage: true });
    add('a', 'b');
    const settled = writer.settled();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(counters).toMatchObject({ persisted: 0, dropped: {}, pending: 2 });
    expect(calls.length).toBeGreaterThan(8);
    down = false;
    await vi.advanceTimersByTimeAsync(10_000);
    await settled;
    expect(counters).toMatchObject({ persisted: 2, dropped: {}, pending: 0 });
  });

  it('still bisects and drops what the store refuses for its data', async () => {
    const { store, stored } = fakeStore((ids) => (ids.includes('p') ? 'fail' : 'ok'));
    const { add, counters, writer } = setup(store, { holdOnOutage: true, batchSize: 4 });
    add('a', 'p', 'c', 'd');
    const settled = writer.settled();
    await vi.advanceTimersByTimeAsync(5_000);
    await settled;
    expect([...stored].sort()).toEqual(['a', 'c', 'd']);
    expect(counters.dropped).toEqual({ store_failed: 1 });
  });

  it('without holdOnOutage, an unreachable store costs the batch after its retries (counted)', async () => {
    const store: Pick<ActivityStore, 'append'> = { append: () => Promise.reject(refused()) };
    const { add, counters, writer } = setup(store);
    add('a');
    const settled = writer.settled();
    await vi.advanceTimersByTimeAsync(60_000);
    await settled;
    expect(counters.dropped).toEqual({ store_failed: 1 });
  });
});
