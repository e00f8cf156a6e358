/**
 * The conformance suite every {@link ActivityStore} runs. The test runner's functions are passed in
 * (`options.test`), so this module imports no test framework and the `/testing` entry stays safe to
 * bundle for Storybook and browsers.
 */
import { UUID } from 'uuidv7';
import type * as Vitest from 'vitest';
import { MAX_INSTANT, MAX_INSTANT_MS, MIN_INSTANT, MIN_INSTANT_MS } from '../core/isoDate.js';
import { isActivityError } from '../errors.js';
import type { ActivityEntry, ActivityStore, StoreQuery } from '../types.js';
import { generateActivity } from './fixtures.js';
import { compareNewestFirst, MAX_PAGE_SIZE, matchesFilter } from './memoryStore.js';
import { checkQueryOracle, type FastCheckModule } from './queryOracle.js';

/** The test-runner functions the suite uses (vitest's, or a compatible runner's). */
export interface StoreContractTestApi {
  describe: typeof Vitest.describe;
  it: typeof Vitest.it;
  expect: typeof Vitest.expect;
  beforeEach: typeof Vitest.beforeEach;
  afterEach: typeof Vitest.afterEach;
}

// Bound by runStoreContract before any test body runs.
let describe: StoreContractTestApi['describe'];
let it: StoreContractTestApi['it'];
let expect: StoreContractTestApi['expect'];
let beforeEach: StoreContractTestApi['beforeEach'];
let afterEach: StoreContractTestApi['afterEach'];

/** Options of {@link runStoreContract}. */
export interface StoreContractOptions {
  /**
   * The runner's functions.
   * @example import { afterEach, beforeEach, describe, expect, it } from 'vitest';
   * runStoreContract('sqlite', factory, { test: { describe, it, expect, beforeEach, afterEach } });
   */
  test: StoreContractTestApi;
  /** Runs after each test, before `close()` (drop a schema, remove a temp dir). */
  cleanup?: (store: ActivityStore) => Promise<void>;
  /**
   * fast-check (`import fc from 'fast-check'`), to run the query oracle: generated entries and filters
   * whose pages, facets and histogram must equal a plain model's. Without it the oracle is skipped.
   */
  fastCheck?: FastCheckModule | undefined;
  /**
   * Generated cases of the query oracle; keep it small for slow stores in CI.
   * @default 12, or 150 when the environment sets ACTIVITY_LONG=1
   */
  oracleRuns?: number | undefined;
}

/** True when the environment asks for the long forms of the property tests (ACTIVITY_LONG=1). */
function longRun(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.ACTIVITY_LONG === '1';
}

const BASE = Date.parse('2026-03-15T12:00:00.000Z');
let seq = 0;

/** A deterministic UUIDv7 for `ms`, unique within the test run. */
function idAt(ms: number): string {
  seq++;
  // UUIDv7 holds times from 1970 on: earlier entries (fault 4) take the epoch's.
  return UUID.fromFieldsV7(
    Math.max(0, ms),
    seq & 0xfff,
    (seq * 7919) & 0x3fffffff,
    (seq * 104_729) >>> 0,
  ).toString();
}

/** A minimal valid entry; `overrides` win. */
function entry(overrides: Partial<ActivityEntry> & { at?: number } = {}): ActivityEntry {
  const { at, ...rest } = overrides;
  const ms = at ?? BASE;
  return {
    id: idAt(ms),
    orgId: 'org_a',
    occurredAt: new Date(ms).toISOString(),
    recordedAt: new Date(ms + 5).toISOString(),
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_riley', name: 'Riley Park' },
    action: 'contact.updated',
    entity: { type: 'contact', id: 'ct_alex', label: 'Alex Chen' },
    ...rest,
  };
}

/** Every entry matching a query, following `next` to the end. */
async function collect(store: ActivityStore, query: StoreQuery, limit = 100): Promise<ActivityEntry[]> {
  const out: ActivityEntry[] = [];
  let after = query.after;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await store.query({ ...query, limit, after });
    out.push(...page.entries);
    if (!page.next) return out;
    expect(page.entries.length).toBe(limit);
    after = page.next;
  }
  throw new Error('paging did not terminate');
}

const ids = (entries: ActivityEntry[]) => entries.map((e) => e.id);

async function expectInvalid(promise: Promise<unknown>, field: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isActivityError(error, 'INVALID_FILTER'), `expected INVALID_FILTER on ${field}`).toBe(true);
  expect((error as { field?: string }).field).toBe(field);
}

/**
 * Registers the store conformance suite: round-trips, idempotency, job updates, tenant isolation,
 * filters, keyset paging, facets, histogram, retention and limits. `factory` must return an empty store.
 * @example runStoreContract('sqlite', () => createSqliteStore({ path: tempFile() }));
 */
export function runStoreContract(
  name: string,
  factory: () => Promise<ActivityStore> | ActivityStore,
  options: StoreContractOptions,
): void {
  ({ describe, it, expect, beforeEach, afterEach } = options.test);
  describe(`${name} store contract`, () => {
    let store: ActivityStore;

    beforeEach(async () => {
      store = await factory();
    });

    afterEach(async () => {
      if (options.cleanup) await options.cleanup(store);
      await store.close();
    });

    describe('append and get', () => {
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

    describe('idempotency', () => {
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

    describe('updateJob', () => {
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

    describe('tenant isolation', () => {
      it('scopes query, facets, histogram, get and deleteBefore to one org', async () => {
        const a = Array.from({ length: 5 }, (_, i) => entry({ orgId: 'org_a', at: BASE - i * 60_000 }));
        const b = Array.from({ length: 3 }, (_, i) => entry({ orgId: 'org_b', at: BASE - i * 60_000 }));
        await store.append([...a, ...b]);
        expect((await collect(store, { orgId: 'org_a' })).map((e) => e.orgId)).toEqual(
          Array(5).fill('org_a'),
        );
        expect(ids(await collect(store, { orgId: 'org_b' })).sort()).toEqual(ids(b).sort());
        expect((await store.query({ orgId: 'org_c' })).entries).toEqual([]);
        expect((await store.facets({ orgId: 'org_b' })).total).toBe(3);
        expect((await store.facets({ orgId: 'org_c' })).total).toBe(0);
        const hist = await store.histogram({ orgId: 'org_b', bucketMs: 86_400_000 });
        expect(hist.reduce((n, h) => n + h.count, 0)).toBe(3);
        expect(await store.get('org_b', a[0]?.id ?? '')).toBeUndefined();
        expect(await store.deleteBefore(new Date(BASE + 1).toISOString(), 'org_b')).toBe(3);
        expect((await store.facets({ orgId: 'org_a' })).total).toBe(5);
        expect(await store.listOrgs()).toEqual(['org_a']);
      });

      it('filters by correlation id without leaking across orgs', async () => {
        await store.append([
          entry({ orgId: 'org_a', correlationId: 'corr_shared' }),
          entry({ orgId: 'org_b', correlationId: 'corr_shared' }),
        ]);
        const page = await store.query({ orgId: 'org_a', correlationId: 'corr_shared' });
        expect(page.entries.map((e) => e.orgId)).toEqual(['org_a']);
      });
    });

    describe('filters', () => {
      const now = new Date(BASE);
      const data = generateActivity({ count: 400, orgIds: ['org_a', 'org_b'], seed: 7, now, spanDays: 10 });
      const orgA = data.filter((e) => e.orgId === 'org_a');
      const pick = <T>(values: (T | undefined)[]): T => {
        // The most frequent value, so every single-axis case selects a non-trivial subset.
        const counts = new Map<T, number>();
        for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
        const best = [...counts].sort((x, y) => y[1] - x[1])[0];
        if (!best) throw new Error('fixture has no value for a filter axis');
        return best[0];
      };
      const userId = pick(orgA.filter((e) => e.actor.kind === 'user').map((e) => e.actor.id));
      const entityId = pick(orgA.map((e) => e.entity?.id));
      const correlationId = pick(orgA.map((e) => e.correlationId));
      const from = new Date(BASE - 6 * 86_400_000).toISOString();
      const to = new Date(BASE - 2 * 86_400_000).toISOString();
      const cases: [string, Omit<StoreQuery, 'orgId'>][] = [
        ['one type', { types: ['BACKGROUND_JOB'] }],
        ['two types', { types: ['WEBHOOK', 'SYSTEM_EVENT'] }],
        ['one status', { statuses: ['FAILED'] }],
        ['failures preset', { statuses: ['FAILED', 'WARNING'] }],
        ['one actor', { actorIds: [userId] }],
        ['two actors', { actorIds: [userId, 'stripe'] }],
        ['one entity type', { entityTypes: ['contact'] }],
        ['two entity types', { entityTypes: ['release', 'product'] }],
        ['entity id', { entityId }],
        ['from', { from }],
        ['to', { to }],
        ['from and to', { from, to }],
        ['correlation id', { correlationId }],
        ['q on action', { q: 'PAYMENT_INTENT' }],
        ['q on entity label', { q: 'spring 2026' }],
        ['q on actor name', { q: 'riley' }],
        ['types + statuses', { types: ['BACKGROUND_JOB'], statuses: ['FAILED', 'WARNING'] }],
        ['actor + entity type + range', { actorIds: [userId], entityTypes: ['contact'], from }],
        [
          'all five axes',
          {
            types: ['USER_ACTION'],
            statuses: ['SUCCESS'],
            actorIds: [userId],
            entityTypes: ['contact'],
            from,
            to,
          },
        ],
        [
          'everything + q',
          { types: ['USER_ACTION', 'WEBHOOK'], statuses: ['SUCCESS', 'WARNING'], q: 'a', from },
        ],
      ];

      beforeEach(async () => {
        // Several batches, as the pipeline writes them.
        for (let i = 0; i < data.length; i += 97) await store.append(data.slice(i, i + 97));
      });

      it.each(cases)('filters by %s exactly like the reference', async (_label, filter) => {
        const query: StoreQuery = { orgId: 'org_a', ...filter };
        const expected = orgA.filter((e) => matchesFilter(e, query)).sort(compareNewestFirst);
        expect(expected.length).toBeGreaterThan(0);
        expect(expected.length).toBeLessThan(orgA.length);
        const got = await collect(store, query, 40);
        expect(ids(got)).toEqual(ids(expected));
        expect((await store.facets(query)).total).toBe(expected.length);
      });

      it('treats empty multi-value arrays as no filter', async () => {
        const got = await collect(store, {
          orgId: 'org_a',
          types: [],
          statuses: [],
          actorIds: [],
          entityTypes: [],
        });
        expect(got.length).toBe(orgA.length);
      });

      it('keeps from inclusive and to exclusive', async () => {
        const at = Date.parse('2026-03-15T08:00:00.000Z');
        const edge = [
          entry({ orgId: 'edge', at: at - 1 }),
          entry({ orgId: 'edge', at }),
          entry({ orgId: 'edge', at: at + 1 }),
        ];
        await store.append(edge);
        const iso = new Date(at).toISOString();
        expect(ids(await collect(store, { orgId: 'edge', from: iso }))).toEqual([edge[2]?.id, edge[1]?.id]);
        expect(ids(await collect(store, { orgId: 'edge', to: iso }))).toEqual([edge[0]?.id]);
      });

      it('returns the newest entries first', async () => {
        const got = await collect(store, { orgId: 'org_a' }, 50);
        expect(ids(got)).toEqual(ids([...orgA].sort(compareNewestFirst)));
      });
    });

    describe('free text', () => {
      it('matches action, entity label, actor name and summary case-insensitively', async () => {
        const e1 = entry({ action: 'contact.tags_added' });
        const e2 = entry({ action: 'x', entity: { type: 'contact', id: 'c2', label: 'Zoë Müller' } });
        const e3 = entry({
          action: 'x',
          entity: undefined,
          actor: { kind: 'user', id: 'u9', name: 'Jordan Lee' },
        });
        const e4 = entry({
          action: 'x',
          entity: undefined,
          actor: { kind: 'user', id: 'u9' },
          summary: 'Promoted to PENDING 🍷',
        });
        const e5 = entry({
          action: 'x',
          entity: undefined,
          actor: { kind: 'user', id: 'u9' },
          metadata: { note: 'tags_added' },
        });
        await store.append([e1, e2, e3, e4, e5]);
        const q = async (text: string) => ids(await collect(store, { orgId: 'org_a', q: text })).sort();
        expect(await q('TAGS_ADDED')).toEqual([e1.id]);
        expect(await q('zoë mü')).toEqual([e2.id]);
        expect(await q('jordan')).toEqual([e3.id]);
        expect(await q('pending 🍷')).toEqual([e4.id]);
        expect(await q('no such text')).toEqual([]);
      });

      it('treats LIKE wildcards and escapes literally', async () => {
        const pct = entry({ summary: 'Discount 50% off' });
        const plain = entry({ summary: 'Discount 500 off' });
        const under = entry({ action: 'stock_adjusted' });
        const noUnder = entry({ action: 'stockXadjusted' });
        const slash = entry({ summary: 'path C:\\wine\\reds' });
        await store.append([pct, plain, under, noUnder, slash]);
        const q = async (text: string) => ids(await collect(store, { orgId: 'org_a', q: text })).sort();
        expect(await q('50%')).toEqual([pct.id]);
        expect(await q('%')).toEqual([pct.id]);
        expect(await q('stock_adj')).toEqual([under.id]);
        expect(await q('\\wine')).toEqual([slash.id]);
        expect(await q("'; DROP TABLE x; --")).toEqual([]);
      });
    });

    describe('keyset paging', () => {
      it('pages 500 entries with equal timestamps by id with no gap or duplicate', async () => {
        const batch = Array.from({ length: 500 }, () => entry());
        await store.append(batch);
        const got = await collect(store, { orgId: 'org_a' }, 37);
        expect(got.length).toBe(500);
        expect(new Set(ids(got)).size).toBe(500);
        expect(ids(got)).toEqual(ids(batch).sort().reverse());
      });

      it('stays stable while newer entries are appended between pages (fault 13: groups of equal times split across pages)', async () => {
        // Groups of 7 equal timestamps with pages of 45: most page boundaries fall inside a group, where
        // only the id breaks the tie.
        const batch = Array.from({ length: 500 }, (_, i) => entry({ at: BASE - Math.floor(i / 7) * 1000 }));
        await store.append(batch);
        const seen: ActivityEntry[] = [];
        let after: StoreQuery['after'];
        let later = BASE;
        let splits = 0;
        for (;;) {
          const page = await store.query({ orgId: 'org_a', limit: 45, after });
          const first = page.entries[0];
          const last = seen[seen.length - 1];
          if (first && last && first.occurredAt === last.occurredAt) splits++;
          seen.push(...page.entries);
          // New activity arrives while the user scrolls, newer and at the cursor's own time: it must not
          // shift the pages already cursored.
          later += 1000;
          const cursorTime = page.next ? Date.parse(page.next.occurredAt) : BASE;
          await store.append([
            entry({ at: later }),
            entry({ at: later }),
            entry({ at: cursorTime, id: `zzzz_${later}` }),
          ]);
          if (!page.next) break;
          after = page.next;
        }
        expect(splits).toBeGreaterThan(5);
        expect(new Set(ids(seen)).size).toBe(seen.length);
        expect(ids(seen)).toEqual(ids([...batch].sort(compareNewestFirst)));
      });

      it('returns no next on the last page and honours limit', async () => {
        await store.append(Array.from({ length: 10 }, (_, i) => entry({ at: BASE - i })));
        const first = await store.query({ orgId: 'org_a', limit: 4 });
        expect(first.entries.length).toBe(4);
        expect(first.next).toEqual({ occurredAt: first.entries[3]?.occurredAt, id: first.entries[3]?.id });
        const all = await store.query({ orgId: 'org_a', limit: 10 });
        expect(all.entries.length).toBe(10);
        expect(all.next).toBeUndefined();
        const one = await store.query({ orgId: 'org_a', limit: 1 });
        expect(one.entries.length).toBe(1);
        expect((await store.query({ orgId: 'org_a' })).entries.length).toBe(10);
      });

      it('continues from a cursor whose entry was deleted', async () => {
        const batch = Array.from({ length: 6 }, (_, i) => entry({ at: BASE - i * 1000 }));
        await store.append(batch);
        const cursor = { occurredAt: batch[2]?.occurredAt ?? '', id: batch[2]?.id ?? '' };
        await store.deleteBefore(new Date(BASE - 1500).toISOString());
        await store.append([entry({ at: BASE - 2000 - 1 })]);
        const page = await store.query({ orgId: 'org_a', after: cursor });
        expect(page.entries.map((e) => e.occurredAt)).toEqual([new Date(BASE - 2001).toISOString()]);
      });

      it('defaults to 50 entries a page', async () => {
        await store.append(Array.from({ length: 60 }, (_, i) => entry({ at: BASE - i })));
        const page = await store.query({ orgId: 'org_a' });
        expect(page.entries.length).toBe(50);
        expect(page.next).toBeDefined();
      });

      it('rejects limits outside 1..MAX_PAGE_SIZE with INVALID_FILTER on limit', async () => {
        for (const limit of [0, -1, 1.5, MAX_PAGE_SIZE + 1, Number.NaN]) {
          await expectInvalid(store.query({ orgId: 'org_a', limit }), 'limit');
        }
        await expect(store.query({ orgId: 'org_a', limit: MAX_PAGE_SIZE })).resolves.toEqual({ entries: [] });
      });
    });

    describe('facets', () => {
      const data = generateActivity({
        count: 300,
        orgIds: ['org_a', 'org_b'],
        seed: 11,
        now: new Date(BASE),
        spanDays: 5,
      });

      beforeEach(async () => {
        await store.append(data);
      });

      it.each<[string, Omit<StoreQuery, 'orgId'>]>([
        ['no filter', {}],
        ['jobs', { types: ['BACKGROUND_JOB'] }],
        [
          'failures since 3 days',
          { statuses: ['FAILED', 'WARNING'], from: new Date(BASE - 3 * 86_400_000).toISOString() },
        ],
        ['q', { q: 'contact' }],
      ])('agrees with query counts (%s)', async (_label, filter) => {
        const query: StoreQuery = { orgId: 'org_a', ...filter };
        const all = await collect(store, query, 200);
        const facets = await store.facets(query);
        expect(facets.total).toBe(all.length);
        const count = (key: (e: ActivityEntry) => string | undefined) => {
          const m = new Map<string, number>();
          for (const e of all) {
            const k = key(e);
            if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
          }
          return m;
        };
        const asMap = (fs: { value: string; count: number }[]) => new Map(fs.map((f) => [f.value, f.count]));
        expect(asMap(facets.types)).toEqual(count((e) => e.type));
        expect(asMap(facets.statuses)).toEqual(count((e) => e.status));
        expect(asMap(facets.actors)).toEqual(count((e) => e.actor.id));
        expect(asMap(facets.entityTypes)).toEqual(count((e) => e.entity?.type));
        for (const list of [facets.types, facets.statuses, facets.actors, facets.entityTypes]) {
          const sorted = [...list].sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
          expect(list).toEqual(sorted);
        }
        for (const actor of facets.actors) {
          const named = all.find((e) => e.actor.id === actor.value && e.actor.name);
          expect(actor.label).toBe(named?.actor.name);
        }
      });

      it('is empty for an org without entries', async () => {
        expect(await store.facets({ orgId: 'nobody' })).toEqual({
          types: [],
          statuses: [],
          actors: [],
          entityTypes: [],
          total: 0,
        });
      });
    });

    describe('histogram', () => {
      const data = generateActivity({
        count: 300,
        orgIds: ['org_a', 'org_b'],
        seed: 5,
        now: new Date(BASE),
        spanDays: 3,
      });

      beforeEach(async () => {
        await store.append(data);
      });

      it.each([3_600_000, 86_400_000, 15 * 60_000])(
        'sums to the total with epoch-aligned buckets of %i ms',
        async (bucketMs) => {
          const query: StoreQuery = { orgId: 'org_a' };
          const buckets = await store.histogram({ ...query, bucketMs });
          const facets = await store.facets(query);
          expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(facets.total);
          const failures = facets.statuses
            .filter((s) => s.value === 'FAILED' || s.value === 'WARNING')
            .reduce((n, s) => n + s.count, 0);
          expect(buckets.reduce((n, b) => n + b.failures, 0)).toBe(failures);
          let prev = Number.NEGATIVE_INFINITY;
          for (const b of buckets) {
            const start = Date.parse(b.start);
            expect(start % bucketMs).toBe(0);
            expect(start).toBeGreaterThan(prev);
            expect(b.count).toBeGreaterThan(0);
            expect(b.failures).toBeLessThanOrEqual(b.count);
            prev = start;
          }
          const expected = new Map<number, number>();
          for (const e of data) {
            if (e.orgId !== 'org_a') continue;
            const s = Math.floor(Date.parse(e.occurredAt) / bucketMs) * bucketMs;
            expected.set(s, (expected.get(s) ?? 0) + 1);
          }
          expect(buckets.map((b) => [Date.parse(b.start), b.count])).toEqual(
            [...expected].sort((a, b) => a[0] - b[0]),
          );
        },
      );

      it('applies the filter', async () => {
        const query: StoreQuery = { orgId: 'org_a', types: ['BACKGROUND_JOB'], statuses: ['FAILED'] };
        const buckets = await store.histogram({ ...query, bucketMs: 3_600_000 });
        const total = (await collect(store, query)).length;
        expect(total).toBeGreaterThan(0);
        expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(total);
        expect(buckets.every((b) => b.failures === b.count)).toBe(true);
      });

      it('rejects a bucket width under a second', async () => {
        await expectInvalid(store.histogram({ orgId: 'org_a', bucketMs: 0 }), 'bucketMs');
        await expectInvalid(store.histogram({ orgId: 'org_a', bucketMs: 1.5 }), 'bucketMs');
      });
    });

    describe('dates (fault 4)', () => {
      const edges = () => [
        entry({ at: MIN_INSTANT_MS }),
        entry({ at: MIN_INSTANT_MS }),
        entry({ at: -86_400_001 }),
        entry({ at: -1 }),
        entry({ at: 0 }),
        entry({ at: MAX_INSTANT_MS }),
        entry({ at: MAX_INSTANT_MS }),
      ];

      it('stores, orders, filters and pages the ends of the range and times before 1970', async () => {
        const data = edges();
        await store.append(data);
        for (const e of data) expect(await store.get('org_a', e.id)).toEqual(e);
        const newest = [...data].sort(compareNewestFirst);
        expect(ids(await collect(store, { orgId: 'org_a' }, 2))).toEqual(ids(newest));
        const before1970 = { orgId: 'org_a', to: '1970-01-01T00:00:00.000Z' };
        expect(ids(await collect(store, before1970, 1))).toEqual(ids(newest.slice(3)));
        const fromMinus1 = { orgId: 'org_a', from: '1969-12-31T23:59:59.999Z' };
        expect(ids(await collect(store, fromMinus1, 1))).toEqual(ids(newest.slice(0, 4)));
        expect(ids(await collect(store, { orgId: 'org_a', from: MAX_INSTANT }))).toEqual(
          ids(newest.slice(0, 2)),
        );
        expect(ids(await collect(store, { orgId: 'org_a', to: '0001-01-01T00:00:00.001Z' }))).toEqual(
          ids(newest.slice(5)),
        );
        expect((await store.facets({ orgId: 'org_a', from: MIN_INSTANT })).total).toBe(7);
        expect(await store.deleteBefore('1970-01-01T00:00:00.000Z', 'org_a')).toBe(4);
        expect(ids(await collect(store, { orgId: 'org_a' }))).toEqual(ids(newest.slice(0, 3)));
      });

      it('fault 4: floors histogram buckets before 1970 (no entry counted in the next bucket)', async () => {
        await store.append(edges());
        const day = 86_400_000;
        const daily = await store.histogram({
          orgId: 'org_a',
          bucketMs: day,
          from: '1969-01-01',
          to: '1971-01-01',
        });
        expect(daily).toEqual([
          { start: '1969-12-30T00:00:00.000Z', count: 1, failures: 0 },
          { start: '1969-12-31T00:00:00.000Z', count: 1, failures: 0 },
          { start: '1970-01-01T00:00:00.000Z', count: 1, failures: 0 },
        ]);
        const month = 2_592_000_000;
        const all = await store.histogram({ orgId: 'org_a', bucketMs: month });
        const floor = (ms: number) => new Date(Math.floor(ms / month) * month).toISOString();
        expect(all.map((b) => [b.start, b.count])).toEqual([
          [floor(MIN_INSTANT_MS), 2],
          [floor(-86_400_001), 2],
          [floor(0), 1],
          [floor(MAX_INSTANT_MS), 2],
        ]);
      });

      it('fault 4: refuses bounds outside the range and impossible dates with INVALID_FILTER naming the field', async () => {
        await store.append(edges());
        const calls = (query: StoreQuery) => [
          store.query(query),
          store.facets(query),
          store.histogram({ ...query, bucketMs: 86_400_000 }),
        ];
        for (const [field, query] of [
          ['from', { orgId: 'org_a', from: '0000-01-01T00:00:00Z' }],
          ['to', { orgId: 'org_a', to: '9999-12-31T23:00:00-05:00' }],
          ['from', { orgId: 'org_a', from: '2025-02-30T00:00:00Z' }],
          ['to', { orgId: 'org_a', to: '2024-01-01 junk' }],
        ] as const) {
          for (const call of calls(query)) await expectInvalid(call, field);
        }
        await expectInvalid(
          store.query({ orgId: 'org_a', after: { occurredAt: '0000-06-01T00:00:00.000Z', id: 'x' } }),
          'after.occurredAt',
        );
      });
    });

    describe('query oracle', () => {
      const fc = options.fastCheck;
      const runs = options.oracleRuns ?? (longRun() ? 150 : 12);
      (fc ? it : it.skip)(
        `pages, facets and histogram equal a plain model's over generated entries and filters (${runs} cases)`,
        async () => {
          if (!fc) return;
          await checkQueryOracle(store, { fc, expect, numRuns: runs });
        },
        longRun() ? 1_800_000 : 120_000,
      );
    });

    describe('deleteBefore and listOrgs', () => {
      it('deletes strictly older entries of one org', async () => {
        const cut = BASE - 10_000;
        const a = [entry({ at: cut - 1 }), entry({ at: cut }), entry({ at: cut + 1 })];
        const b = [entry({ orgId: 'org_b', at: cut - 1 })];
        await store.append([...a, ...b]);
        expect(await store.deleteBefore(new Date(cut).toISOString(), 'org_a')).toBe(1);
        expect(ids(await collect(store, { orgId: 'org_a' }))).toEqual([a[2]?.id, a[1]?.id]);
        expect(await store.get('org_b', b[0]?.id ?? '')).toBeDefined();
        expect(await store.deleteBefore(new Date(cut).toISOString(), 'org_a')).toBe(0);
      });

      it('deletes across all orgs when no org is given', async () => {
        await store.append([
          entry({ orgId: 'org_a', at: BASE - 5000 }),
          entry({ orgId: 'org_b', at: BASE - 5000 }),
          entry({ orgId: 'org_c', at: BASE }),
        ]);
        expect(await store.listOrgs()).toEqual(['org_a', 'org_b', 'org_c']);
        expect(await store.deleteBefore(new Date(BASE - 1000).toISOString())).toBe(2);
        expect(await store.listOrgs()).toEqual(['org_c']);
      });

      it('lists each org once, sorted', async () => {
        expect(await store.listOrgs()).toEqual([]);
        await store.append([entry({ orgId: 'org_z' }), entry({ orgId: 'org_m' }), entry({ orgId: 'org_z' })]);
        expect(await store.listOrgs()).toEqual(['org_m', 'org_z']);
      });
    });

    describe('lifecycle', () => {
      it('makes appended entries visible after flush (when supported)', async () => {
        await store.append([entry()]);
        await store.flush?.();
        expect((await store.facets({ orgId: 'org_a' })).total).toBe(1);
      });
    });
  });
}
