/**
 * Mock Service Worker handlers for the query API, defined once and reused by component tests, Storybook
 * and the examples. They do not imitate the API: they run the real fetch-standard handler over an
 * in-memory store, so filters, cursors, facets and errors are exactly those of a real server.
 */
import { delay, HttpResponse, http, type RequestHandler } from 'msw';
import { UUID } from 'uuidv7';
import type { ActivityRecorder, RecordInput } from '../core/api.js';
import { catalogLabels } from '../core/catalog.js';
import { wineClubCatalog } from '../core/presets/wineClub.js';
import {
  type ActivityHandler,
  type ActivityHandlerOptions,
  createActivityHandler,
} from '../server/handler.js';
import type { RetryOptions } from '../server/retry.js';
import type { ActivityEntry, ActivityStore, FieldChange, Viewer } from '../types.js';
import { FIXTURE_USERS, generateActivity } from './fixtures.js';
import { createMemoryStore } from './memoryStore.js';

/** The viewer the mocked API authorizes by default: an owner of `org_demo` with every permission. */
export const MSW_DEFAULT_VIEWER: Viewer = {
  orgId: 'org_demo',
  userId: FIXTURE_USERS[0]?.id ?? 'usr_riley',
  name: FIXTURE_USERS[0]?.name ?? 'Riley Park',
  permissions: ['read', 'retry', 'export'],
};

/** Options of {@link createActivityMswHandlers}. */
export interface ActivityMswOptions {
  /** Where the client points: absolute (`http://localhost/api/activity`) or a path (`/api/activity`). */
  baseUrl: string;
  /** Store behind the API. @default a memory store seeded with `entries` */
  store?: ActivityStore | undefined;
  /** Entries appended to the store before the first request is answered; a function is called then too. */
  entries?: ActivityEntry[] | (() => ActivityEntry[]) | undefined;
  /** Who every request is authorized as; `null` answers 401. @default MSW_DEFAULT_VIEWER */
  viewer?: Viewer | null | undefined;
  /** Latency added to every response, in ms; `Infinity` never answers (loading states). @default 0 */
  delayMs?: number | undefined;
  /** Answer every request with this HTTP status and the API's error body (error states). */
  failWith?: number | undefined;
  /** Retry handlers, as given to the real handler; entries of registered jobs become retryable. */
  retry?: RetryOptions | undefined;
  /** Recorder for retries and exports. @default a minimal recorder writing straight to the store */
  activity?: ActivityRecorder | undefined;
  /** Any other option of the real handler (`maxLimit`, `now`, `catalog`, `exports` …). */
  handlerOptions?:
    | Omit<Partial<ActivityHandlerOptions>, 'store' | 'authorize' | 'retry' | 'activity'>
    | undefined;
}

/** The error body the real handler answers with, for simulated failures. */
function failure(status: number): Response {
  const code =
    status === 401 ? 'UNAUTHORIZED' : status === 403 ? 'FORBIDDEN' : status === 404 ? 'NOT_FOUND' : 'HTTP';
  return HttpResponse.json({ error: { code, message: `simulated ${status} response` } }, { status });
}

/**
 * msw handlers that answer `${baseUrl}` and everything under it with the real `createActivityHandler`.
 * @example server.use(...createActivityMswHandlers({ baseUrl: '/api/activity', entries }))
 */
export function createActivityMswHandlers(options: ActivityMswOptions): RequestHandler[] {
  const base = options.baseUrl.replace(/\/+$/, '');
  const viewer = options.viewer === undefined ? MSW_DEFAULT_VIEWER : options.viewer;
  let ready: Promise<ActivityHandler> | undefined;
  // Seeding is async, so it happens on the first request; creating the handlers stays synchronous.
  const handler = () => {
    ready ??= (async () => {
      const store = options.store ?? createMemoryStore();
      const entries = typeof options.entries === 'function' ? options.entries() : options.entries;
      if (entries?.length) await store.append(entries);
      return createActivityHandler({
        ...options.handlerOptions,
        store,
        activity: options.activity ?? createStoreRecorder(store),
        retry: options.retry,
        authorize: () => viewer,
      });
    })();
    return ready;
  };

  const resolve = async ({ request }: { request: Request }): Promise<Response> => {
    if (options.delayMs === Number.POSITIVE_INFINITY) await delay('infinite');
    else if (options.delayMs !== undefined && options.delayMs > 0) await delay(options.delayMs);
    if (options.failWith !== undefined) return failure(options.failWith);
    return (await handler())(request);
  };
  return [http.all(base, resolve), http.all(`${base}/*`, resolve)];
}

/**
 * A recorder for the mock API's retries: writes straight to the store, no queue, no validation.
 * Enough for a retry's new run to appear in the list; the real pipeline is tested on its own.
 */
export function createStoreRecorder(store: ActivityStore): ActivityRecorder {
  let lastMs = 0;
  const newId = () => {
    // Time-sortable like the real ids, strictly increasing so two runs in one ms keep their order.
    lastMs = Math.max(Date.now(), lastMs + 1);
    return UUID.fromFieldsV7(
      lastMs,
      Math.floor(Math.random() * 0xfff),
      0,
      Math.floor(Math.random() * 2 ** 32),
    ).toString();
  };
  // The handler records audit entries (exports, downloads) through record(): write them as given.
  const toEntry = (input: RecordInput): ActivityEntry => {
    const now = new Date().toISOString();
    const occurred = input.occurredAt ?? now;
    return {
      id: input.id ?? newId(),
      orgId: input.orgId ?? MSW_DEFAULT_VIEWER.orgId,
      occurredAt: typeof occurred === 'string' ? occurred : occurred.toISOString(),
      recordedAt: now,
      schemaVersion: 1,
      type: input.type,
      status: input.status ?? 'SUCCESS',
      actor: input.actor ?? { kind: 'system', id: 'system', name: 'system' },
      action: input.action,
      entity: input.entity,
      summary: input.summary,
      changes: input.changes,
      metadata: input.metadata,
      webhook: input.webhook,
      correlationId: input.correlationId,
      parentId: input.parentId,
      retryOf: input.retryOf,
      idempotencyKey: input.idempotencyKey,
      context: input.context,
    };
  };
  const recorder: ActivityRecorder = {
    record(input) {
      const entry = toEntry(input);
      void store.append([entry]).catch(() => undefined);
      return entry.id;
    },
    async recordDurable(input) {
      const entry = toEntry(input);
      await store.append([entry]);
      return entry;
    },
    job(name, jobOptions = {}) {
      const id = newId();
      const orgId = jobOptions.orgId ?? MSW_DEFAULT_VIEWER.orgId;
      const startedAt = new Date();
      let finished = false;
      const entry: ActivityEntry = {
        id,
        orgId,
        occurredAt: startedAt.toISOString(),
        recordedAt: startedAt.toISOString(),
        schemaVersion: 1,
        type: 'BACKGROUND_JOB',
        status: 'IN_PROGRESS',
        actor: jobOptions.actor ?? { kind: 'system', id: 'system', name: 'system' },
        action: name,
        entity: jobOptions.entity,
        correlationId: jobOptions.correlationId,
        parentId: jobOptions.parentId,
        retryOf: jobOptions.retryOf,
        metadata: jobOptions.metadata,
        progress: jobOptions.total === undefined ? undefined : { processed: 0, total: jobOptions.total },
      };
      const written = store.append([entry]);
      const finish = async (update: Parameters<ActivityStore['updateJob']>[2]) => {
        if (finished) return;
        finished = true;
        await written;
        const completedAt = new Date();
        await store.updateJob(orgId, id, {
          ...update,
          completedAt: completedAt.toISOString(),
          durationMs: completedAt.getTime() - startedAt.getTime(),
        });
      };
      return {
        id,
        orgId,
        get finished() {
          return finished;
        },
        progress(processed, total) {
          void written.then(() => store.updateJob(orgId, id, { progress: { processed, total } }));
        },
        succeed: (metadata) => finish({ status: 'SUCCESS', metadata }),
        warn: (message, metadata) => finish({ status: 'WARNING', summary: message, metadata }),
        fail: (error, metadata) =>
          finish({
            status: 'FAILED',
            metadata,
            error:
              error instanceof Error
                ? { name: error.name, message: error.message, stack: error.stack }
                : { name: 'Error', message: String(error) },
          }),
      };
    },
    async runJob(name, jobOptions, fn) {
      const run = recorder.job(name, jobOptions);
      try {
        const result = await fn(run);
        await run.succeed();
        return result;
      } catch (error) {
        await run.fail(error);
        throw error;
      }
    },
    withContext: (_context, fn) => fn(),
    currentContext: () => undefined,
    flush: async () => {},
    shutdown: async () => {},
    stats: () => ({
      calls: 0,
      accepted: 0,
      recorded: 0,
      persisted: 0,
      inserted: 0,
      duplicates: 0,
      pending: 0,
      rejected: {},
      dropped: {},
      droppedUpdates: {},
      retried: 0,
      timeouts: 0,
      abandonedRuns: 0,
      queuedEntries: 0,
      queuedBytes: 0,
    }),
    sweepAbandonedRuns: async () => ({ abandoned: 0 }),
    isRetryable: () => false,
    store,
  };
  return recorder;
}

/** Options every scenario takes. */
export interface ActivityScenarioOptions {
  /** Where the client points. @default '/api/activity' */
  baseUrl?: string | undefined;
  /** The scenario's "now": entries are placed before it. @default new Date() */
  now?: Date | undefined;
  /** Who the API authorizes. @default MSW_DEFAULT_VIEWER */
  viewer?: Viewer | undefined;
}

/** A ready scenario: the msw handlers, the entries behind them, and the entry the scenario is about. */
export interface ActivityScenario {
  handlers: RequestHandler[];
  entries: ActivityEntry[];
  /** The entry the scenario shows off (the running job, the failed job, the webhook, the large diff). */
  focus?: ActivityEntry | undefined;
}

const SEED = 7;
const MINUTE = 60_000;

/** Retry handlers of the demo: payment runs and Stripe deliveries re-run; Square syncs are re-triggered. */
export const DEMO_RETRY: RetryOptions = {
  jobs: {
    async PROCESS_RELEASE_PAYMENTS({ run }) {
      run.progress(0, 48);
      await new Promise((r) => setTimeout(r, 1200));
      return { processed: 48, failed: 0 };
    },
  },
  providers: {
    async stripe() {
      await new Promise((r) => setTimeout(r, 600));
      return { redelivered: true };
    },
  },
};

function time(now: Date, minutesAgo: number): string {
  return new Date(now.getTime() - minutesAgo * MINUTE).toISOString();
}

/** A deterministic UUIDv7 at `iso`; `n` keeps ids of one scenario distinct. */
function fixedId(iso: string, n: number): string {
  return UUID.fromFieldsV7(Date.parse(iso), 0x100 + n, 0, 0x5eed0000 + n).toString();
}

function realistic(now: Date, orgId: string, count = 1000, spanDays = 14): ActivityEntry[] {
  return generateActivity({ count, orgIds: [orgId], seed: SEED, now, spanDays });
}

function runningJob(now: Date, orgId: string): ActivityEntry {
  const occurredAt = time(now, 2);
  return {
    id: fixedId(occurredAt, 1),
    orgId,
    occurredAt,
    recordedAt: occurredAt,
    schemaVersion: 1,
    type: 'BACKGROUND_JOB',
    status: 'IN_PROGRESS',
    actor: { kind: 'system', id: 'system', name: 'system' },
    action: 'PROCESS_RELEASE_PAYMENTS',
    entity: { type: 'release', id: 'rel_spring26', label: 'Spring 2026 Reds' },
    summary: 'Charging club members for Spring 2026 Reds',
    progress: { processed: 312, total: 1240 },
    metadata: { batch: 7, processed: 312, total: 1240, failed: 0 },
  };
}

function failedJob(now: Date, orgId: string): ActivityEntry {
  const occurredAt = time(now, 9);
  return {
    id: fixedId(occurredAt, 2),
    orgId,
    occurredAt,
    recordedAt: occurredAt,
    schemaVersion: 1,
    type: 'BACKGROUND_JOB',
    status: 'FAILED',
    actor: { kind: 'system', id: 'system', name: 'system' },
    action: 'PROCESS_RELEASE_PAYMENTS',
    entity: { type: 'release', id: 'rel_fall25', label: 'Fall 2025 Whites' },
    summary: 'Stopped after 3 card declines in a row',
    metadata: { processed: 211, succeeded: 208, failed: 3, total: 640, durationMs: 48_210 },
    error: {
      name: 'PaymentGatewayError',
      code: 'card_declined',
      message: 'Stripe rejected 3 consecutive charges (card_declined); run halted to avoid a lockout',
      stack: [
        'PaymentGatewayError: Stripe rejected 3 consecutive charges (card_declined)',
        '    at chargeMembers (/app/jobs/processReleasePayments.ts:118:13)',
        '    at async processBatch (/app/jobs/processReleasePayments.ts:74:5)',
        '    at async runJob (/app/node_modules/@activity/sdk/dist/index.js:412:20)',
      ].join('\n'),
    },
    completedAt: time(now, 8),
    durationMs: 48_210,
    correlationId: 'corr_fall25_run',
  };
}

function webhookWithBodies(now: Date, orgId: string): ActivityEntry {
  const occurredAt = time(now, 4);
  return {
    id: fixedId(occurredAt, 3),
    orgId,
    occurredAt,
    recordedAt: occurredAt,
    schemaVersion: 1,
    type: 'WEBHOOK',
    status: 'WARNING',
    actor: { kind: 'external', id: 'stripe', name: 'Stripe' },
    action: 'payment_intent.payment_failed',
    entity: { type: 'contact', id: 'ct_alex', label: 'Alex Chen' },
    summary: 'Card declined; member notified',
    webhook: {
      direction: 'in',
      provider: 'stripe',
      eventType: 'payment_intent.payment_failed',
      eventId: 'evt_3PqR8sLkd92Jd0',
      url: 'https://app.example.com/webhooks/stripe',
      statusCode: 200,
      durationMs: 184,
      request: {
        headers: {
          'content-type': 'application/json',
          'stripe-signature': '[REDACTED]',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body: {
          id: 'evt_3PqR8sLkd92Jd0',
          type: 'payment_intent.payment_failed',
          data: {
            object: {
              id: 'pi_3PqR8s',
              amount: 12900,
              currency: 'usd',
              last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' },
              metadata: { contactId: 'ct_alex', releaseId: 'rel_spring26' },
            },
          },
        },
      },
      response: { headers: { 'content-type': 'application/json' }, body: { received: true } },
    },
    retryable: true,
    correlationId: 'corr_pi_3PqR8s',
  };
}

function largeDiff(now: Date, orgId: string): ActivityEntry {
  const occurredAt = time(now, 6);
  const changes: FieldChange[] = [
    { path: 'status', kind: 'changed', before: 'ACTIVE', after: 'VIP' },
    { path: 'email', kind: 'changed', before: 'alex@old.example', after: 'alex.chen@example.com' },
    { path: 'phone', kind: 'added', after: '+1 415 555 0134' },
    { path: 'fax', kind: 'removed', before: '+1 415 555 0199' },
    { path: 'address.street', kind: 'changed', before: '12 Vine St', after: '480 Harvest Ln' },
    { path: 'address.city', kind: 'changed', before: 'Napa', after: 'Sonoma' },
    { path: 'address.zip', kind: 'changed', before: '94558', after: '95476' },
    { path: 'tags.2', kind: 'added', after: 'VIP' },
    { path: 'tags.3', kind: 'added', after: 'Club: Reds' },
    { path: 'tags.0', kind: 'removed', before: 'Prospect' },
    {
      path: 'preferences.shipping',
      kind: 'changed',
      before: { method: 'ground' },
      after: { method: 'overnight', signature: true },
    },
    { path: 'preferences.bottlesPerShipment', kind: 'changed', before: 6, after: 12 },
    { path: 'club.tier', kind: 'changed', before: 'Silver', after: 'Gold' },
    { path: 'club.since', kind: 'added', after: '2026-01-04' },
    { path: 'paymentMethod.cardNumber', kind: 'changed', redacted: true },
    { path: 'ssn', kind: 'changed', redacted: true },
    {
      path: 'notes',
      kind: 'changed',
      before: 'Prefers reds',
      after: 'Prefers reds; allergic to sulfites — check labels',
    },
  ];
  for (let i = 0; i < 24; i++) {
    changes.push({
      path: `customFields.field${i + 1}`,
      kind: 'changed',
      before: `old value ${i + 1}`,
      after: `new value ${i + 1}`,
    });
  }
  return {
    id: fixedId(occurredAt, 4),
    orgId,
    occurredAt,
    recordedAt: occurredAt,
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: MSW_DEFAULT_VIEWER.userId, name: MSW_DEFAULT_VIEWER.name },
    action: 'contact.updated',
    entity: { type: 'contact', id: 'ct_alex', label: 'Alex Chen' },
    changes,
    context: { ip: '203.0.113.24', userAgent: 'Mozilla/5.0 (Macintosh)', requestId: 'req_8f2a' },
  };
}

/** Builds a scenario from entries (newest extra entries appended) and handler options. */
function scenario(
  options: ActivityScenarioOptions,
  make: (now: Date, orgId: string) => { entries: ActivityEntry[]; focus?: ActivityEntry },
  extra: Partial<ActivityMswOptions> = {},
): ActivityScenario {
  const now = options.now ?? new Date();
  const viewer = options.viewer ?? MSW_DEFAULT_VIEWER;
  // Entries are made on first use, so defining a 100k-row scenario costs nothing until it is served.
  let made: { entries: ActivityEntry[]; focus?: ActivityEntry } | undefined;
  const get = () => {
    made ??= make(now, viewer.orgId);
    return made;
  };
  const handlers = createActivityMswHandlers({
    baseUrl: options.baseUrl ?? '/api/activity',
    entries: () => get().entries,
    viewer,
    retry: DEMO_RETRY,
    ...extra,
    handlerOptions: {
      now: () => new Date(),
      catalog: catalogLabels(wineClubCatalog),
      // Streamed exports work in the browser; the async (file) path needs Node and is tested there.
      exports: { secret: 'storybook-demo-export-secret-0123456789', asyncThreshold: 5000 },
      ...extra.handlerOptions,
    },
  });
  return {
    handlers,
    get entries() {
      return get().entries;
    },
    get focus() {
      return get().focus;
    },
  };
}

const withFocus = (entries: ActivityEntry[], focus: ActivityEntry) => ({
  entries: [...entries, focus],
  focus,
});

/**
 * Ready-made API states for stories, tests and examples. Each returns fresh handlers over a fresh store.
 * @example parameters: { msw: activityScenarios.failedJob().handlers }
 */
export const activityScenarios = {
  /** Two weeks of realistic activity for one org (1000 entries, about 70 in the default last 24 hours). */
  default: (o: ActivityScenarioOptions = {}) => scenario(o, (now, org) => ({ entries: realistic(now, org) })),
  /** No entries at all. */
  empty: (o: ActivityScenarioOptions = {}) => scenario(o, () => ({ entries: [] })),
  /** Requests never answer: skeletons stay up. */
  loading: (o: ActivityScenarioOptions = {}) =>
    scenario(o, (now, org) => ({ entries: realistic(now, org) }), { delayMs: Number.POSITIVE_INFINITY }),
  /** Every request answers 500. */
  error: (o: ActivityScenarioOptions = {}) => scenario(o, () => ({ entries: [] }), { failWith: 500 }),
  /** A payment run still IN_PROGRESS with progress 312 / 1240, on top of the realistic data. */
  inProgressJob: (o: ActivityScenarioOptions = {}) =>
    scenario(o, (now, org) => withFocus(realistic(now, org), runningJob(now, org))),
  /** A FAILED payment run with an error and stack trace; a retry handler is registered for it. */
  failedJob: (o: ActivityScenarioOptions = {}) =>
    scenario(o, (now, org) => withFocus(realistic(now, org), failedJob(now, org))),
  /** A Stripe webhook with request and response headers and bodies. */
  webhook: (o: ActivityScenarioOptions = {}) =>
    scenario(o, (now, org) => withFocus(realistic(now, org), webhookWithBodies(now, org))),
  /** A contact update with 41 changed fields: nested, arrays, added, removed and redacted. */
  largeDiff: (o: ActivityScenarioOptions = {}) =>
    scenario(o, (now, org) => withFocus(realistic(now, org), largeDiff(now, org))),
  /** 100 000 entries within the last 24 hours, pages of up to 1000, for virtualization and scroll budgets. */
  manyRows: (o: ActivityScenarioOptions & { count?: number } = {}) =>
    scenario(o, (now, org) => ({ entries: realistic(now, org, o.count ?? 100_000, 0.95) }), {
      handlerOptions: { maxLimit: 1000 },
    }),
} as const;

/** Name of one of {@link activityScenarios}. */
export type ActivityScenarioName = keyof typeof activityScenarios;
