import { describe, expect, it } from 'vitest';
import { ActivityError } from '../errors.js';
import { ACTIVITY_STATUSES, ACTIVITY_TYPES } from '../types.js';
import { action, catalogLabels, defineCatalog, entityHref, payload, userActionLabel } from './catalog.js';
import { wineClubCatalog } from './presets/wineClub.js';

function configError(fn: () => unknown): ActivityError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ActivityError);
    return error as ActivityError;
  }
  throw new Error('expected a CONFIG error');
}

describe('defineCatalog', () => {
  it('returns the catalog unchanged, with action() and payload() adding only an empty marker', () => {
    const catalog = defineCatalog({
      entities: {
        contact: {
          label: 'Contact',
          actions: { tags_added: action<{ tags: string[] }>({ label: 'Tags added' }) },
        },
      },
      jobs: { SYNC: { label: 'Sync', metadata: payload<{ n: number }>() } },
    });
    expect(catalog.entities.contact.actions.tags_added.label).toBe('Tags added');
    expect(JSON.stringify(catalog.jobs.SYNC.metadata)).toBe('{}');
  });

  it.each([
    [{ entities: null }, 'catalog.entities'],
    [{ entities: { 'contact.x': { label: 'C', actions: {} } } }, 'catalog.entities.contact.x'],
    [{ entities: { contact: { actions: {} } } }, 'catalog.entities.contact.label'],
    [
      { entities: { contact: { label: 'C', actions: { 'Bad Name': { label: 'x' } } } } },
      'catalog.entities.contact.actions.Bad Name',
    ],
    [
      { entities: { contact: { label: 'C', actions: { created: {} } } } },
      'catalog.entities.contact.actions.created.label',
    ],
    [{ entities: {}, jobs: { SYNC: { label: 'S', entity: 'release' } } }, 'catalog.jobs.SYNC.entity'],
    [
      { entities: {}, webhooks: { stripe: { label: 'Stripe', events: 'all' } } },
      'catalog.webhooks.stripe.events',
    ],
  ])('rejects malformed catalog %#, naming the field', (bad, field) => {
    const error = configError(() => defineCatalog(bad as never));
    expect(error.code).toBe('CONFIG');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });
});

describe('catalogLabels', () => {
  it('gives the UI types, statuses, entity types, actions, jobs and providers as plain JSON', () => {
    const labels = catalogLabels(wineClubCatalog);
    expect(JSON.parse(JSON.stringify(labels))).toEqual(labels);
    expect(labels.types.map((t) => t.value)).toEqual([...ACTIVITY_TYPES]);
    expect(labels.statuses.map((s) => s.value)).toEqual([...ACTIVITY_STATUSES]);
    expect(labels.entityTypes).toContainEqual({ value: 'contact', label: 'Contact', plural: 'Contacts' });
    expect(labels.entityTypes).toContainEqual({ value: 'settings', label: 'Settings', plural: 'Settings' });
    expect(labels.actions['contact.updated']).toBe('Contact updated');
    expect(labels.actions['release.promoted']).toBe('Release promoted to PENDING');
    expect(labels.actions.PROCESS_RELEASE_PAYMENTS).toBe('Process release payments');
    expect(labels.actions['cache.cleared']).toBe('Cache cleared');
    expect(labels.jobs).toContainEqual({
      value: 'SYNC_SQUARE_STOCK',
      label: 'Sync Square stock',
      entity: 'product',
      retryable: true,
    });
    const woo = labels.jobs.find((j) => j.value === 'SYNC_WOO_PRODUCTS');
    expect(woo?.retryable).toBe(false);
    expect(woo?.retriggerUrl).toBe('/settings/integrations/woocommerce');
    const stripe = labels.providers.find((p) => p.value === 'stripe');
    expect(stripe?.label).toBe('Stripe');
    expect(stripe?.events).toContain('payment_intent.payment_failed');
  });

  it('covers every category of the spec in the wine club preset', () => {
    const actions = Object.keys(catalogLabels(wineClubCatalog).actions);
    for (const expected of [
      'contact.created',
      'contact.updated',
      'contact.deleted',
      'contact.status_changed',
      'contact.tags_added',
      'contact.tags_removed',
      'contact.merged',
      'release.created',
      'release.promoted',
      'release.cancelled',
      'release.payments_processed',
      'release.modifications_added',
      'product.created',
      'product.updated',
      'product.stock_adjusted',
      'product.synced_from_square',
      'product.synced_from_woo',
      'fulfillment.status_changed',
      'fulfillment.shipment_created',
      'fulfillment.swap_applied',
      'payment.charge_attempted',
      'payment.succeeded',
      'payment.failed',
      'payment.refunded',
      'settings.updated',
      'settings.integration_connected',
      'settings.integration_disconnected',
      'team_member.invited',
      'team_member.role_changed',
      'PROCESS_RELEASE_PAYMENTS',
      'SYNC_SQUARE_STOCK',
      'SYNC_WOO_PRODUCTS',
      'SEND_RELEASE_EMAILS',
      'schema.migrated',
      'config.changed',
      'cache.cleared',
    ]) {
      expect(actions).toContain(expected);
    }
    expect(
      catalogLabels(wineClubCatalog)
        .providers.map((p) => p.value)
        .sort(),
    ).toEqual(['fedex', 'square', 'stripe']);
  });

  it('has only the built-in types and statuses without a catalog', () => {
    const labels = catalogLabels();
    expect(labels.types).toHaveLength(4);
    expect(labels.entityTypes).toEqual([]);
    expect(labels.actions).toEqual({});
  });

  it('lower-cases only a leading capitalised word when composing labels', () => {
    expect(userActionLabel('Contact', 'Tags added')).toBe('Contact tags added');
    expect(userActionLabel('Product', 'SKU merged')).toBe('Product SKU merged');
  });
});

describe('entityHref', () => {
  it('links an entity through the catalog, encoding the id', () => {
    expect(entityHref(wineClubCatalog, { type: 'contact', id: 'a/b' })).toBe('/contacts/a%2Fb');
    expect(entityHref(wineClubCatalog, { type: 'unknown', id: '1' })).toBeUndefined();
    expect(entityHref(undefined, { type: 'contact', id: '1' })).toBeUndefined();
  });
});
