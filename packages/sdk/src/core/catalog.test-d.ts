import { describe, expectTypeOf, it } from 'vitest';
import type { ActivityStore } from '../types.js';
import { createActivity } from './activity.js';
import type { ActivityRecorder, JobRun, RecordInput } from './api.js';
import {
  action,
  defineCatalog,
  type EntityTypeOf,
  type EventTypeOf,
  type JobNameOf,
  type ProviderOf,
  payload,
  type SystemActionOf,
  type UserActionOf,
} from './catalog.js';
import { type WineClubCatalog, wineClubCatalog } from './presets/wineClub.js';

declare const store: ActivityStore;
const activity = createActivity({ store, catalog: wineClubCatalog });
const contact = { type: 'contact' as const, id: 'c_1', label: 'Alex Chen' };
const release = { type: 'release' as const, id: 'r_1', label: 'Spring 2026 Reds' };

describe('catalog types', () => {
  it('derives entity types, user actions, jobs, providers and event types', () => {
    expectTypeOf<EntityTypeOf<WineClubCatalog>>().toExtend<string>();
    expectTypeOf<'contact'>().toExtend<EntityTypeOf<WineClubCatalog>>();
    expectTypeOf<'spaceship'>().not.toExtend<EntityTypeOf<WineClubCatalog>>();
    expectTypeOf<'contact.updated' | 'release.promoted' | 'product.synced_from_square'>().toExtend<
      UserActionOf<WineClubCatalog>
    >();
    expectTypeOf<'contact.promoted'>().not.toExtend<UserActionOf<WineClubCatalog>>();
    expectTypeOf<JobNameOf<WineClubCatalog>>().toExtend<string>();
    expectTypeOf<'SYNC_SQUARE_STOCK'>().toExtend<JobNameOf<WineClubCatalog>>();
    expectTypeOf<'SYNC_EVERYTHING'>().not.toExtend<JobNameOf<WineClubCatalog>>();
    expectTypeOf<ProviderOf<WineClubCatalog>>().toEqualTypeOf<'stripe' | 'fedex' | 'square'>();
    expectTypeOf<'charge.refunded'>().toExtend<EventTypeOf<WineClubCatalog, 'stripe'>>();
    expectTypeOf<'shipment.delivered'>().not.toExtend<EventTypeOf<WineClubCatalog, 'stripe'>>();
    expectTypeOf<SystemActionOf<WineClubCatalog>>().toEqualTypeOf<
      'schema.migrated' | 'config.changed' | 'cache.cleared'
    >();
  });

  it('is all string without a catalog, and per section when a section is omitted', () => {
    expectTypeOf<UserActionOf<undefined>>().toEqualTypeOf<string>();
    expectTypeOf<JobNameOf<undefined>>().toEqualTypeOf<string>();
    const onlyEntities = defineCatalog({
      entities: { note: { label: 'Note', actions: { added: { label: 'Added' } } } },
    });
    expectTypeOf<UserActionOf<typeof onlyEntities>>().toEqualTypeOf<'note.added'>();
    expectTypeOf<JobNameOf<typeof onlyEntities>>().toEqualTypeOf<string>();
    expectTypeOf<ProviderOf<typeof onlyEntities>>().toEqualTypeOf<string>();
  });

  it('keeps declared metadata types from action() and payload()', () => {
    const catalog = defineCatalog({
      entities: {
        order: { label: 'Order', actions: { shipped: action<{ carrier: string }>({ label: 'Shipped' }) } },
      },
      jobs: { NIGHTLY: { label: 'Nightly', metadata: payload<{ rows: number }>() } },
    });
    const typed = createActivity({ store, catalog });
    typed.userAction({
      action: 'order.shipped',
      entity: { type: 'order', id: 'o1' },
      metadata: { carrier: 'UPS' },
    });
    typed.userAction({
      action: 'order.shipped',
      entity: { type: 'order', id: 'o1' },
      // @ts-expect-error the declared payload needs `carrier: string`
      metadata: { carrier: 3 },
    });
    expectTypeOf(typed.job('NIGHTLY').succeed).parameter(0).toEqualTypeOf<{ rows: number } | undefined>();
  });
});

describe('typed recorder', () => {
  it('checks user actions against their entity type', () => {
    activity.userAction({ action: 'contact.updated', entity: contact, before: { a: 1 }, after: { a: 2 } });
    activity.userAction({
      action: 'release.promoted',
      entity: release,
      metadata: { from: 'DRAFT', to: 'PENDING' },
    });
    // @ts-expect-error a contact has no `flew` action
    activity.userAction({ action: 'contact.flew', entity: contact });
    // @ts-expect-error `contact.updated` must name a contact entity
    activity.userAction({ action: 'contact.updated', entity: release });
    // @ts-expect-error `contact.tags_added` declares metadata { tags: string[] }, so it is required
    activity.userAction({ action: 'contact.tags_added', entity: contact });
    // @ts-expect-error tags must be string[]
    activity.userAction({ action: 'contact.tags_added', entity: contact, metadata: { tags: 'vip' } });
    activity.userAction({ action: 'contact.tags_added', entity: contact, metadata: { tags: ['vip'] } });
  });

  it('checks record() by type', () => {
    activity.record({ type: 'USER_ACTION', action: 'contact.deleted', entity: contact });
    activity.record({
      type: 'BACKGROUND_JOB',
      action: 'SYNC_SQUARE_STOCK',
      status: 'FAILED',
      error: new Error('x'),
    });
    activity.record({
      type: 'WEBHOOK',
      action: 'payment_intent.succeeded',
      webhook: { direction: 'in', provider: 'stripe', eventType: 'payment_intent.succeeded' },
    });
    activity.record({ type: 'SYSTEM_EVENT', action: 'cache.cleared', metadata: { keys: 12 } });
    // @ts-expect-error a job name is not a user action
    activity.record({ type: 'USER_ACTION', action: 'PROCESS_RELEASE_PAYMENTS', entity: contact });
    // @ts-expect-error unknown job
    activity.record({ type: 'BACKGROUND_JOB', action: 'SYNC_EVERYTHING' });
    activity.record({
      type: 'WEBHOOK',
      action: 'shipment.delivered',
      // @ts-expect-error FedEx's event under Stripe
      webhook: { direction: 'in', provider: 'stripe', eventType: 'shipment.delivered' },
    });
    // @ts-expect-error unknown activity type
    activity.record({ type: 'AUDIT', action: 'contact.deleted' });
  });

  it('checks webhook providers and their event types', () => {
    activity.webhook({ provider: 'stripe', eventType: 'charge.refunded', eventId: 'evt_1', statusCode: 200 });
    activity.webhook({ provider: 'fedex', eventType: 'shipment.delivered', direction: 'in' });
    // @ts-expect-error FedEx does not send payment intents
    activity.webhook({ provider: 'fedex', eventType: 'payment_intent.succeeded' });
    // @ts-expect-error unknown provider
    activity.webhook({ provider: 'paypal', eventType: 'charge.refunded' });
  });

  it('checks system events and their metadata', () => {
    activity.system({ action: 'schema.migrated', metadata: { from: 3, to: 4 } });
    activity.system({ action: 'config.changed', metadata: { anything: true } });
    // @ts-expect-error unknown system event
    activity.system({ action: 'cache.flushed' });
    // @ts-expect-error `to` must be a number
    activity.system({ action: 'schema.migrated', metadata: { from: 3, to: 'four' } });
  });

  it('checks job names, their entity type and result metadata', () => {
    const run = activity.job('PROCESS_RELEASE_PAYMENTS', { entity: release, total: 10 });
    run.progress(1, 10);
    void run.succeed({ processed: 10, succeeded: 9, failed: 1 });
    // @ts-expect-error the result metadata is { processed, succeeded, failed }
    void run.succeed({ charged: 10 });
    // @ts-expect-error PROCESS_RELEASE_PAYMENTS works on releases
    activity.job('PROCESS_RELEASE_PAYMENTS', { entity: contact });
    // @ts-expect-error unknown job
    activity.job('SYNC_EVERYTHING');
    expectTypeOf(
      activity.runJob('SYNC_SQUARE_STOCK', undefined, async (r) => {
        expectTypeOf(r.succeed).parameter(0).toEqualTypeOf<{ synced: number; skipped: number } | undefined>();
        return 42;
      }),
    ).resolves.toEqualTypeOf<number>();
  });

  it('stays a plain ActivityRecorder for code that takes one', () => {
    expectTypeOf(activity).toExtend<ActivityRecorder>();
    expectTypeOf(activity.job('SYNC_SQUARE_STOCK')).toExtend<Omit<JobRun, 'succeed'>>();
    expectTypeOf(activity.catalog).toEqualTypeOf<WineClubCatalog | undefined>();
  });

  it('accepts any string without a catalog', () => {
    const untyped = createActivity({ store });
    expectTypeOf(untyped.record).parameter(0).toEqualTypeOf<RecordInput>();
    untyped.userAction({ action: 'anything.goes', entity: { type: 'whatever', id: '1' } });
    untyped.webhook({ provider: 'paypal', eventType: 'PAYMENT.CAPTURE.COMPLETED' });
    untyped.system({ action: 'anything' });
    void untyped.job('ANY_JOB').succeed({ any: 'thing' });
  });
});
