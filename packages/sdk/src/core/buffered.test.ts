import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityError } from '../errors.js';
import { createMemoryStore } from '../testing/memoryStore.js';
import { createActivity } from './activity.js';
import type { ActivityStats } from './api.js';

const ORG = 'org_buffered';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'activity-buffered-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const event = (i: number) => ({
  type: 'SYSTEM_EVENT' as const,
  action: 'buffered.probe',
  actor: { kind: 'system' as const, id: 'test' },
  metadata: { i },
});

function identityHolds(s: ActivityStats): boolean {
  const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
  return s.calls === s.accepted + sum(s.rejected) && s.accepted === s.persisted + sum(s.dropped) + s.pending;
}

describe('createActivity({ buffer })', () => {
  it('keeps what a shutdown could not write on disk, and the next recorder replays it (a torn tail counted)', async () => {
    const path = join(dir, 'buffer');
    const down = createMemoryStore();
    down.append = () => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    const first = createActivity({ store: down, defaultOrgId: ORG, buffer: { path }, retryMaxMs: 10 });
    const ids = Array.from({ length: 10 }, (_, i) => first.record(event(i)));
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    await first.shutdown({ timeoutMs: 200 });
    expect(first.stats().dropped).toEqual({ shutdown_timeout: 10 });
    const segments = readdirSync(path).filter((f) => f.startsWith('segment-'));
    expect(segments.length).toBeGreaterThan(0);
    // A record torn by a crash mid-write at the end of the last segment.
    appendFileSync(join(path, segments.at(-1) as string), Buffer.from([200, 0, 0, 0, 1, 2, 3]));

    const store = createMemoryStore();
    const errors: ActivityError[] = [];
    const second = createActivity({
      store,
      defaultOrgId: ORG,
      buffer: { path },
      onError: (e) => errors.push(e),
    });
    expect(second.stats()).toMatchObject({ replayed: 10, calls: 11, dropped: { buffer_corrupt: 1 } });
    await second.flush();
    for (const id of ids) expect(await store.get(ORG, id as string)).toBeDefined();
    const stats = second.stats();
    expect(stats).toMatchObject({ persisted: 10, pending: 0 });
    expect(identityHolds(stats)).toBe(true);
    expect(errors.map((e) => e.code)).toEqual(['DROPPED']);
    await second.shutdown();
    // Clean shutdown: nothing left for a third recorder.
    expect(readdirSync(path).filter((f) => f.startsWith('segment-'))).toEqual([]);
  });

  it('a replay of entries already stored stores nothing twice', async () => {
    const path = join(dir, 'buffer');
    const store = createMemoryStore();
    const first = createActivity({ store, defaultOrgId: ORG, buffer: { path } });
    for (let i = 0; i < 5; i++) first.record(event(i));
    await first.flush();
    // A crash after the writes but before the cursor moved: simulated by freezing the buffer's cursor.
    await first.shutdown({ timeoutMs: 0 }).catch(() => undefined);
    const second = createActivity({ store, defaultOrgId: ORG, buffer: { path } });
    await second.flush();
    const stats = second.stats();
    expect(stats.inserted).toBe(0);
    expect(stats.persisted).toBe(stats.duplicates);
    expect((await store.query({ orgId: ORG, limit: 100 })).entries).toHaveLength(5);
    await second.shutdown();
  });

  it('refuses a bad buffer option at construction, naming it', () => {
    const store = createMemoryStore();
    expect(() => createActivity({ store, buffer: { path: '' } })).toThrow(/buffer/);
    expect(() => createActivity({ store, buffer: { path: dir, maxBytes: -1 } })).toThrow(/buffer.maxBytes/);
  });
});
