/**
 * The summary projection of an entry: what a list row, the facets and the live tail need to draw it,
 * without the bulky parts (metadata, diffs, webhook bodies, stack traces) that only the detail view reads.
 * Shared by the handler (which sends it) and the client (which types it). No runtime dependency.
 */
import { ActivityError } from './errors.js';
import type { ActivityEntry, SummarySource, WebhookInfo } from './types.js';

/**
 * Top-level fields a summary keeps: what the table draws, what the live tail patches (status, progress),
 * what orders a page, and whether the drawer may offer Retry. The recording time, the correlation id, job
 * timings, leases, parent and retry links and request context are read by the detail view only, which
 * loads the full entry.
 */
export const SUMMARY_FIELDS = [
  'id',
  'orgId',
  'occurredAt',
  'type',
  'status',
  'actor',
  'action',
  'entity',
  'summary',
  'progress',
  'retryable',
] as const satisfies readonly (keyof ActivityEntry)[];

/** One of {@link SUMMARY_FIELDS}. */
export type SummaryField = (typeof SUMMARY_FIELDS)[number];

/** The webhook field a row shows: the provider's event type. */
export type WebhookSummary = Pick<WebhookInfo, 'eventType'>;

/** Longest `summary` a summary carries, in UTF-16 code units; a longer one is cut and ends in `…`. */
export const SUMMARY_MAX_CHARS = 160;

/**
 * An entry as list pages (`client.list()`) and the live tail (`GET /tail`) give it. `summary` is at most
 * {@link SUMMARY_MAX_CHARS} long, `progress` is set only while the job runs, `retryable` only when true,
 * and `occurredAt` is in UTC `toISOString()` form (the same instant as the entry's).
 * Fetch the full entry with `GET /entries/:id` (`client.get(id)`), or ask for full entries with
 * `fields=full`.
 */
export type ActivityEntrySummary = Pick<ActivityEntry, SummaryField> & {
  webhook?: WebhookSummary | undefined;
};

/** The values `fields` takes on `GET /entries` and `GET /tail`. */
export const ENTRY_FIELDS = ['summary', 'compact', 'full'] as const;
/**
 * One of {@link ENTRY_FIELDS}: `summary` (the default: a summary per entry), `compact` (on `GET /entries`,
 * the same summaries in the page's compact form, `SummaryPage`, which the client and the page request; on
 * `GET /tail` the same as `summary`) or `full` (every stored field).
 */
export type EntryFields = (typeof ENTRY_FIELDS)[number];

/**
 * The instant in `toISOString()` form (`2026-05-04T10:00:00.000Z`), the one form a summary page can carry
 * as milliseconds; an entry recorded with an offset (`+02:00`) or without milliseconds is the same instant.
 */
function utcIso(iso: string): string {
  // The usual case costs nothing: what the recorder stores when given a Date or no time at all.
  if (iso.length === 24 && iso.charCodeAt(23) === 90 /* Z */ && iso.charCodeAt(19) === 46 /* . */) return iso;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString();
}

/** `text` cut to {@link SUMMARY_MAX_CHARS}, ending in `…` when cut, never inside a surrogate pair. */
function clip(text: string): string {
  if (text.length <= SUMMARY_MAX_CHARS) return text;
  let end = SUMMARY_MAX_CHARS - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * The summary of an entry (or of a store's {@link SummarySource}): a new object with only the fields of
 * {@link ActivityEntrySummary}; absent and default-false fields are left out rather than set to undefined.
 */
export function toSummary(entry: SummarySource & { retryable?: boolean | undefined }): ActivityEntrySummary {
  return summaryWith(entry, entry.retryable === true);
}

/** {@link toSummary} with `retryable` decided by the caller (the server, from its retry handlers). */
export function summaryWith(entry: SummarySource, retryable: boolean): ActivityEntrySummary {
  const out: ActivityEntrySummary = {
    id: entry.id,
    orgId: entry.orgId,
    occurredAt: utcIso(entry.occurredAt),
    type: entry.type,
    status: entry.status,
    actor: entry.actor,
    action: entry.action,
  };
  if (entry.entity) out.entity = entry.entity;
  if (entry.summary !== undefined) out.summary = clip(entry.summary);
  if (entry.progress && entry.status === 'IN_PROGRESS') out.progress = entry.progress;
  if (retryable) out.retryable = true;
  if (entry.webhook) out.webhook = { eventType: entry.webhook.eventType };
  return out;
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
