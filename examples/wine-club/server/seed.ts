/**
 * Seeds two years of wine-club activity. History comes from the SDK's fixture generator (streamed in
 * batches straight into `store.append`, so a million rows never sit in memory); the last 24 hours get a
 * denser, richer mix plus the spec's example entries, recorded through the real `createActivity()`
 * pipeline (diffs, redaction, error capture).
 *
 * CLI: `pnpm --filter wine-club seed -- --count 100000 [--reset]`
 */
import { pathToFileURL } from 'node:url';
import { type ActivityEntry, type ActivityStore, createActivity, wineClubCatalog } from '@activity/sdk';
import { generateActivityBatches } from '@activity/sdk/testing';
import { createHostData, ORG_ID, TEAM } from './data.js';
import { PaymentRunError, SquareApiError } from './jobs.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Options of {@link seedActivity}. */
export interface SeedOptions {
  /** Total entries, roughly (the spec's story entries come on top). @default 100_000 */
  count?: number | undefined;
  /** Newest time. @default new Date() */
  now?: Date | undefined;
  /** PRNG seed of the generator. @default 7 */
  seed?: number | undefined;
  /** Entries per `append` call. @default 5000 */
  batchSize?: number | undefined;
  /** Called after each batch with the running total. */
  onProgress?: ((inserted: number, total: number) => void) | undefined;
}

/** What {@link seedActivity} wrote. */
export interface SeedResult {
  inserted: number;
  ms: number;
}

/** True when the demo org has no entry yet. */
export async function isEmpty(store: ActivityStore): Promise<boolean> {
  const page = await store.query({ orgId: ORG_ID, limit: 1 });
  return page.entries.length === 0;
}

/** A stable 0–99 bucket from an entry id, so adjustments are the same on every seed. */
function bucket(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % 100;
}

/**
 * Adjusts generated entries toward what a real club sees: jobs left running in old history have long
 * finished; an hourly stock sync fails a few times a day, not a third of the time; and stock syncs are
 * recorded without an entity, as the live job records them.
 */
function realism(entry: ActivityEntry, cutoffMs: number): ActivityEntry {
  let out = entry;
  if (out.action === 'SYNC_SQUARE_STOCK') {
    const { entity: _entity, ...rest } = out;
    out = rest;
    if (out.status === 'FAILED' && bucket(out.id) >= 25) {
      const { error: _error, ...ok } = out;
      const total = out.progress?.total ?? 100;
      out = {
        ...ok,
        status: 'SUCCESS',
        summary: `Synced ${total.toString()} products from Square`,
        progress: { processed: total, total },
      };
    }
  }
  if (out.status !== 'IN_PROGRESS' || Date.parse(out.occurredAt) > cutoffMs) return out;
  const total = out.progress?.total ?? out.progress?.processed ?? 0;
  const durationMs = 60_000 + (total % 97) * 1000;
  return {
    ...out,
    status: 'SUCCESS',
    progress: { processed: total, total },
    summary: `Processed ${total.toString()} items`,
    durationMs,
    completedAt: new Date(Date.parse(out.occurredAt) + durationMs).toISOString(),
  };
}

async function appendAll(
  store: ActivityStore,
  batches: Iterable<ActivityEntry[]>,
  cutoffMs: number,
  progress: (n: number) => void,
): Promise<number> {
  let inserted = 0;
  for (const batch of batches) {
    const result = await store.append(batch.map((e) => realism(e, cutoffMs)));
    inserted += result.inserted;
    progress(result.inserted);
  }
  return inserted;
}

/**
 * Writes the spec's example rows and a few stories of the last day through the SDK: a contact tagged
 * VIP with its diff, Square syncs that failed with a stack trace (retryable), a payment run, Stripe
 * webhooks with redacted signatures, a settings change and a schema migration.
 */
async function recordStories(store: ActivityStore, now: Date): Promise<number> {
  const activity = createActivity({
    store,
    catalog: wineClubCatalog,
    defaultOrgId: ORG_ID,
    batchSize: 500,
    onError: (error) => console.error(`seed: ${error.code} ${error.message}`),
  });
  const at = (ms: number) => new Date(now.getTime() - ms);
  const [riley, jordan, sam, , casey] = TEAM;
  const user = (m: (typeof TEAM)[number] | undefined) => ({
    kind: 'user' as const,
    id: m?.id ?? 'usr_riley',
    name: m?.name ?? 'Riley Park',
  });
  const data = createHostData();
  const alex = data.contacts[0];
  const spring = data.releases[0];
  let n = 0;
  const count = (id: string | undefined) => {
    if (id !== undefined) n++;
  };

  count(
    activity.record({
      type: 'BACKGROUND_JOB',
      status: 'SUCCESS',
      action: 'PROCESS_RELEASE_PAYMENTS',
      actor: { kind: 'system', id: 'system', name: 'System' },
      occurredAt: at(2 * MINUTE),
      entity: { type: 'release', id: spring?.id ?? 'rel_200', label: spring?.name },
      summary: 'Charged 312 of 318 members; 6 declined',
      metadata: { processed: 318, succeeded: 312, failed: 6 },
    }),
  );
  count(
    activity.userAction({
      actor: user(riley),
      action: 'contact.updated',
      occurredAt: at(15 * MINUTE),
      entity: { type: 'contact', id: alex?.id ?? 'ct_1000', label: alex?.name },
      before: { email: 'alex.chen@old-mail.example', tags: ['Founding Member'], club: { tier: 'Reserve' } },
      after: { email: alex?.email, tags: ['Founding Member', 'VIP'], club: { tier: 'Collector' } },
      summary: 'Tagged VIP, upgraded to Collector',
      context: {
        ip: '203.0.113.24',
        userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15',
      },
    }),
  );
  const stripeHeaders = {
    'content-type': 'application/json; charset=utf-8',
    'stripe-signature': 't=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
    'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
  };
  for (const [i, succeeded] of [true, false].entries()) {
    const eventType = succeeded ? 'payment_intent.succeeded' : 'payment_intent.payment_failed';
    const pi = `pi_3Qx${succeeded ? 'A1' : 'B2'}seed`;
    const contact = data.contacts[3 + i];
    count(
      activity.webhook({
        provider: 'stripe',
        eventType,
        eventId: `evt_seed_${succeeded ? 'ok' : 'failed'}_${now.getTime().toString(36)}`,
        occurredAt: at(HOUR + i * 4 * MINUTE),
        status: succeeded ? 'SUCCESS' : 'WARNING',
        url: 'https://club.example.com/api/webhooks/stripe',
        entity: { type: 'payment', id: pi, label: `$89.99 · ${contact?.name ?? ''}` },
        summary: succeeded ? 'Payment of $89.99 succeeded' : 'Payment of $89.99 failed: insufficient_funds',
        request: {
          headers: stripeHeaders,
          body: {
            id: `evt_seed_${i.toString()}`,
            type: eventType,
            data: {
              object: {
                id: pi,
                amount: 8999,
                currency: 'usd',
                customer: `cus_${contact?.id ?? ''}`,
                status: succeeded ? 'succeeded' : 'requires_payment_method',
                ...(succeeded
                  ? {}
                  : { last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' } }),
              },
            },
          },
        },
        response: { body: { received: true } },
        statusCode: 200,
        durationMs: 41,
      }),
    );
  }
  // The failures the spec's "Investigating failures" walk-through starts from.
  for (const [i, hoursAgo] of [3, 9, 20].entries()) {
    const error = new SquareApiError(
      i === 1
        ? 'Square API responded 429 Too Many Requests: rate limit exceeded'
        : 'Square API responded 503 Service Unavailable (POST /v2/inventory/counts/batch-retrieve)',
      i === 1 ? 'RATE_LIMITED' : 'SERVICE_UNAVAILABLE',
    );
    error.stack = [
      `SquareApiError: ${error.message}`,
      '    at SquareClient.request (/app/node_modules/square/dist/cjs/core/fetcher/Fetcher.js:118:23)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)',
      '    at async InventoryApi.batchRetrieveInventoryCounts (/app/node_modules/square/dist/cjs/api/resources/inventory/client/Client.js:412:21)',
      '    at async syncSquareStock (/app/src/jobs/syncSquareStock.ts:57:19)',
      '    at async runJob (/app/src/jobs/runner.ts:88:7)',
    ].join('\n');
    count(
      activity.record({
        type: 'BACKGROUND_JOB',
        status: 'FAILED',
        action: 'SYNC_SQUARE_STOCK',
        actor: { kind: 'system', id: 'system', name: 'System' },
        occurredAt: at(hoursAgo * HOUR),
        summary: `Stock sync failed after ${(40 + i * 23).toString()} of 148 items`,
        error,
        metadata: { synced: 40 + i * 23, skipped: 0 },
      }),
    );
  }
  const outage = new PaymentRunError('Stripe API unavailable after 96 of 240 charges (HTTP 502)');
  count(
    activity.record({
      type: 'BACKGROUND_JOB',
      status: 'FAILED',
      action: 'PROCESS_RELEASE_PAYMENTS',
      actor: user(jordan),
      occurredAt: at(6 * HOUR),
      entity: { type: 'release', id: data.releases[4]?.id ?? 'rel_204', label: data.releases[4]?.name },
      summary: 'Payment run stopped: Stripe API unavailable',
      error: outage,
      metadata: { processed: 96, succeeded: 94, failed: 2 },
    }),
  );
  count(
    activity.userAction({
      actor: user(sam),
      action: 'settings.updated',
      occurredAt: at(5 * HOUR),
      entity: { type: 'settings', id: 'org', label: 'Organization settings' },
      before: {
        shipping: { defaultCarrier: 'UPS' },
        billing: { retryDays: 3, stripeSecretKey: 'sk_live_old' },
      },
      after: {
        shipping: { defaultCarrier: 'FedEx' },
        billing: { retryDays: 5, stripeSecretKey: 'sk_live_new' },
      },
    }),
  );
  count(
    activity.userAction({
      actor: user(casey),
      action: 'contact.tags_added',
      occurredAt: at(50 * MINUTE),
      entity: { type: 'contact', id: data.contacts[8]?.id ?? 'ct_1008', label: data.contacts[8]?.name },
      before: { tags: ['Newsletter'] },
      after: { tags: ['Newsletter', 'Gift Buyer'] },
      metadata: { tags: ['Gift Buyer'] },
    }),
  );
  count(
    activity.system({
      action: 'schema.migrated',
      occurredAt: at(11 * HOUR),
      summary: 'Applied migration 20260114_add_release_items_index',
      metadata: { from: 41, to: 42 },
    }),
  );
  await activity.shutdown();
  return n;
}

/** Months of history; each month is one generator run, so volume can grow month over month. */
const MONTHS = 24;
/** Month-over-month growth of the club's activity (about 15× over two years). */
const GROWTH = 1.12;

/**
 * Seeds about `count` entries over two years, growing month over month like a young club (so the last
 * 24 hours hold a few hundred entries at the default volume without a cliff in the histogram), then
 * the story entries. Fast: batches go straight to `store.append` (~100k in a few seconds of CPU).
 */
export async function seedActivity(store: ActivityStore, options: SeedOptions = {}): Promise<SeedResult> {
  const started = Date.now();
  const count = Math.max(50, Math.floor(options.count ?? 100_000));
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 5000;
  const seed = options.seed ?? 7;
  const weights = Array.from({ length: MONTHS }, (_, i) => GROWTH ** i);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const monthMs = (730 * DAY) / MONTHS;
  const team = TEAM.map(({ id, name }) => ({ id, name }));
  const veterans = team.slice(0, -1);
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, count);
  };
  let inserted = 0;
  let assigned = 0;
  for (let month = 0; month < MONTHS; month++) {
    const last = month === MONTHS - 1;
    const monthCount = last ? count - assigned : Math.round((count * (weights[month] ?? 1)) / weightSum);
    assigned += monthCount;
    if (monthCount <= 0) continue;
    const end = new Date(now.getTime() - (MONTHS - 1 - month) * monthMs);
    // The generator treats its last user as a new hire active in its final two days: only the final
    // month has the real new hire; older months repeat a veteran in that slot.
    const users = last ? team : [...veterans, veterans[0] ?? { id: 'usr_riley', name: 'Riley Park' }];
    inserted += await appendAll(
      store,
      generateActivityBatches({
        count: monthCount,
        batchSize,
        spanDays: monthMs / DAY,
        now: end,
        seed: seed + month,
        orgIds: [ORG_ID],
        users,
      }),
      now.getTime() - HOUR,
      progress,
    );
  }
  inserted += await recordStories(store, now);
  return { inserted, ms: Date.now() - started };
}

/**
 * A demo restarted after a pause would open on an empty "last 24 hours": fill the gap since the newest
 * entry (at most a week back) with fresh history and the story entries. Returns the count, 0 when the
 * newest entry is less than `minGapMs` old.
 */
export async function topUpActivity(
  store: ActivityStore,
  options: { now?: Date; minGapMs?: number } = {},
): Promise<number> {
  const now = options.now ?? new Date();
  const newest = (await store.query({ orgId: ORG_ID, limit: 1 })).entries[0];
  if (!newest) return 0;
  const gapMs = Math.min(7 * DAY, now.getTime() - Date.parse(newest.occurredAt));
  if (gapMs < (options.minGapMs ?? 6 * HOUR)) return 0;
  const count = Math.min(3000, Math.ceil((gapMs / DAY) * 400));
  const batches = generateActivityBatches({
    count,
    batchSize: 5000,
    spanDays: gapMs / DAY,
    now,
    seed: Math.floor(now.getTime() / 1000),
    orgIds: [ORG_ID],
    users: TEAM.map(({ id, name }) => ({ id, name })),
  });
  return (
    (await appendAll(store, batches, now.getTime() - HOUR, () => {})) + (await recordStories(store, now))
  );
}

function parseArgs(argv: string[]): { count: number; reset: boolean } {
  let count = 100_000;
  let reset = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--reset') reset = true;
    else if (arg === '--count' || arg.startsWith('--count=')) {
      const raw = arg.includes('=') ? arg.slice(8) : argv[++i];
      const value = Number(String(raw).replace(/_/g, ''));
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`--count: expected a positive whole number, got ${String(raw)}`);
      }
      count = value;
    } else if (arg !== '--') {
      throw new Error(`unknown argument ${arg} (usage: seed [--count N] [--reset])`);
    }
  }
  return { count, reset };
}

async function main(): Promise<void> {
  const { count, reset } = parseArgs(process.argv.slice(2));
  const { openStore } = await import('./store.js');
  const { store, kind, location } = await openStore();
  try {
    if (reset) {
      const removed = await store.deleteBefore(new Date(Date.now() + 365 * DAY).toISOString(), ORG_ID);
      console.log(`removed ${removed.toString()} entries`);
    } else if (!(await isEmpty(store))) {
      console.log('note: the store already has entries; adding more (pass --reset to start over)');
    }
    console.log(`seeding ${count.toLocaleString('en-US')} entries into ${kind} (${location}) …`);
    let last = 0;
    const result = await seedActivity(store, {
      count,
      onProgress: (n, total) => {
        if (n - last >= total / 10 || n === total) {
          last = n;
          if (process.stdout.isTTY) process.stdout.write(`\r  ${Math.round((n / total) * 100).toString()}%`);
        }
      },
    });
    if (process.stdout.isTTY) process.stdout.write('\r');
    console.log(
      `seeded ${result.inserted.toLocaleString('en-US')} entries in ${(result.ms / 1000).toFixed(1)} s`,
    );
  } finally {
    await store.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
