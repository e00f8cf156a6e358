import type { ActivityClient, EntityRef, EntryPage } from '@activity/sdk/client';

/**
 * What the components read through: the query client of `@activity/sdk/client`
 * (`createActivityClient({ baseUrl })`), or any object of the same shape.
 */
export type ActivityQueryClient = ActivityClient;

/** One page of the list endpoint: entry summaries (the drawer loads each full entry itself). */
export type ActivityListPage = EntryPage;

/** Display labels from the catalog: entity types and actions by their code. */
export interface ActivityLabels {
  /** `contact` → `Contact`. */
  entityTypes?: Record<string, string> | undefined;
  /** `contact.updated` → `Contact updated`. */
  actions?: Record<string, string> | undefined;
}

/** Builds the link to an entity's record in the host app; return undefined for no link. */
export type EntityHref = (entity: EntityRef) => string | undefined;
