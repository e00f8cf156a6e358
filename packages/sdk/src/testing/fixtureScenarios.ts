/**
 * The stories behind the fixtures: {@link ScenarioGenerator} builds one scenario at a time (a contact edit,
 * a payment run with its job and webhooks, a Square stock sync, a FedEx tracking update, …), each kind in its
 * own method behind the `scenario` dispatcher. Everything is drawn from one seeded PRNG in a fixed order, so
 * the same seed gives byte-identical entries; tests, benchmarks and the demo depend on that, so any change to
 * the order or number of draws here changes their data.
 */
import { UUID } from 'uuidv7';
import type {
  ActivityErrorInfo,
  ActivityStatus,
  ActivityType,
  Actor,
  EntityRef,
  FieldChange,
  RequestContext,
  WebhookInfo,
} from '../types.js';
import {
  CITIES,
  CONTACT_STATUSES,
  CONTACTS,
  FIXTURE_USERS,
  type FixtureUser,
  PRODUCTS,
  RELEASES,
  TAGS,
} from './fixtureNames.js';
import type { GenerateActivityOptions } from './fixtures.js';

const TIERS = ['Classic', 'Reserve', 'Collector'];
const USER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
];
const SYSTEM: Actor = { kind: 'system', id: 'system', name: 'System' };
const STRIPE: Actor = { kind: 'external', id: 'stripe', name: 'Stripe' };
const SQUARE: Actor = { kind: 'external', id: 'square', name: 'Square' };
const FEDEX: Actor = { kind: 'external', id: 'fedex', name: 'FedEx' };

/** mulberry32: tiny, fast and good enough for fixtures. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface Draft {
  offsetMs: number;
  type: ActivityType;
  status: ActivityStatus;
  actor: Actor;
  action: string;
  entity?: EntityRef;
  summary?: string;
  changes?: FieldChange[];
  metadata?: Record<string, unknown>;
  error?: ActivityErrorInfo;
  webhook?: WebhookInfo;
  progress?: { processed: number; total?: number };
  idempotencyKey?: string;
  context?: RequestContext;
  retryable?: boolean;
  retriggerUrl?: string;
  durationMs?: number;
  /** Index of the parent draft within the scenario. */
  parent?: number;
}

/** Builds one scenario at a time; each scenario is a small story of related entries. */
export class ScenarioGenerator {
  private readonly rand: () => number;
  private readonly users: FixtureUser[];
  private readonly orgIds: string[];
  private serial = 0;

  constructor(options: GenerateActivityOptions) {
    this.rand = prng(options.seed ?? 1);
    this.users = options.users?.length ? options.users : FIXTURE_USERS;
    this.orgIds = options.orgIds?.length ? options.orgIds : ['org_demo'];
  }

  private int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  private pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T;
  }

  /** A short base36 token that never repeats within one generator. */
  private token(prefix: string): string {
    this.serial++;
    return `${prefix}${this.serial.toString(36)}${this.int(0x7fffffff).toString(36)}`;
  }

  id(ms: number): string {
    return UUID.fromFieldsV7(ms, this.int(0x1000), this.int(0x40000000), this.int(0x100000000)).toString();
  }

  private contact(): EntityRef {
    // Skewed so a few contacts (Alex Chen first) recur, as real customers do.
    const i = Math.floor(this.rand() ** 2 * CONTACTS.length);
    return { type: 'contact', id: `ct_${(1000 + i).toString()}`, label: CONTACTS[i] as string };
  }

  private release(): EntityRef {
    const i = this.int(RELEASES.length);
    return { type: 'release', id: `rel_${(200 + i).toString()}`, label: RELEASES[i] as string };
  }

  private product(): EntityRef {
    const i = this.int(PRODUCTS.length);
    return { type: 'product', id: `prod_${(500 + i).toString()}`, label: PRODUCTS[i] as string };
  }

  private user(recent: boolean): Actor {
    // The new hire (last user) only acts in the last two days.
    const pool = recent || this.users.length === 1 ? this.users : this.users.slice(0, -1);
    const u = this.pick(pool);
    return { kind: 'user', id: u.id, name: u.name };
  }

  private context(): RequestContext {
    return {
      ip: `203.0.113.${(1 + this.int(254)).toString()}`,
      userAgent: this.pick(USER_AGENTS),
      requestId: this.token('req_'),
    };
  }

  private money(): number {
    return (3 + this.int(20)) * 1000 - 1 + this.int(2) * 500;
  }

  private stripeWebhook(succeeded: boolean, contact: EntityRef, amount: number, offsetMs: number): Draft {
    const eventId = this.token('evt_');
    const pi = this.token('pi_');
    const eventType = succeeded ? 'payment_intent.succeeded' : 'payment_intent.payment_failed';
    const decline = this.pick([
      'insufficient_funds',
      'expired_card',
      'do_not_honor',
      'card_velocity_exceeded',
    ]);
    const object: Record<string, unknown> = {
      id: pi,
      object: 'payment_intent',
      amount,
      currency: 'usd',
      customer: `cus_${contact.id.slice(3)}`,
      status: succeeded ? 'succeeded' : 'requires_payment_method',
      metadata: { contactId: contact.id },
    };
    if (!succeeded)
      object.last_payment_error = { code: 'card_declined', decline_code: decline, type: 'card_error' };
    const dollars = `$${(amount / 100).toFixed(2)}`;
    return {
      offsetMs,
      type: 'WEBHOOK',
      status: succeeded ? 'SUCCESS' : 'WARNING',
      actor: STRIPE,
      action: eventType,
      entity: { type: 'payment', id: pi, label: `${dollars} · ${contact.label ?? contact.id}` },
      summary: succeeded ? `Payment of ${dollars} succeeded` : `Payment of ${dollars} failed: ${decline}`,
      idempotencyKey: `stripe:${eventId}`,
      retryable: !succeeded,
      durationMs: 20 + this.int(200),
      webhook: {
        direction: 'in',
        provider: 'stripe',
        eventType,
        eventId,
        url: 'https://club.example.com/api/webhooks/stripe',
        request: {
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'stripe-signature': '[REDACTED]',
            'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          },
          body: {
            id: eventId,
            object: 'event',
            type: eventType,
            api_version: '2025-01-27.acacia',
            data: { object },
          },
        },
        response: { headers: { 'content-type': 'application/json' }, body: { received: true } },
        statusCode: 200,
        durationMs: 20 + this.int(200),
      },
    };
  }

  private squareFailure(): ActivityErrorInfo {
    const [message, code] = this.pick([
      [
        'Square API responded 503 Service Unavailable (POST /v2/inventory/counts/batch-retrieve)',
        'SERVICE_UNAVAILABLE',
      ],
      ['Square API responded 429 Too Many Requests: rate limit exceeded', 'RATE_LIMITED'],
      ['Location L8X2QW9RZ1 not found for merchant', 'NOT_FOUND'],
      ['request to https://connect.squareup.com/v2/catalog/list failed, reason: ETIMEDOUT', 'ETIMEDOUT'],
    ] as const);
    return {
      name: 'SquareApiError',
      message,
      code,
      stack: [
        `SquareApiError: ${message}`,
        '    at SquareClient.request (/app/node_modules/square/dist/cjs/core/fetcher/Fetcher.js:118:23)',
        '    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)',
        '    at async InventoryApi.batchRetrieveInventoryCounts (/app/node_modules/square/dist/cjs/api/resources/inventory/client/Client.js:412:21)',
        '    at async syncSquareStock (/app/src/jobs/syncSquareStock.ts:57:19)',
        '    at async runJob (/app/src/jobs/runner.ts:88:7)',
      ].join('\n'),
    };
  }

  /**
   * One scenario: its drafts in time order, offsets relative to the scenario start. `r` picks the kind;
   * the thresholds (out of 100) set the mix.
   */
  scenario(recent: boolean, veryRecent: boolean, forceRunningJob = false): Draft[] {
    const r = forceRunningJob ? 63 : this.int(100);
    if (r < 18) return this.contactEdited(recent);
    if (r < 28) return this.contactTagged(recent);
    if (r < 34) return this.contactStatusChanged(recent);
    if (r < 39) return this.contactLifecycle(recent);
    if (r < 46) return this.releaseEdited(recent);
    if (r < 58) {
      return [this.stripeWebhook(true, this.contact(), this.money(), 0)];
    }
    if (r < 63) {
      return [this.stripeWebhook(false, this.contact(), this.money(), 0)];
    }
    if (r < 72) return this.paymentRun(recent, veryRecent, forceRunningJob);
    if (r < 80) return this.squareSync(veryRecent);
    if (r < 86) return this.fedexTracking();
    if (r < 91) return this.productEdited(recent);
    if (r < 96) return this.settingsChanged(recent);
    return this.systemEvent();
  }

  /** A team member edits a contact: email, city, or phone and club tier. */
  private contactEdited(recent: boolean): Draft[] {
    const contact = this.contact();
    const field = this.int(3);
    const changes: FieldChange[] =
      field === 0
        ? [
            {
              path: 'email',
              kind: 'changed',
              before: `${contact.id}@old-mail.example`,
              after: `${contact.id}@example.com`,
            },
          ]
        : field === 1
          ? [{ path: 'address.city', kind: 'changed', before: this.pick(CITIES), after: this.pick(CITIES) }]
          : [
              { path: 'phone', kind: 'changed', before: '+1 707 555 0100', after: '+1 707 555 0199' },
              { path: 'club.tier', kind: 'changed', before: 'Classic', after: this.pick(TIERS) },
            ];
    return [
      {
        offsetMs: 0,
        type: 'USER_ACTION',
        status: 'SUCCESS',
        actor: this.user(recent),
        action: 'contact.updated',
        entity: contact,
        changes,
        context: this.context(),
      },
    ];
  }

  /** A team member tags a contact or removes a tag. */
  private contactTagged(recent: boolean): Draft[] {
    const contact = this.contact();
    const tag = this.pick(TAGS);
    const added = this.rand() < 0.65;
    return [
      {
        offsetMs: 0,
        type: 'USER_ACTION',
        status: 'SUCCESS',
        actor: this.user(recent),
        action: added ? 'contact.tags_added' : 'contact.tags_removed',
        entity: contact,
        summary: added ? `Tagged ${tag}` : `Removed tag ${tag}`,
        changes: [
          added
            ? { path: 'tags.1', kind: 'added', after: tag }
            : { path: 'tags.1', kind: 'removed', before: tag },
        ],
        metadata: { tags: [tag] },
        context: this.context(),
      },
    ];
  }

  /** A team member moves a contact to another status. */
  private contactStatusChanged(recent: boolean): Draft[] {
    const contact = this.contact();
    const before = this.pick(CONTACT_STATUSES);
    const after = this.pick(CONTACT_STATUSES.filter((s) => s !== before));
    return [
      {
        offsetMs: 0,
        type: 'USER_ACTION',
        status: 'SUCCESS',
        actor: this.user(recent),
        action: 'contact.status_changed',
        entity: contact,
        summary: `Status ${before} → ${after}`,
        changes: [{ path: 'status', kind: 'changed', before, after }],
        context: this.context(),
      },
    ];
  }

  /** A team member creates, merges (a duplicate into it) or deletes a contact. */
  private contactLifecycle(recent: boolean): Draft[] {
    const contact = this.contact();
    const k = this.int(3);
    if (k === 0) {
      return [
        {
          offsetMs: 0,
          type: 'USER_ACTION',
          status: 'SUCCESS',
          actor: this.user(recent),
          action: 'contact.created',
          entity: contact,
          changes: [
            { path: 'name', kind: 'added', after: contact.label },
            { path: 'club.tier', kind: 'added', after: this.pick(TIERS) },
          ],
          context: this.context(),
        },
      ];
    }
    if (k === 1) {
      const dup = this.contact();
      return [
        {
          offsetMs: 0,
          type: 'USER_ACTION',
          status: 'SUCCESS',
          actor: this.user(recent),
          action: 'contact.merged',
          entity: contact,
          summary: `Merged duplicate ${dup.id} into ${contact.label ?? ''}`,
          metadata: { mergedFrom: dup.id, ordersMoved: 1 + this.int(6) },
          context: this.context(),
        },
      ];
    }
    return [
      {
        offsetMs: 0,
        type: 'USER_ACTION',
        status: 'SUCCESS',
        actor: this.user(recent),
        action: 'contact.deleted',
        entity: contact,
        changes: [{ path: 'email', kind: 'removed', before: `${contact.id}@example.com` }],
        context: this.context(),
      },
    ];
  }

  /** A team member creates, promotes, cancels or adds to a release. */
  private releaseEdited(recent: boolean): Draft[] {
    const release = this.release();
    const k = this.int(4);
    const action = [
      'release.created',
      'release.promoted',
      'release.cancelled',
      'release.modifications_added',
    ][k] as string;
    const changes: FieldChange[] =
      k === 1
        ? [{ path: 'status', kind: 'changed', before: 'DRAFT', after: 'PENDING' }]
        : k === 2
          ? [{ path: 'status', kind: 'changed', before: 'PENDING', after: 'CANCELLED' }]
          : k === 0
            ? [
                { path: 'name', kind: 'added', after: release.label },
                { path: 'bottles', kind: 'added', after: 6 },
              ]
            : [{ path: 'items.3', kind: 'added', after: { product: this.pick(PRODUCTS), qty: 1 } }];
    return [
      {
        offsetMs: 0,
        type: 'USER_ACTION',
        status: 'SUCCESS',
        actor: this.user(recent),
        action,
        entity: release,
        summary: k === 2 ? 'Cancelled: supplier shortage' : undefined,
        changes,
        context: this.context(),
      } as Draft,
    ];
  }

  /** A team member processes a release's payments: the click, the job, and the Stripe webhooks it caused. */
  private paymentRun(recent: boolean, veryRecent: boolean, forceRunningJob: boolean): Draft[] {
    const release = this.release();
    const total = 40 + this.int(400);
    const failed = this.int(Math.max(1, Math.floor(total / 25)));
    const running = forceRunningJob || (veryRecent && this.rand() < 0.5);
    const processed = running ? this.int(total) : total;
    const drafts: Draft[] = [
      {
        offsetMs: 0,
        type: 'USER_ACTION',
        status: 'SUCCESS',
        actor: this.user(recent),
        action: 'release.payments_processed',
        entity: release,
        summary: `Started payment run for ${total.toString()} members`,
        context: this.context(),
      },
      {
        offsetMs: 400 + this.int(600),
        type: 'BACKGROUND_JOB',
        status: running ? 'IN_PROGRESS' : failed > 0 ? 'WARNING' : 'SUCCESS',
        actor: SYSTEM,
        action: 'PROCESS_RELEASE_PAYMENTS',
        entity: release,
        summary: running
          ? undefined
          : `Charged ${(processed - failed).toString()} of ${total.toString()}; ${failed.toString()} declined`,
        progress: { processed, total },
        metadata: {
          total,
          processed,
          succeeded: processed - failed,
          failed,
          amountCents: (processed - failed) * 8999,
        },
        retryable: true,
        parent: 0,
        ...(running ? {} : { durationMs: total * (150 + this.int(100)) }),
      },
    ];
    const webhooks = running ? 1 : 2;
    for (let i = 0; i < webhooks; i++) {
      drafts.push({
        ...this.stripeWebhook(i > 0 || failed === 0, this.contact(), 8999, 2000 + i * 900),
        parent: 1,
      });
    }
    return drafts;
  }

  /** Square inventory: a webhook (or the schedule) starts a sync that adjusts stock or fails. */
  private squareSync(veryRecent: boolean): Draft[] {
    const fromWebhook = this.rand() < 0.5;
    const failed = this.rand() < 0.3;
    const drafts: Draft[] = [];
    if (fromWebhook) {
      const eventId = this.token('sq_');
      drafts.push({
        offsetMs: 0,
        type: 'WEBHOOK',
        status: 'SUCCESS',
        actor: SQUARE,
        action: 'inventory.count.updated',
        idempotencyKey: `square:${eventId}`,
        webhook: {
          direction: 'in',
          provider: 'square',
          eventType: 'inventory.count.updated',
          eventId,
          url: 'https://club.example.com/api/webhooks/square',
          request: {
            headers: { 'content-type': 'application/json', 'x-square-hmacsha256-signature': '[REDACTED]' },
            body: {
              merchant_id: 'MLQ7Z4',
              type: 'inventory.count.updated',
              event_id: eventId,
              data: {
                type: 'inventory_counts',
                object: {
                  inventory_counts: [
                    {
                      catalog_object_id: this.token('CAT'),
                      quantity: String(this.int(90)),
                      state: 'IN_STOCK',
                    },
                  ],
                },
              },
            },
          },
          response: { body: { ok: true } },
          statusCode: 200,
          durationMs: 12 + this.int(50),
        },
      });
    }
    const root = drafts.length;
    const total = 20 + this.int(180);
    const running = !failed && veryRecent && this.rand() < 0.5;
    drafts.push({
      offsetMs: fromWebhook ? 300 : 0,
      type: 'BACKGROUND_JOB',
      status: failed ? 'FAILED' : running ? 'IN_PROGRESS' : 'SUCCESS',
      actor: SYSTEM,
      action: 'SYNC_SQUARE_STOCK',
      entity: { type: 'integration', id: 'int_square', label: 'Square' },
      error: failed ? this.squareFailure() : undefined,
      summary: failed
        ? 'Stock sync failed'
        : running
          ? undefined
          : `Synced ${total.toString()} products from Square`,
      progress: { processed: failed ? this.int(total) : running ? this.int(total) : total, total },
      metadata: { locationId: 'L8X2QW9RZ1', total, trigger: fromWebhook ? 'webhook' : 'schedule' },
      retryable: true,
      retriggerUrl: '/settings/integrations/square',
      parent: fromWebhook ? 0 : undefined,
      ...(running ? {} : { durationMs: 800 + this.int(20_000) }),
    } as Draft);
    if (!failed && !running) {
      for (let i = 0; i < 2; i++) {
        const before = this.int(60);
        drafts.push({
          offsetMs: 1500 + i * 40,
          type: 'BACKGROUND_JOB',
          status: 'SUCCESS',
          actor: SYSTEM,
          action: 'product.stock_adjusted',
          entity: this.product(),
          changes: [{ path: 'stock', kind: 'changed', before, after: before + this.int(24) - 6 }],
          metadata: { source: 'square' },
          parent: root,
        });
      }
    }
    return drafts;
  }

  /** FedEx tracking webhook → the shipment's fulfillment status changes. */
  private fedexTracking(): Draft[] {
    const eventId = this.token('fx_');
    const tracking = `7749${(10_000_000 + this.int(89_999_999)).toString()}`;
    const [code, status] = this.pick([
      ['DL', 'DELIVERED'],
      ['IT', 'IN_TRANSIT'],
      ['OD', 'OUT_FOR_DELIVERY'],
      ['DE', 'EXCEPTION'],
    ] as const);
    const fulfillment: EntityRef = {
      type: 'fulfillment',
      id: this.token('ful_'),
      label: `Shipment ${tracking}`,
    };
    return [
      {
        offsetMs: 0,
        type: 'WEBHOOK',
        status: status === 'EXCEPTION' ? 'WARNING' : 'SUCCESS',
        actor: FEDEX,
        action: 'fedex.tracking_updated',
        entity: fulfillment,
        summary: `Tracking ${tracking}: ${status}`,
        idempotencyKey: `fedex:${eventId}`,
        webhook: {
          direction: 'in',
          provider: 'fedex',
          eventType: 'tracking.updated',
          eventId,
          url: 'https://club.example.com/api/webhooks/fedex',
          request: {
            headers: {
              authorization: '[REDACTED]',
              'content-type': 'application/json',
              'fedex-event-id': eventId,
            },
            body: {
              trackingNumber: tracking,
              scanEvent: {
                eventType: code,
                eventDescription: status.replace(/_/g, ' ').toLowerCase(),
                scanLocation: { city: this.pick(CITIES), countryCode: 'US' },
              },
            },
          },
          response: { body: { ok: true } },
          statusCode: 200,
          durationMs: 9 + this.int(40),
        },
      },
      {
        offsetMs: 250,
        type: 'BACKGROUND_JOB',
        status: 'SUCCESS',
        actor: SYSTEM,
        action: 'fulfillment.status_changed',
        entity: fulfillment,
        changes: [{ path: 'status', kind: 'changed', before: 'SHIPPED', after: status }],
        parent: 0,
      },
    ];
  }

  /** A team member changes a product's price or stock. */
  private productEdited(recent: boolean): Draft[] {
    const product = this.product();
    const before = 1999 + this.int(40) * 100;
    return [
      {
        offsetMs: 0,
        type: 'USER_ACTION',
        status: 'SUCCESS',
        actor: this.user(recent),
        action: this.rand() < 0.5 ? 'product.updated' : 'product.stock_adjusted',
        entity: product,
        changes: [
          this.rand() < 0.5
            ? { path: 'priceCents', kind: 'changed', before, after: before + 200 }
            : { path: 'stock', kind: 'changed', before: 48, after: 36 },
        ],
        context: this.context(),
      },
    ];
  }

  /** A team member changes settings, an integration or a teammate's role. */
  private settingsChanged(recent: boolean): Draft[] {
    const k = this.int(3);
    const actor = this.user(recent);
    if (k === 0) {
      return [
        {
          offsetMs: 0,
          type: 'USER_ACTION',
          status: 'SUCCESS',
          actor,
          action: 'settings.updated',
          entity: { type: 'settings', id: 'org', label: 'Organization settings' },
          changes: [
            { path: 'shipping.defaultCarrier', kind: 'changed', before: 'UPS', after: 'FedEx' },
            { path: 'billing.retryDays', kind: 'changed', before: 3, after: 5 },
          ],
          context: this.context(),
        },
      ];
    }
    if (k === 1) {
      const connected = this.rand() < 0.7;
      return [
        {
          offsetMs: 0,
          type: 'USER_ACTION',
          status: 'SUCCESS',
          actor,
          action: connected ? 'integration.connected' : 'integration.disconnected',
          entity: { type: 'integration', id: 'int_woo', label: 'WooCommerce' },
          changes: [{ path: 'apiKey', kind: 'changed', redacted: true }],
          context: this.context(),
        },
      ];
    }
    const member = this.pick(this.users);
    return [
      {
        offsetMs: 0,
        type: 'USER_ACTION',
        status: 'SUCCESS',
        actor,
        action: 'team.role_changed',
        entity: { type: 'team_member', id: member.id, label: member.name },
        changes: [{ path: 'role', kind: 'changed', before: 'staff', after: 'admin' }],
        context: this.context(),
      },
    ];
  }

  /** The system itself: a schema migration or a cache clear after a deploy. */
  private systemEvent(): Draft[] {
    if (this.rand() < 0.5) {
      const version = `2026${(1000 + this.int(8999)).toString()}_add_release_items_index`;
      return [
        {
          offsetMs: 0,
          type: 'SYSTEM_EVENT',
          status: 'SUCCESS',
          actor: SYSTEM,
          action: 'schema.migrated',
          summary: `Applied migration ${version}`,
          metadata: { version, durationMs: 40 + this.int(900), statements: 1 + this.int(6) },
        },
      ];
    }
    return [
      {
        offsetMs: 0,
        type: 'SYSTEM_EVENT',
        status: 'SUCCESS',
        actor: SYSTEM,
        action: 'cache.cleared',
        summary: 'Cleared the catalog cache after a deploy',
        metadata: { keys: 100 + this.int(5000), reason: 'deploy' },
      },
    ];
  }

  orgId(): string {
    return this.pick(this.orgIds);
  }

  correlationId(): string {
    return this.token('corr_');
  }
}
