/**
 * The summary projection of an entry: what a list page, the facets and the live tail need to draw a row,
 * without the bulky parts (metadata, diffs, webhook bodies, stack traces) that only the detail view reads.
 * Shared by the handler (which sends it) and the client (which types it). No runtime dependency.
 */
import { ActivityError } from './errors.js';
import type { ActivityEntry, WebhookInfo } from './types.js';

/**
 * Top-level fields a summary keeps as they are: what the table draws, what the live tail patches
 * (status, progress), what orders a page, and the correlation id a list can be filtered by. Job timings,
 * leases, parent and retry links and request context are read by the detail view only, which loads the
 * full entry.
 */
export const SUMMARY_FIELDS = [
  'id',
  'orgId',
  'occurredAt',
  'recordedAt',
  'type',
  'status',
  'actor',
  'action',
  'entity',
  'summary',
  'progress',
  'retryable',
  'correlationId',
] as const satisfies readonly (keyof ActivityEntry)[];

/** One of {@link SUMMARY_FIELDS}. */
export type SummaryField = (typeof SUMMARY_FIELDS)[number];

/** The webhook fields a row shows: direction, provider and the provider's event type. */
export type WebhookSummary = Pick<WebhookInfo, 'direction' | 'provider' | 'eventType'>;

/**
 * An entry as list pages and the live tail send it (`GET /entries`, `GET /tail`). Fetch the full entry
 * with `GET /entries/:id` (`client.get(id)`), or ask for full entries with `fields=full`.
 */
export type ActivityEntrySummary = Pick<ActivityEntry, SummaryField> & {
  webhook?: WebhookSummary | undefined;
};

/** The values `fields` takes on `GET /entries` and `GET /tail`. */
export const ENTRY_FIELDS = ['summary', 'full'] as const;
/** One of {@link ENTRY_FIELDS}: `summary` (the default) or `full` (every stored field). */
export type EntryFields = (typeof ENTRY_FIELDS)[number];

/** The summary of an entry: a new object with only the fields of {@link ActivityEntrySummary}. */
export function toSummary(entry: ActivityEntry | ActivityEntrySummary): ActivityEntrySummary {
  const out: Record<string, unknown> = {};
  for (const field of SUMMARY_FIELDS) {
    const value = entry[field];
    if (value !== undefined) out[field] = value;
  }
  const webhook = entry.webhook;
  if (webhook) {
    const w: WebhookSummary = {
      direction: webhook.direction,
      provider: webhook.provider,
      eventType: webhook.eventType,
    };
    out.webhook = w;
  }
  return out as ActivityEntrySummary;
}

/** The `fields` query parameter: `summary` when absent, or a 400 naming `fields` for anything else. */
export function entryFieldsParam(params: URLSearchParams): EntryFields {
  const values = params.getAll('fields');
  if (values.length === 0) return 'summary';
  const value = values[0] ?? '';
  if (values.length > 1 || !(ENTRY_FIELDS as readonly string[]).includes(value)) {
    throw new ActivityError('INVALID_FILTER', `fields: expected one of ${ENTRY_FIELDS.join(', ')}`, {
      field: 'fields',
    });
  }
  return value as EntryFields;
}

/** Shapes an entry for the answer: itself for `full`, else its summary. */
export function projectEntry(
  entry: ActivityEntry,
  fields: EntryFields,
): ActivityEntry | ActivityEntrySummary {
  return fields === 'full' ? entry : toSummary(entry);
}
