/**
 * Keeps the demo alive: every few seconds a team member edits something and a webhook arrives; now and
 * then a job runs for ~20 s with progress and sometimes fails. Everything goes through the real SDK
 * pipeline (`activity.userAction / webhook / job`), exactly as host code would record it.
 */
import type { Activity, ActivityStore, WineClubCatalog } from '@activity/sdk';
import { type Contact, type HostData, ORG_ID, TAGS, TEAM } from './data.js';
import { type JobSimulation, processReleasePayments, syncSquareStock } from './jobs.js';

/** Options of {@link startSimulator}. */
export interface SimulatorOptions {
  activity: Activity<WineClubCatalog>;
  store: ActivityStore;
  data: HostData;
  /** Interval between ticks (one user action and one webhook each). @default 4000 */
  tickMs?: number | undefined;
  /** Ticks between two job runs. @default 6 */
  jobEveryTicks?: number | undefined;
  /** Wall time of a simulated job. @default 20000 */
  jobDurationMs?: number | undefined;
  /** Chance a job fails. @default 0.2 */
  jobFailureRate?: number | undefined;
  /** Called with problems the simulator hit (never thrown). */
  onError?: ((error: unknown) => void) | undefined;
}

/** A running simulator. */
export interface Simulator {
  /** Stops ticking and aborts running jobs (they end FAILED with the abort as cause). */
  stop(): Promise<void>;
}

const CITIES = [
  'Napa',
  'Sonoma',
  'Portland',
  'Austin',
  'Brooklyn',
  'Denver',
  'Seattle',
  'Chicago',
  'Boulder',
];
const DECLINES = ['insufficient_funds', 'expired_card', 'do_not_honor', 'card_velocity_exceeded'];

function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)] as T;
}

function token(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e8).toString(36)}`;
}

function snapshot(contact: Contact): Record<string, unknown> {
  return {
    email: contact.email,
    phone: contact.phone,
    city: contact.city,
    status: contact.status,
    tier: contact.tier,
    tags: [...contact.tags],
  };
}

/** Starts ticking; also finishes jobs a seed or a previous run left IN_PROGRESS. */
export function startSimulator(options: SimulatorOptions): Simulator {
  const { activity, store, data } = options;
  const tickMs = options.tickMs ?? 4000;
  const jobEvery = options.jobEveryTicks ?? 6;
  const controller = new AbortController();
  const sim: JobSimulation = {
    durationMs: options.jobDurationMs ?? 20_000,
    failureRate: options.jobFailureRate ?? 0.2,
    signal: controller.signal,
  };
  const running = new Set<Promise<void>>();
  const report = (error: unknown) => {
    if (!controller.signal.aborted) options.onError?.(error);
  };
  const track = (task: Promise<void>) => {
    const t = task.catch(report);
    running.add(t);
    void t.finally(() => running.delete(t));
  };
  let ticks = 0;

  const userAction = () => {
    const member = pick(TEAM.slice(0, 4));
    const actor = { kind: 'user' as const, id: member.id, name: member.name };
    const context = {
      ip: `203.0.113.${(1 + Math.floor(Math.random() * 254)).toString()}`,
      requestId: token('req_'),
    };
    const roll = Math.random();
    if (roll < 0.75) {
      const contact = pick(data.contacts);
      const entity = { type: 'contact' as const, id: contact.id, label: contact.name };
      const before = snapshot(contact);
      if (roll < 0.35) {
        contact.city = pick(CITIES.filter((c) => c !== contact.city));
        if (Math.random() < 0.5)
          contact.phone = `+1 707 555 ${(1000 + Math.floor(Math.random() * 8999)).toString()}`;
        activity.userAction({
          actor,
          action: 'contact.updated',
          entity,
          before,
          after: snapshot(contact),
          context,
        });
      } else if (roll < 0.6) {
        const missing = TAGS.filter((t) => !contact.tags.includes(t));
        const adding = contact.tags.length === 0 || (missing.length > 0 && Math.random() < 0.6);
        const tag = adding ? pick(missing) : pick(contact.tags);
        contact.tags = adding ? [...contact.tags, tag] : contact.tags.filter((t) => t !== tag);
        activity.userAction({
          actor,
          action: adding ? 'contact.tags_added' : 'contact.tags_removed',
          entity,
          before: { tags: before.tags },
          after: { tags: [...contact.tags] },
          summary: adding ? `Tagged ${tag}` : `Removed tag ${tag}`,
          metadata: { tags: [tag] },
          context,
        });
      } else {
        const from = contact.status;
        const to = pick((['ACTIVE', 'PAUSED', 'PAST_DUE'] as const).filter((s) => s !== from));
        contact.status = to;
        activity.userAction({
          actor,
          action: 'contact.status_changed',
          entity,
          before: { status: from },
          after: { status: to },
          summary: `Status ${from} → ${to}`,
          metadata: { from, to },
          context,
        });
      }
      return;
    }
    const product = pick(data.products);
    const before = product.stock;
    const delta = Math.floor(Math.random() * 24) - 12 || 6;
    product.stock = Math.max(0, before + delta);
    activity.userAction({
      actor,
      action: 'product.stock_adjusted',
      entity: { type: 'product', id: product.id, label: product.name },
      before: { stock: before },
      after: { stock: product.stock },
      metadata: {
        sku: product.sku,
        delta,
        reason: pick(['Breakage', 'Tasting room', 'Recount', 'Received shipment']),
      },
      context,
    });
  };

  const webhook = () => {
    if (Math.random() < 0.7) {
      const contact = pick(data.contacts);
      const succeeded = Math.random() < 0.88;
      const eventType = succeeded ? 'payment_intent.succeeded' : 'payment_intent.payment_failed';
      const eventId = token('evt_');
      const pi = token('pi_');
      const amount = pick([8999, 12999, 4599, 21999]);
      const decline = pick(DECLINES);
      const dollars = `$${(amount / 100).toFixed(2)}`;
      activity.webhook({
        provider: 'stripe',
        eventType,
        eventId,
        status: succeeded ? 'SUCCESS' : 'WARNING',
        url: 'https://club.example.com/api/webhooks/stripe',
        entity: { type: 'payment', id: pi, label: `${dollars} · ${contact.name}` },
        summary: succeeded ? `Payment of ${dollars} succeeded` : `Payment of ${dollars} failed: ${decline}`,
        request: {
          headers: {
            'content-type': 'application/json; charset=utf-8',
            // A real-looking signature: the SDK redacts it before anything is stored.
            'stripe-signature': `t=${Math.floor(Date.now() / 1000).toString()},v1=${token('')}${token('')}`,
            'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          },
          body: {
            id: eventId,
            object: 'event',
            type: eventType,
            data: {
              object: {
                id: pi,
                amount,
                currency: 'usd',
                customer: `cus_${contact.id}`,
                status: succeeded ? 'succeeded' : 'requires_payment_method',
                ...(succeeded
                  ? {}
                  : { last_payment_error: { code: 'card_declined', decline_code: decline } }),
              },
            },
          },
        },
        response: { body: { received: true } },
        statusCode: 200,
        durationMs: 15 + Math.floor(Math.random() * 120),
      });
      return;
    }
    const tracking = `7749${(10_000_000 + Math.floor(Math.random() * 89_999_999)).toString()}`;
    const eventType =
      Math.random() < 0.08
        ? 'shipment.exception'
        : pick(['shipment.in_transit', 'shipment.delivered'] as const);
    const eventId = token('fx_');
    activity.webhook({
      provider: 'fedex',
      eventType,
      eventId,
      status: eventType === 'shipment.exception' ? 'WARNING' : 'SUCCESS',
      url: 'https://club.example.com/api/webhooks/fedex',
      entity: { type: 'fulfillment', id: token('ful_'), label: `Shipment ${tracking}` },
      summary: `Tracking ${tracking}: ${eventType.slice(9).replace('_', ' ')}`,
      request: {
        headers: {
          authorization: `Bearer ${token('fdx_')}`,
          'content-type': 'application/json',
          'fedex-event-id': eventId,
        },
        body: {
          trackingNumber: tracking,
          scanEvent: {
            eventType: eventType.slice(9).toUpperCase(),
            scanLocation: { city: pick(CITIES), countryCode: 'US' },
          },
        },
      },
      response: { body: { ok: true } },
      statusCode: 200,
      durationMs: 9 + Math.floor(Math.random() * 40),
    });
  };

  const job = () => {
    const system = { kind: 'system' as const, id: 'system', name: 'System' };
    if (Math.random() < 0.5) {
      const run = activity.job('SYNC_SQUARE_STOCK', {
        orgId: ORG_ID,
        actor: system,
        metadata: { trigger: 'schedule', locationId: 'L8X2QW9RZ1' },
      });
      track(
        syncSquareStock(run, data, sim).then(
          (result) => run.succeed(result),
          (error: unknown) => run.fail(error),
        ),
      );
      return;
    }
    const release = pick(data.releases);
    const run = activity.job('PROCESS_RELEASE_PAYMENTS', {
      orgId: ORG_ID,
      actor: system,
      entity: { type: 'release', id: release.id, label: release.name },
    });
    track(
      processReleasePayments(run, release.members, sim).then(
        (result) =>
          result.failed > 0
            ? run.warn(`${result.failed.toString()} cards declined`, result)
            : run.succeed({
                processed: result.processed,
                succeeded: result.succeeded,
                failed: result.failed,
              }),
        (error: unknown) => run.fail(error),
      ),
    );
  };

  // Jobs left IN_PROGRESS by the seed (or a stopped demo) finish with progress, like a worker resuming them.
  const resume = async () => {
    const page = await store.query({ orgId: ORG_ID, statuses: ['IN_PROGRESS'], limit: 20 });
    for (const entry of page.entries) {
      const total = entry.progress?.total ?? 100;
      let processed = entry.progress?.processed ?? 0;
      track(
        (async () => {
          for (let step = 0; step < 10 && !controller.signal.aborted; step++) {
            await new Promise((r) => setTimeout(r, sim.durationMs / 10));
            processed = Math.min(total, processed + Math.ceil((total - processed) / (10 - step)));
            await store.updateJob(ORG_ID, entry.id, { progress: { processed, total } });
          }
          if (controller.signal.aborted) return;
          await store.updateJob(ORG_ID, entry.id, {
            status: 'SUCCESS',
            progress: { processed: total, total },
            completedAt: new Date().toISOString(),
            durationMs: Date.now() - Date.parse(entry.occurredAt),
            summary: `Processed ${total.toString()} items`,
          });
        })(),
      );
    }
  };
  track(resume());

  const timer = setInterval(() => {
    try {
      ticks++;
      userAction();
      webhook();
      if (ticks % jobEvery === 1) job();
    } catch (error) {
      report(error);
    }
  }, tickMs);
  timer.unref();

  return {
    async stop() {
      clearInterval(timer);
      controller.abort(new Error('demo server stopped'));
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
