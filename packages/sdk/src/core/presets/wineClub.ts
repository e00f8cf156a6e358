/**
 * The product spec's catalog (a wine club's back office) as an example preset. Copy it as a starting
 * point or use it as is; nothing in the SDK depends on it.
 */
import { action, defineCatalog, payload } from '../catalog.js';

/** Entity types, actions, jobs, webhook providers and system events of the spec's wine club. */
export const wineClubCatalog = defineCatalog({
  entities: {
    contact: {
      label: 'Contact',
      href: (id) => `/contacts/${encodeURIComponent(id)}`,
      actions: {
        created: { label: 'Created' },
        updated: { label: 'Updated' },
        deleted: { label: 'Deleted' },
        status_changed: action<{ from: string; to: string }>({ label: 'Status changed' }),
        tags_added: action<{ tags: string[] }>({ label: 'Tags added' }),
        tags_removed: action<{ tags: string[] }>({ label: 'Tags removed' }),
        merged: action<{ mergedIds: string[] }>({ label: 'Merged' }),
      },
    },
    release: {
      label: 'Release',
      href: (id) => `/releases/${encodeURIComponent(id)}`,
      actions: {
        created: { label: 'Created' },
        promoted: action<{ from: string; to: 'PENDING' }>({ label: 'Promoted to PENDING' }),
        cancelled: action<{ reason?: string }>({ label: 'Cancelled' }),
        payments_processed: action<{ processed: number; failed: number; amountCents?: number }>({
          label: 'Payments processed',
        }),
        modifications_added: action<{ count: number }>({ label: 'Modifications added' }),
      },
    },
    product: {
      label: 'Product',
      href: (id) => `/products/${encodeURIComponent(id)}`,
      actions: {
        created: { label: 'Created' },
        updated: { label: 'Updated' },
        stock_adjusted: action<{ sku: string; delta: number; reason?: string }>({ label: 'Stock adjusted' }),
        synced_from_square: { label: 'Synced from Square' },
        synced_from_woo: { label: 'Synced from WooCommerce' },
      },
    },
    fulfillment: {
      label: 'Fulfillment',
      plural: 'Fulfillments',
      href: (id) => `/fulfillments/${encodeURIComponent(id)}`,
      actions: {
        status_changed: action<{ from: string; to: string }>({ label: 'Status changed' }),
        shipment_created: action<{ carrier: string; trackingNumber: string }>({ label: 'Shipment created' }),
        swap_applied: action<{ fromSku: string; toSku: string }>({ label: 'Swap applied' }),
      },
    },
    payment: {
      label: 'Payment',
      href: (id) => `/payments/${encodeURIComponent(id)}`,
      actions: {
        charge_attempted: action<{ amountCents: number; currency: string }>({ label: 'Charge attempted' }),
        succeeded: action<{ amountCents: number; currency: string }>({ label: 'Succeeded' }),
        failed: action<{ amountCents: number; currency: string; declineCode?: string }>({ label: 'Failed' }),
        refunded: action<{ amountCents: number; currency: string; reason?: string }>({ label: 'Refunded' }),
      },
    },
    settings: {
      label: 'Settings',
      plural: 'Settings',
      href: () => '/settings',
      actions: {
        updated: { label: 'Updated' },
        integration_connected: action<{ integration: string }>({ label: 'Integration connected' }),
        integration_disconnected: action<{ integration: string }>({ label: 'Integration disconnected' }),
      },
    },
    team_member: {
      label: 'Team member',
      href: (id) => `/settings/team/${encodeURIComponent(id)}`,
      actions: {
        invited: { label: 'Invited' },
        role_changed: action<{ from: string; to: string }>({ label: 'Role changed' }),
        removed: { label: 'Removed' },
      },
    },
    // The fixtures and the example record a member's role change as `team.role_changed` (on a
    // `team_member` entity), so the team itself is an entity type too.
    team: {
      label: 'Team',
      plural: 'Teams',
      href: () => '/settings/team',
      actions: {
        role_changed: action<{ from: string; to: string }>({ label: 'Role changed' }),
        member_invited: { label: 'Member invited' },
        member_removed: { label: 'Member removed' },
      },
    },
    integration: {
      label: 'Integration',
      href: (id) => `/settings/integrations/${encodeURIComponent(id)}`,
      actions: {
        connected: { label: 'Connected' },
        disconnected: { label: 'Disconnected' },
        sync_failed: action<{ error: string }>({ label: 'Sync failed' }),
      },
    },
    // What the query API records about the log itself (CSV exports and their downloads).
    activity: {
      label: 'Activity',
      plural: 'Activity',
      actions: {
        exported: action<{ rows: number; async?: boolean }>({ label: 'Exported' }),
        export_downloaded: action<{ exportId: string; rows?: number }>({ label: 'Export downloaded' }),
      },
    },
  },
  jobs: {
    PROCESS_RELEASE_PAYMENTS: {
      label: 'Process release payments',
      entity: 'release',
      retryable: true,
      metadata: payload<{ processed: number; succeeded: number; failed: number }>(),
    },
    SYNC_SQUARE_STOCK: {
      label: 'Sync Square stock',
      entity: 'product',
      retryable: true,
      metadata: payload<{ synced: number; skipped: number }>(),
    },
    SYNC_WOO_PRODUCTS: {
      label: 'Sync WooCommerce products',
      entity: 'product',
      // A one-time sync: re-triggered from its integration page rather than retried in place.
      retriggerUrl: '/settings/integrations/woocommerce',
      metadata: payload<{ synced: number; skipped: number }>(),
    },
    SEND_RELEASE_EMAILS: {
      label: 'Send release emails',
      entity: 'release',
      retryable: true,
      metadata: payload<{ sent: number; bounced: number }>(),
    },
    EXPORT_ACTIVITY_CSV: { label: 'Export activity CSV', metadata: payload<{ rows: number }>() },
  },
  webhooks: {
    stripe: {
      label: 'Stripe',
      retryable: true,
      events: [
        'payment_intent.succeeded',
        'payment_intent.payment_failed',
        'charge.refunded',
        'charge.dispute.created',
        'customer.updated',
      ],
    },
    fedex: {
      label: 'FedEx',
      events: [
        'shipment.created',
        'shipment.in_transit',
        'shipment.delivered',
        'shipment.exception',
        'tracking.updated',
      ],
    },
    square: {
      label: 'Square',
      retryable: true,
      events: ['inventory.count.updated', 'catalog.version.updated'],
    },
  },
  systemEvents: {
    'schema.migrated': { label: 'Schema migrated', metadata: payload<{ from: number; to: number }>() },
    'config.changed': { label: 'Configuration changed' },
    'cache.cleared': { label: 'Cache cleared', metadata: payload<{ keys: number }>() },
  },
});

/** The type of {@link wineClubCatalog}, for `Activity<WineClubCatalog>` annotations. */
export type WineClubCatalog = typeof wineClubCatalog;
