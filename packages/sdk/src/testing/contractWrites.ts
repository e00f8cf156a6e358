/**
 * The store contract's write groups: an entry round-trips whole (append and get), duplicates by id or
 * idempotency key are skipped (idempotency), and only a running job moves on (updateJob).
 */
import type { ActivityEntry, ActivityStore } from '../types.js';
import { BASE, entry, idAt, ids, runner } from './contractKit.js';

/** Registers "append and get": full and minimal entries round-trip, a missing id or another org reads undefined, an empty batch is accepted, and no caller object is kept. */
export function appendAndGetContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('append and get', () => {
    let store: ActivityStore;
    beforeEach(() => {
      store = current();
    });

    it('round-trips every field of an entry', async () => {
      const full: ActivityEntry = {
        id: idAt(BASE),
        orgId: 'org_a',
        occurredAt: '2026-03-15T11:58:00.123Z',
        recordedAt: '2026-03-15T11:58:00.456Z',
        schemaVersion: 1,
        type: 'WEBHOOK',
        status: 'WARNING',
        actor: { kind: 'external', id: 'stripe', name: 'Stripe' },
        action: 'payment_intent.payment_failed',
        entity: { type: 'payment', id: 'pi_3Pq', label: 'Zoë Müller — 🍷 Spring 2026 Reds' },
        summary: 'Card declined: “insufficient_funds” 💳',
        changes: [
          { path: 'status', kind: 'changed', before: 'ACTIVE', after: 'PAST_DUE' },
          { path: 'tags.2', kind: 'added', after: 'VIP' },
          { path: 'address.city', kind: 'removed', before: 'Köln' },
          { path: 'card', kind: 'changed', redacted: true },
          { path: 'prefs', kind: 'changed', before: { a: [1, { b: null }] }, after: { a: [] } },
        ],
        metadata: {
          attempt: 2,
          amount: { value: 12_999, currency: 'USD' },
          nested: { deep: { deeper: { list: [1, 'two', true, null, { k: 'v' }] } } },
          unicode: '日本語 العربية עברית',
          emoji: '🍇🍷🥂',
          ratio: 0.125,
          negative: -42,
          empty: {},
          emptyList: [],
        },
        error: {
          name: 'CardError',
          message: 'Your card has insufficient funds.',
          code: 'card_declined',
          stack:
            'CardError: Your card has insufficient funds.\n    at charge (/app/src/payments.ts:42:11)\n    at async run (/app/src/jobs.ts:7:3)',
        },
        webhook: {
          direction: 'in',
          provider: 'stripe',
          eventType: 'payment_intent.payment_failed',
          eventId: 'evt_1PqXyZ',
          url: 'https://wine.example.com/webhooks/stripe',
          request: {
            headers: { 'content-type': 'application/json', 'stripe-signature': '[REDACTED]' },
            body: {
              id: 'evt_1PqXyZ',
              data: { object: { amount: 12_999, last_payment_error: { code: 'card_declined' } } },
            },
          },
          response: { headers: { 'content-type': 'application/json' }, body: { received: true } },
          statusCode: 200,
          durationMs: 38,
        },
        progress: { processed: 10, total: 10 },
        correlationId: 'corr_9f2',
        parentId: idAt(BASE - 1000),
        retryOf: idAt(BASE - 2000),
        idempotencyKey: 'stripe:evt_1PqXyZ',
        context: {
          ip: '203.0.113.7',
          userAgent: 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          requestId: 'req_123',
        },
        retryable: true,
        retriggerUrl: '/settings/integrations/stripe',
        completedAt: '2026-03-15T11:58:01.000Z',
        durationMs: 877,
      };
      await expect(store.append([full])).resolves.toEqual({ inserted: 1, duplicates: 0 });
      expect(await store.get('org_a', full.id)).toEqual(full);
      const page = await store.query({ orgId: 'org_a' });
      expect(page.entries).toEqual([full]);
    });

    it('round-trips a minimal entry without optional fields', async () => {
      const min = entry({ entity: undefined, actor: { kind: 'system', id: 'system' } });
      await store.append([min]);
      const got = await store.get('org_a', min.id);
      expect(got).toEqual(min);
      expect(got?.entity).toBeUndefined();
      expect(got?.actor.name).toBeUndefined();
    });

    it('returns undefined for a missing id or another org', async () => {
      const e = entry();
      await store.append([e]);
      expect(await store.get('org_a', idAt(BASE))).toBeUndefined();
      expect(await store.get('org_b', e.id)).toBeUndefined();
    });

    it('accepts an empty batch', async () => {
      await expect(store.append([])).resolves.toEqual({ inserted: 0, duplicates: 0 });
    });

    it('does not keep a reference to the caller’s objects', async () => {
      const e = entry({ metadata: { count: 1 } });
      await store.append([e]);
      (e.metadata as { count: number }).count = 2;
      const got = await store.get('org_a', e.id);
      expect(got?.metadata).toEqual({ count: 1 });
    });
  });
}

/** Registers "idempotency": an id or (orgId, idempotencyKey) already stored, in the batch or an earlier one, is skipped, keeping the first. */
export function idempotencyContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('idempotency', () => {
    let store: ActivityStore;
    beforeEach(() => {
      store = current();
    });

    it('skips an id already stored, across batches, keeping the first', async () => {
      const first = entry({ summary: 'first' });
      await store.append([first]);
      const again = { ...first, summary: 'second' };
      await expect(store.append([again, entry()])).resolves.toEqual({ inserted: 1, duplicates: 1 });
      expect((await store.get('org_a', first.id))?.summary).toBe('first');
    });

    it('skips an (orgId, idempotencyKey) already stored, across batches', async () => {
      const first = entry({ idempotencyKey: 'stripe:evt_1' });
      await store.append([first]);
      const other = entry({ idempotencyKey: 'stripe:evt_1' });
      await expect(store.append([other])).resolves.toEqual({ inserted: 0, duplicates: 1 });
      expect(await store.get('org_a', other.id)).toBeUndefined();
      expect(await store.get('org_a', first.id)).toBeDefined();
      expect((await store.facets({ orgId: 'org_a' })).total).toBe(1);
    });

    it('skips duplicates within one batch, keeping the first', async () => {
      const a = entry({ idempotencyKey: 'k1', summary: 'a' });
      const b = entry({ idempotencyKey: 'k1', summary: 'b' });
      const c = entry({ summary: 'c' });
      const cAgain = { ...c, summary: 'c again' };
      await expect(store.append([a, b, c, cAgain])).resolves.toEqual({ inserted: 2, duplicates: 2 });
      expect((await store.get('org_a', a.id))?.summary).toBe('a');
      expect(await store.get('org_a', b.id)).toBeUndefined();
      expect((await store.get('org_a', c.id))?.summary).toBe('c');
    });

    it('treats the same key in another org as a different entry', async () => {
      const a = entry({ orgId: 'org_a', idempotencyKey: 'fedex:track_1' });
      const b = entry({ orgId: 'org_b', idempotencyKey: 'fedex:track_1' });
      await expect(store.append([a, b])).resolves.toEqual({ inserted: 2, duplicates: 0 });
      expect(await store.get('org_a', a.id)).toBeDefined();
      expect(await store.get('org_b', b.id)).toBeDefined();
    });

    it('never treats entries without a key as duplicates of each other', async () => {
      const batch = Array.from({ length: 20 }, () => entry());
      await expect(store.append(batch)).resolves.toEqual({ inserted: 20, duplicates: 0 });
    });

    it('keeps the key reserved by an entry whose job was updated', async () => {
      const job = entry({ type: 'BACKGROUND_JOB', status: 'IN_PROGRESS', idempotencyKey: 'job:1' });
      await store.append([job]);
      await store.updateJob('org_a', job.id, { status: 'SUCCESS' });
      await expect(store.append([entry({ idempotencyKey: 'job:1' })])).resolves.toEqual({
        inserted: 0,
        duplicates: 1,
      });
    });
  });
}

/** Registers "updateJob": progress shows while a job runs, its end is final and seen by filters, and another org's or a missing entry is refused. */
export function updateJobContract(current: () => ActivityStore): void {
  const { describe, it, expect, beforeEach } = runner;
  describe('updateJob', () => {
    let store: ActivityStore;
    beforeEach(() => {
      store = current();
    });

    const job = () =>
      entry({
        type: 'BACKGROUND_JOB',
        status: 'IN_PROGRESS',
        actor: { kind: 'system', id: 'system', name: 'System' },
        action: 'PROCESS_RELEASE_PAYMENTS',
        entity: { type: 'release', id: 'rel_spring26', label: 'Spring 2026 Reds' },
        progress: { processed: 0, total: 120 },
        metadata: { batch: 1 },
      });

    it('makes progress visible while the job runs', async () => {
      const j = job();
      await store.append([j]);
      expect(
        await store.updateJob('org_a', j.id, {
          progress: { processed: 60, total: 120 },
          metadata: { charged: 58 },
        }),
      ).toBe(true);
      const got = await store.get('org_a', j.id);
      expect(got?.status).toBe('IN_PROGRESS');
      expect(got?.progress).toEqual({ processed: 60, total: 120 });
      expect(got?.metadata).toEqual({ batch: 1, charged: 58 });
      const page = await store.query({ orgId: 'org_a', statuses: ['IN_PROGRESS'] });
      expect(page.entries[0]?.progress).toEqual({ processed: 60, total: 120 });
    });

    it('finishes a job and then refuses further updates', async () => {
      const j = job();
      await store.append([j]);
      const final = {
        status: 'FAILED' as const,
        error: {
          name: 'Error',
          message: 'Stripe timeout',
          stack: 'Error: Stripe timeout\n    at x (a.ts:1:1)',
        },
        summary: 'Charged 58 of 120',
        completedAt: '2026-03-15T12:01:00.000Z',
        durationMs: 60_000,
      };
      expect(await store.updateJob('org_a', j.id, final)).toBe(true);
      expect(await store.updateJob('org_a', j.id, { status: 'SUCCESS', summary: 'changed' })).toBe(false);
      const got = await store.get('org_a', j.id);
      expect(got).toMatchObject(final);
      expect(got?.action).toBe('PROCESS_RELEASE_PAYMENTS');
    });

    it('updates the filterable status, so filters, facets and histogram see it', async () => {
      const j = job();
      await store.append([j]);
      await store.updateJob('org_a', j.id, { status: 'SUCCESS', progress: { processed: 120, total: 120 } });
      expect(ids((await store.query({ orgId: 'org_a', statuses: ['SUCCESS'] })).entries)).toEqual([j.id]);
      expect((await store.query({ orgId: 'org_a', statuses: ['IN_PROGRESS'] })).entries).toEqual([]);
      const facets = await store.facets({ orgId: 'org_a' });
      expect(facets.statuses).toEqual([{ value: 'SUCCESS', count: 1 }]);
      const failing = await store.updateJob('org_a', j.id, { status: 'FAILED' });
      expect(failing).toBe(false);
      const hist = await store.histogram({ orgId: 'org_a', bucketMs: 3_600_000 });
      expect(hist.map((b) => b.failures)).toEqual([0]);
    });

    it('refuses an entry of another org and leaves it unchanged', async () => {
      const j = job();
      await store.append([j]);
      expect(await store.updateJob('org_b', j.id, { status: 'SUCCESS' })).toBe(false);
      expect((await store.get('org_a', j.id))?.status).toBe('IN_PROGRESS');
    });

    it('refuses a missing entry and an entry that was never in progress', async () => {
      const done = entry();
      await store.append([done]);
      expect(await store.updateJob('org_a', idAt(BASE), { status: 'SUCCESS' })).toBe(false);
      expect(await store.updateJob('org_a', done.id, { status: 'FAILED' })).toBe(false);
      expect((await store.get('org_a', done.id))?.status).toBe('SUCCESS');
    });
  });
}
