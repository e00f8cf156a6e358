import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decorateEntry, findRetryHandler, type RetryContext } from '../src/server/retry.js';
import type { ActivityEntry } from '../src/types.js';
import { freshEntry, type Harness, startApi, waitFor } from './apiHarness.js';

let api: Harness;
const calls: RetryContext[] = [];

beforeAll(async () => {
  api = await startApi({
    perOrg: 50,
    retry: {
      jobs: {
        SYNC_SQUARE_STOCK: async (ctx) => {
          calls.push(ctx);
          ctx.run.progress(3, 3);
          return { synced: 3 };
        },
        EXPLODING_JOB: async () => {
          throw new Error('square is down again');
        },
      },
      providers: {
        stripe: async (ctx) => {
          calls.push(ctx);
          return { redelivered: ctx.entry.webhook?.eventId };
        },
      },
      retriggerUrl: (entry) =>
        entry.action === 'ONE_TIME_IMPORT'
          ? `https://host.test/integrations/${entry.entity?.id ?? ''}`
          : undefined,
    },
  });
});
afterAll(async () => {
  await api.close();
});

async function seed(orgId: string, overrides: Partial<ActivityEntry>): Promise<ActivityEntry> {
  const entry = freshEntry(orgId, 0, {
    type: 'BACKGROUND_JOB',
    status: 'FAILED',
    actor: { kind: 'system', id: 'system', name: 'system' },
    correlationId: `corr-${Math.random().toString(36).slice(2)}`,
    entity: { type: 'product', id: 'prod_1', label: 'Spring Reds' },
    error: { name: 'Error', message: 'boom' },
    ...overrides,
  });
  await api.store.append([entry]);
  return entry;
}

const retryOf = async (orgId: string, id: string) => {
  const page = await api.store.query({ orgId, from: '2000-01-01T00:00:00.000Z', limit: 1000 });
  return page.entries.find((e) => e.retryOf === id);
};

describe('POST /entries/:id/retry', () => {
  it('starts a new run linked to the original, with the viewer as actor', async () => {
    const original = await seed('org_a', { action: 'SYNC_SQUARE_STOCK' });
    const { entryId } = await api.client('a-admin').retry(original.id);
    expect(entryId).toMatch(/^[0-9a-f-]{36}$/);
    const run = await waitFor(async () => {
      const e = await api.store.get('org_a', entryId);
      return e?.status === 'SUCCESS' ? e : undefined;
    });
    expect(run.retryOf).toBe(original.id);
    expect(run.parentId).toBe(original.id);
    expect(run.correlationId).toBe(original.correlationId);
    expect(run.action).toBe('SYNC_SQUARE_STOCK');
    expect(run.type).toBe('BACKGROUND_JOB');
    expect(run.orgId).toBe('org_a');
    expect(run.actor).toEqual({ kind: 'user', id: 'usr_alice', name: 'Alice Admin' });
    expect(run.entity).toEqual(original.entity);
    expect(run.metadata).toMatchObject({ synced: 3 });
    // The handler saw the original entry and the viewer.
    const ctx = calls.find((c) => c.entry.id === original.id)!;
    expect(ctx.viewer.userId).toBe('usr_alice');
    expect(ctx.run.id).toBe(entryId);
    // The new entry shows up in the list, and the original is still untouched.
    const listed = await api.client('a-admin').list({ range: '1h', types: ['BACKGROUND_JOB'] });
    expect(listed.entries.map((e) => e.id)).toContain(entryId);
    expect((await api.store.get('org_a', original.id))?.status).toBe('FAILED');
  });

  it('records a FAILED run when the handler throws', async () => {
    const original = await seed('org_a', { action: 'EXPLODING_JOB' });
    const response = await api.fetch(`/entries/${original.id}/retry`, { method: 'POST', token: 'a-admin' });
    expect(response.status).toBe(202);
    const { entryId } = (await response.json()) as { entryId: string };
    const run = await waitFor(async () => {
      const e = await api.store.get('org_a', entryId);
      return e && e.status !== 'IN_PROGRESS' ? e : undefined;
    });
    expect(run.status).toBe('FAILED');
    expect(run.error?.message).toContain('square is down again');
    expect(run.retryOf).toBe(original.id);
  });

  it('retries webhooks by provider', async () => {
    const original = await seed('org_a', {
      type: 'WEBHOOK',
      status: 'WARNING',
      action: 'payment_intent.payment_failed',
      actor: { kind: 'external', id: 'stripe', name: 'Stripe' },
      webhook: {
        direction: 'in',
        provider: 'stripe',
        eventType: 'payment_intent.payment_failed',
        eventId: 'evt_123',
      },
    });
    const { entryId } = await api.client('a-admin').retry(original.id);
    const run = await waitFor(async () => {
      const e = await api.store.get('org_a', entryId);
      return e?.status === 'SUCCESS' ? e : undefined;
    });
    expect(run.metadata).toMatchObject({ redelivered: 'evt_123' });
    expect(run.retryOf).toBe(original.id);
  });

  it('answers 409 NOT_RETRYABLE without a handler, with the re-trigger link when the host has one', async () => {
    const plain = await seed('org_a', { action: 'NIGHTLY_REPORT' });
    const response = await api.fetch(`/entries/${plain.id}/retry`, { method: 'POST', token: 'a-admin' });
    expect(response.status).toBe(409);
    const body = (await response.json()) as { error: { code: string; retriggerUrl?: string } };
    expect(body.error.code).toBe('NOT_RETRYABLE');
    expect(body.error.retriggerUrl).toBeUndefined();

    const oneTime = await seed('org_a', {
      action: 'ONE_TIME_IMPORT',
      entity: { type: 'integration', id: 'square' },
    });
    const linked = await api.fetch(`/entries/${oneTime.id}/retry`, { method: 'POST', token: 'a-admin' });
    expect(linked.status).toBe(409);
    const linkedBody = (await linked.json()) as { error: { code: string; retriggerUrl?: string } };
    expect(linkedBody.error).toMatchObject({
      code: 'NOT_RETRYABLE',
      retriggerUrl: 'https://host.test/integrations/square',
    });
    const entry = await api.client('a-admin').get(oneTime.id);
    expect(entry.retryable).toBe(false);
    expect(entry.retriggerUrl).toBe('https://host.test/integrations/square');
    await expect(api.client('a-admin').retry(plain.id)).rejects.toMatchObject({
      code: 'NOT_RETRYABLE',
      status: 409,
    });
    expect(await retryOf('org_a', plain.id)).toBeUndefined();
  });

  it('answers 403 without the retry permission and 404 for another org, starting nothing', async () => {
    const original = await seed('org_a', { action: 'SYNC_SQUARE_STOCK' });
    await expect(api.client('a-reader').retry(original.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
    await expect(api.client('b-admin').retry(original.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
    await api.handler.idle();
    expect(await retryOf('org_a', original.id)).toBeUndefined();
    expect(await retryOf('org_b', original.id)).toBeUndefined();
  });

  it('refuses to retry a run that is still in progress', async () => {
    const running = await seed('org_a', {
      action: 'SYNC_SQUARE_STOCK',
      status: 'IN_PROGRESS',
      error: undefined,
    });
    await expect(api.client('a-admin').retry(running.id)).rejects.toMatchObject({
      code: 'CONFLICT',
      status: 409,
    });
  });

  it('marks listed entries retryable from the registered handlers', async () => {
    const sync = await seed('org_a', { action: 'SYNC_SQUARE_STOCK' });
    const other = await seed('org_a', { action: 'NIGHTLY_REPORT' });
    expect((await api.client('a-reader').get(sync.id)).retryable).toBe(true);
    expect((await api.client('a-reader').get(other.id)).retryable).toBe(false);
  });
});

describe('findRetryHandler', () => {
  const handler = async () => undefined;
  it('matches jobs by action and webhooks by provider, never by inherited keys', () => {
    const options = { jobs: { SYNC: handler }, providers: { stripe: handler } };
    const job = freshEntry('o', 1, { type: 'BACKGROUND_JOB', action: 'SYNC' });
    expect(findRetryHandler(options, job)).toBe(handler);
    expect(findRetryHandler(options, { ...job, type: 'USER_ACTION' })).toBeUndefined();
    // Regression guard: an action named after an Object.prototype member must not look registered.
    for (const action of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(findRetryHandler(options, { ...job, action })).toBeUndefined();
      expect(decorateEntry(options, { ...job, action }).retryable).toBe(false);
    }
    const hook = freshEntry('o', 2, {
      type: 'WEBHOOK',
      action: 'charge.failed',
      webhook: { direction: 'in', provider: 'stripe', eventType: 'charge.failed' },
    });
    expect(findRetryHandler(options, hook)).toBe(handler);
    expect(
      findRetryHandler(options, { ...hook, webhook: { ...hook.webhook!, provider: 'fedex' } }),
    ).toBeUndefined();
  });
});
