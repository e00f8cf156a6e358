/**
 * Fault 5 through the HTTP API: a zombie run (its process died mid-run) is refused by Retry while it
 * looks alive, and accepted once the sweeper has finalised it as FAILED / ABANDONED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshEntry, type Harness, startApi, waitFor } from './apiHarness.js';

let api: Harness;

beforeAll(async () => {
  api = await startApi({
    perOrg: 20,
    retry: { jobs: { SYNC_SQUARE_STOCK: async (ctx) => ctx.run.progress(1, 1) } },
  });
});
afterAll(async () => {
  await api.close();
});

describe('fault 5 — abandoned runs through the API', () => {
  it('fault 5: Retry refuses a live-looking zombie run, then accepts it once the sweeper finalised it', async () => {
    const lastSeen = new Date(Date.now() - 5 * 60_000).toISOString();
    const zombie = freshEntry('org_a', 1, {
      type: 'BACKGROUND_JOB',
      status: 'IN_PROGRESS',
      action: 'SYNC_SQUARE_STOCK',
      actor: { kind: 'system', id: 'system' },
      progress: { processed: 40, total: 100 },
      heartbeatAt: lastSeen,
      leaseExpiresAt: new Date(Date.now() - 4 * 60_000).toISOString(),
      occurredAt: new Date(Date.now() - 10 * 60_000).toISOString(),
    });
    await api.store.append([zombie]);
    const before = await api.fetch(`/entries/${zombie.id}/retry`, { method: 'POST', token: 'a-admin' });
    expect(before.status).toBe(409);

    expect(await api.activity.sweepAbandonedRuns({ orgId: 'org_a' })).toEqual({ abandoned: 1 });
    const detail = await api.client('a-admin').get(zombie.id);
    expect(detail.status).toBe('FAILED');
    expect(detail.error).toMatchObject({ code: 'ABANDONED' });
    expect(detail.error?.message).toContain(lastSeen);
    // The other org cannot see it, and a sweep scoped to it changes nothing.
    expect(await api.activity.sweepAbandonedRuns({ orgId: 'org_b' })).toEqual({ abandoned: 0 });

    const { entryId } = await api.client('a-admin').retry(zombie.id);
    const rerun = await waitFor(async () => {
      const e = await api.store.get('org_a', entryId);
      return e?.status === 'SUCCESS' ? e : undefined;
    });
    expect(rerun.retryOf).toBe(zombie.id);
  });
});

describe('fault 5 — the retention schedule sweeps too', () => {
  it('fault 5: a scheduled retention tick finalises abandoned runs', async () => {
    const { createRetention } = await import('../src/server/retention.js');
    const { createMemoryStore } = await import('../src/testing/memoryStore.js');
    const { createActivity } = await import('../src/core/index.js');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const store = createMemoryStore();
    const zombie = freshEntry('org_r', 2, {
      type: 'BACKGROUND_JOB',
      status: 'IN_PROGRESS',
      action: 'SYNC_SQUARE_STOCK',
      heartbeatAt: new Date(Date.now() - 120_000).toISOString(),
      leaseExpiresAt: new Date(Date.now() - 60_000).toISOString(),
    });
    await store.append([zombie]);
    const activity = createActivity({ store, sweepIntervalMs: false });
    const dir = await mkdtemp(join(tmpdir(), 'activity-sweep-'));
    const stop = createRetention({ store, activity, dir }).schedule({ intervalMs: 1000 });
    try {
      const swept = await waitFor(async () => {
        const e = await store.get('org_r', zombie.id);
        return e?.status === 'FAILED' ? e : undefined;
      });
      expect(swept.error?.code).toBe('ABANDONED');
    } finally {
      stop();
      await activity.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
