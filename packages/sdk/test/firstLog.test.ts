/**
 * Issue 13, "time to first log": what a new host app gets without knowing the SDK's internals.
 * Each describe names the fix; each test fails on the code before it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createActivity } from '../src/core/activity.js';
import { defineCatalog } from '../src/core/catalog.js';
import { ActivityError } from '../src/errors.js';
import { createActivityHandler } from '../src/server/handler.js';
import { createMemoryStore } from '../src/testing/index.js';
import type { Viewer } from '../src/types.js';

const catalog = defineCatalog({
  entities: {
    invoice: { label: 'Invoice', actions: { sent: { label: 'Sent' } } },
  },
  jobs: { NIGHTLY_SYNC: { label: 'Nightly sync' } },
});

const viewer: Viewer = { orgId: 'org_1', userId: 'usr_1', permissions: ['read'] };
const authorize = () => viewer;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

function recorder(extra: Record<string, unknown> = {}) {
  const activity = createActivity({ store: createMemoryStore(), catalog, defaultOrgId: 'org_1', ...extra });
  closers.push(() => activity.shutdown({ timeoutMs: 1000 }));
  return activity;
}

describe('handler options — labels and store from `activity`', () => {
  it('serves the recorder catalog on GET /catalog when no `catalog` option is given', async () => {
    const activity = recorder();
    const handler = createActivityHandler({ activity, authorize });
    const res = await handler(new Request('http://app.test/api/activity/catalog'));
    expect(res.status).toBe(200);
    const labels = (await res.json()) as {
      actions: Record<string, string>;
      jobs: Array<{ value: string; label: string }>;
      entityTypes: Array<{ value: string }>;
    };
    expect(labels.actions['invoice.sent']).toBe('Invoice sent');
    expect(labels.jobs).toEqual([expect.objectContaining({ value: 'NIGHTLY_SYNC', label: 'Nightly sync' })]);
    expect(labels.entityTypes.map((e) => e.value)).toEqual(['invoice']);
  });

  it('lets an explicit `catalog` option win over the recorder catalog', async () => {
    const activity = recorder();
    const handler = createActivityHandler({
      activity,
      authorize,
      catalog: {
        types: [],
        statuses: [],
        entityTypes: [],
        actions: { 'invoice.sent': 'Mailed' },
        jobs: [],
        providers: [],
        systemEvents: [],
      },
    });
    const labels = (await (await handler(new Request('http://app.test/catalog'))).json()) as {
      actions: Record<string, string>;
      jobs: unknown[];
    };
    expect(labels.actions).toEqual({ 'invoice.sent': 'Mailed' });
    expect(labels.jobs).toEqual([]);
  });

  it('reads entries from `activity.store` when `store` is omitted', async () => {
    const activity = recorder();
    activity.record({
      type: 'USER_ACTION',
      action: 'invoice.sent',
      entity: { type: 'invoice', id: 'inv_1' },
    });
    await activity.flush();
    const handler = createActivityHandler({ activity, authorize });
    const res = await handler(new Request('http://app.test/entries'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entries: Array<{ action: string }> };
    expect(body.entries.map((e) => e.action)).toEqual(['invoice.sent']);
  });

  it('prefers an explicit `store` over the recorder store', async () => {
    const activity = recorder();
    activity.record({
      type: 'USER_ACTION',
      action: 'invoice.sent',
      entity: { type: 'invoice', id: 'inv_1' },
    });
    await activity.flush();
    const handler = createActivityHandler({ activity, store: createMemoryStore(), authorize });
    const body = (await (await handler(new Request('http://app.test/entries'))).json()) as {
      entries: unknown[];
    };
    expect(body.entries).toEqual([]);
  });

  it('fails at construction, naming `store`, with neither `store` nor `activity`', () => {
    let error: unknown;
    try {
      createActivityHandler({ authorize });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActivityError);
    expect((error as ActivityError).code).toBe('CONFIG');
    expect((error as ActivityError).message).toMatch(/^store:/);
  });
});
