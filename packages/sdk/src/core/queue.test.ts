import { describe, expect, it, vi } from 'vitest';
import type { ActivityError } from '../errors.js';
import { createCounters } from './counters.js';
import type { OverflowPolicy } from './options.js';
import { EntryQueue, newQueueItem, type QueueItem } from './queue.js';

/** An item of exactly `bytes` bytes (ASCII JSON). */
function item(id: string, bytes = 100, pending = true): QueueItem {
  const json = JSON.stringify({ id, pad: '' });
  const padded = `${json.slice(0, -2)}${'x'.repeat(Math.max(0, bytes - json.length))}"}`;
  return newQueueItem(id, padded, padded.length, pending);
}

function setup(maxBytes: number, overflow: OverflowPolicy = 'drop-oldest', ring = true) {
  const counters = createCounters();
  const reports: { error: ActivityError; id: string | undefined }[] = [];
  const queue = new EntryQueue({
    maxBytes,
    overflow,
    counters,
    ring,
    report: (error, entry) => reports.push({ error, id: entry?.id }),
  });
  return { queue, counters, reports };
}

describe('EntryQueue', () => {
  it('counts what it accepts as pending and holds its bytes until the writer releases them', () => {
    const { queue, counters } = setup(1_000);
    const a = item('a');
    const b = item('b');
    expect(queue.enqueue(a)).toBe(true);
    expect(queue.enqueue(b)).toBe(true);
    expect(counters.pending).toBe(2);
    expect([queue.length, queue.entries, queue.bytes, queue.lastSeq]).toEqual([2, 2, 200, 2]);
    const taken = queue.take(1);
    expect(taken).toEqual([a]);
    expect(a.taken).toBe(true);
    expect(b.taken).toBe(false);
    queue.hold(taken);
    expect([queue.length, queue.entries, queue.bytes]).toEqual([1, 2, 200]);
    queue.release(taken);
    expect([queue.length, queue.entries, queue.bytes]).toEqual([1, 1, 100]);
  });

  it('keeps pending snapshots in its ring and gives the same text back once', () => {
    const { queue } = setup(1_000);
    const a = item('a', 120);
    const text = a.json;
    queue.enqueue(a);
    expect(a.json).toBe('');
    expect(a.ring).toBeGreaterThanOrEqual(0);
    expect(queue.text(a)).toBe(text);
    expect(a.ring).toBe(-1);
  });

  it('keeps strings when the ring is off', () => {
    const { queue } = setup(1_000, 'drop-oldest', false);
    const a = item('a');
    const text = a.json;
    queue.enqueue(a);
    expect(a.json).toBe(text);
    expect(queue.text(a)).toBe(text);
  });

  it('drop-oldest: evicts the oldest queued entries, counts each under dropped.queue_full, reports once per episode', () => {
    const { queue, counters, reports } = setup(300);
    const items = ['a', 'b', 'c', 'd', 'e'].map((id) => item(id));
    const settled: string[] = [];
    for (const it of items) it.settle = (ok) => settled.push(`${it.id}:${ok}`);
    for (const it of items) expect(queue.enqueue(it)).toBe(true);
    expect(queue.bytes).toBe(300);
    expect(counters.dropped).toEqual({ queue_full: 2 });
    expect(counters.pending).toBe(3);
    expect(settled).toEqual(['a:false', 'b:false']);
    expect(items[0]?.done && items[0]?.taken).toBe(true);
    expect(reports).toHaveLength(1);
    expect(reports[0]?.error.code).toBe('QUEUE_FULL');
    expect(reports[0]?.id).toBe('a');
    queue.endOverflow();
    queue.enqueue(item('f'));
    expect(reports).toHaveLength(2);
  });

  it('reject: refuses the new entry (marked done, not counted as accepted) and evicts nothing', () => {
    const { queue, counters, reports } = setup(200, 'reject');
    queue.enqueue(item('a'));
    queue.enqueue(item('b'));
    const c = item('c');
    expect(queue.enqueue(c)).toBe(false);
    expect(c.done).toBe(true);
    expect(counters.pending).toBe(2);
    expect(counters.dropped).toEqual({});
    expect(reports.map((r) => r.id)).toEqual(['c']);
    expect(queue.enqueue(item('d'))).toBe(false);
    expect(reports).toHaveLength(1);
  });

  it('never evicts the entry that is growing, and counts the growth by resize', () => {
    const { queue, counters } = setup(300);
    const a = item('a');
    const b = item('b');
    queue.enqueue(a);
    queue.enqueue(b);
    expect(queue.makeRoom(150, a)).toBe(true);
    expect(b.done).toBe(true);
    expect(counters.dropped.queue_full).toBe(1);
    queue.resize(a, 250);
    expect(queue.bytes).toBe(250);
    expect(queue.makeRoom(100, a)).toBe(false);
  });

  it('resolves a waiter once every entry up to its point has settled', async () => {
    const { queue } = setup(1_000);
    expect(queue.whenSettled()).toBeUndefined();
    queue.enqueue(item('a'));
    queue.enqueue(item('b'));
    const done = vi.fn();
    void queue.whenSettled()?.then(done);
    queue.enqueue(item('c'));
    const first = queue.take(1);
    queue.hold(first);
    queue.release(first);
    await Promise.resolve();
    expect(done).not.toHaveBeenCalled();
    const second = queue.take(1);
    queue.hold(second);
    queue.release(second);
    await Promise.resolve();
    expect(done).toHaveBeenCalledOnce();
    expect(queue.length).toBe(1);
  });

  it('gives up everything queued and in flight at once, freeing their bytes and ring space', () => {
    const { queue } = setup(1_000);
    for (const id of ['a', 'b', 'c']) queue.enqueue(item(id));
    const inflight = queue.take(1);
    queue.hold(inflight);
    const left = queue.abandon();
    expect(left.map((i) => i.id)).toEqual(['a', 'b', 'c']);
    expect(left.every((i) => i.ring === -1)).toBe(true);
    expect(queue.length).toBe(0);
    // In-flight bytes leave when their write ends.
    expect(queue.bytes).toBe(100);
    queue.release(inflight);
    expect(queue.bytes).toBe(0);
  });

  it('discards a taken entry refused by its deferred validation', () => {
    const { queue } = setup(1_000);
    queue.enqueue(item('a'));
    const [a] = queue.take(1);
    queue.discard(a as QueueItem);
    queue.hold([]);
    queue.release([]);
    expect(queue.bytes).toBe(0);
  });
});
