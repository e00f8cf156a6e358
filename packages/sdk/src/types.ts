/**
 * The event model and the store interface shared by every part of @activity/sdk.
 * This file has no runtime code and no dependency, so the browser client can import it freely.
 */

/** The four kinds of activity the log records. */
export const ACTIVITY_TYPES = ['USER_ACTION', 'BACKGROUND_JOB', 'WEBHOOK', 'SYSTEM_EVENT'] as const;
/** One of {@link ACTIVITY_TYPES}. */
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** The four statuses an entry can have. Only BACKGROUND_JOB entries move out of IN_PROGRESS. */
export const ACTIVITY_STATUSES = ['SUCCESS', 'IN_PROGRESS', 'WARNING', 'FAILED'] as const;
/** One of {@link ACTIVITY_STATUSES}. */
export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];

/** The kinds of actor: a team member, the system itself, or an external party (Stripe, Square, FedEx…). */
export const ACTOR_KINDS = ['user', 'system', 'external'] as const;
/** One of {@link ACTOR_KINDS}. */
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** The current version of the stored entry shape. */
export const SCHEMA_VERSION = 1;

/** Who did it. */
export interface Actor {
  /** `user` for a team member, `system` for jobs and internals, `external` for third parties. */
  kind: ActorKind;
  /** Stable id (user id, `system`, provider slug such as `stripe`). */
  id: string;
  /** Display name shown in the log ("Riley Park", "Stripe"). */
  name?: string | undefined;
}

/** The record a change affected. */
export interface EntityRef {
  /** Entity type from the catalog, e.g. `contact`, `release`. */
  type: string;
  /** The record's id in the host app. */
  id: string;
  /** Human label shown in the log ("Alex Chen", "Spring 2026 Reds"). */
  label?: string | undefined;
}

/** How one field changed. `redacted` fields keep no values, only the fact that they changed. */
export interface FieldChange {
  /** Dotted path of the field (`address.city`, `tags.2`). */
  path: string;
  /** `added`, `removed` or `changed`. */
  kind: 'added' | 'removed' | 'changed';
  /** Value before (absent for `added` and for redacted fields). */
  before?: unknown;
  /** Value after (absent for `removed` and for redacted fields). */
  after?: unknown;
  /** True when the value was hidden by redaction: shown as "changed, hidden". */
  redacted?: boolean | undefined;
}

/** A captured error, after redaction. */
export interface ActivityErrorInfo {
  name: string;
  message: string;
  stack?: string | undefined;
  code?: string | undefined;
}

/** One side of a webhook exchange. */
export interface WebhookMessage {
  headers?: Record<string, string> | undefined;
  body?: unknown;
}

/** Webhook details, after redaction. */
export interface WebhookInfo {
  /** `in` for received webhooks (Stripe → us), `out` for sent ones. */
  direction: 'in' | 'out';
  /** Provider slug (`stripe`, `fedex`). */
  provider: string;
  /** Provider's event type (`payment_intent.succeeded`). */
  eventType: string;
  /** Provider's own event id; the natural idempotency key. */
  eventId?: string | undefined;
  url?: string | undefined;
  request?: WebhookMessage | undefined;
  response?: WebhookMessage | undefined;
  statusCode?: number | undefined;
  durationMs?: number | undefined;
}

/** Request context captured with the entry. */
export interface RequestContext {
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

/** Progress of a running job. */
export interface JobProgress {
  processed: number;
  total?: number | undefined;
}

/** One stored activity entry. Immutable once its status is final. */
export interface ActivityEntry {
  /** Time-sortable UUIDv7. Give it to support to look up an entry. */
  id: string;
  /** Tenant the entry belongs to. */
  orgId: string;
  /** ISO 8601 UTC time the change happened. */
  occurredAt: string;
  /** ISO 8601 UTC time the SDK accepted the entry. */
  recordedAt: string;
  /** Shape version ({@link SCHEMA_VERSION}). */
  schemaVersion: number;
  type: ActivityType;
  status: ActivityStatus;
  actor: Actor;
  /** The verb: `contact.updated`, `PROCESS_RELEASE_PAYMENTS`, `payment_intent.succeeded`. */
  action: string;
  entity?: EntityRef | undefined;
  /** Optional one-line human summary. */
  summary?: string | undefined;
  changes?: FieldChange[] | undefined;
  metadata?: Record<string, unknown> | undefined;
  error?: ActivityErrorInfo | undefined;
  webhook?: WebhookInfo | undefined;
  progress?: JobProgress | undefined;
  correlationId?: string | undefined;
  parentId?: string | undefined;
  /** Id of the entry this one re-runs. */
  retryOf?: string | undefined;
  idempotencyKey?: string | undefined;
  context?: RequestContext | undefined;
  /** True when a retry handler is registered for this job or provider. */
  retryable?: boolean | undefined;
  /** Where a job that cannot be retried in place is re-triggered (a host page). */
  retriggerUrl?: string | undefined;
  /** ISO time the job finished (final status reached). */
  completedAt?: string | undefined;
  /** Wall time of a finished job in milliseconds. */
  durationMs?: number | undefined;
  /** ISO time a running job was last seen alive (its start, a progress write or a heartbeat). */
  heartbeatAt?: string | undefined;
  /**
   * ISO time after which a still IN_PROGRESS job counts as abandoned (its process died): the sweeper
   * then finalises it as FAILED with error code `ABANDONED`. Renewed by every heartbeat.
   */
  leaseExpiresAt?: string | undefined;
}

/** Relative date ranges offered by the UI and accepted in the URL (`range=7d`). `all` = everything retained. */
export const DATE_RANGE_PRESETS = ['1h', '24h', '7d', '30d', '90d', '1y', 'all'] as const;
/** One of {@link DATE_RANGE_PRESETS}. */
export type DateRangePreset = (typeof DATE_RANGE_PRESETS)[number];

/** The filter shared by the page, the URL, the API, the stores and the export. */
export interface ActivityFilter {
  /**
   * Relative range ending now. Ignored when `from` or `to` is set. When neither is set the range is 24h.
   * @default '24h'
   */
  range?: DateRangePreset | undefined;
  types?: ActivityType[] | undefined;
  statuses?: ActivityStatus[] | undefined;
  /** Actor ids (team members, `system`, providers). */
  actorIds?: string[] | undefined;
  entityTypes?: string[] | undefined;
  entityId?: string | undefined;
  /** Inclusive lower bound, ISO 8601. */
  from?: string | undefined;
  /** Exclusive upper bound, ISO 8601. */
  to?: string | undefined;
  correlationId?: string | undefined;
  /** Free text over action, entity label and actor name (case-insensitive substring). */
  q?: string | undefined;
}

/** A query: a filter for one org, with a keyset cursor. */
export interface StoreQuery extends ActivityFilter {
  orgId: string;
  /** Page size. @default 50 */
  limit?: number | undefined;
  /** Keyset position: return entries strictly older than this (occurredAt, id). */
  after?: { occurredAt: string; id: string } | undefined;
}

/** One page of entries (full entries unless said otherwise), newest first. */
export interface StorePage<E = ActivityEntry> {
  entries: E[];
  /** Position of the last entry, when more may follow. */
  next?: { occurredAt: string; id: string } | undefined;
}

/**
 * The part of an entry a list page is made from (`GET /entries`): what a row draws, plus the webhook's
 * provider, which decides `retryable`. What {@link ActivityStore.querySummaries} returns.
 */
export type SummarySource = Pick<
  ActivityEntry,
  'id' | 'orgId' | 'occurredAt' | 'type' | 'status' | 'actor' | 'action' | 'entity' | 'summary' | 'progress'
> & {
  webhook?: Pick<WebhookInfo, 'provider' | 'eventType'> | undefined;
};

/** A count by value. */
export interface FacetCount {
  value: string;
  count: number;
  /** Display name (actors' names). */
  label?: string | undefined;
}

/** Counts by axis within a filter. */
export interface Facets {
  types: FacetCount[];
  statuses: FacetCount[];
  actors: FacetCount[];
  entityTypes: FacetCount[];
  total: number;
}

/** One histogram bucket. */
export interface HistogramBucket {
  /** ISO start of the bucket. */
  start: string;
  count: number;
  /** FAILED + WARNING entries in the bucket. */
  failures: number;
}

/** Update applied to an IN_PROGRESS job entry. */
export interface JobUpdate {
  status?: ActivityStatus | undefined;
  progress?: JobProgress | undefined;
  metadata?: Record<string, unknown> | undefined;
  error?: ActivityErrorInfo | undefined;
  summary?: string | undefined;
  completedAt?: string | undefined;
  durationMs?: number | undefined;
  /** Renews the run's lease: when it was last seen alive. */
  heartbeatAt?: string | undefined;
  /** Renews the run's lease: when it expires. */
  leaseExpiresAt?: string | undefined;
}

/** Result of appending a batch. */
export interface AppendResult {
  /** Entries newly stored. */
  inserted: number;
  /** Entries skipped because their (orgId, idempotencyKey) or id was already stored. */
  duplicates: number;
}

/**
 * Optional hint on the array the recorder passes to `ActivityStore.append`: `array[ENTRY_JSON][i]` is
 * `JSON.stringify(array[i])`, already made when the entry was queued, so a store writing JSON text can
 * skip serialising again. Trust it only on the array as received; a wrapper that changes entries must
 * pass a new array (a copy does not carry the hint).
 */
export const ENTRY_JSON: unique symbol = Symbol.for('@activity/sdk.entryJson');

/**
 * Where entries live. Every implementation runs the shared conformance suite
 * (`runStoreContract` from `@activity/sdk/testing`).
 */
export interface ActivityStore {
  /** Appends a batch atomically; an entry whose id or (orgId, idempotencyKey) exists is skipped. */
  append(entries: ActivityEntry[]): Promise<AppendResult>;
  /**
   * Updates a job entry that is still IN_PROGRESS. Returns false (and changes nothing) when the entry
   * is missing, belongs to another org or is already final.
   */
  updateJob(orgId: string, id: string, update: JobUpdate): Promise<boolean>;
  /** One entry of one org, or undefined. */
  get(orgId: string, id: string): Promise<ActivityEntry | undefined>;
  /** A page, newest first (occurredAt desc, id desc). */
  query(query: StoreQuery): Promise<StorePage>;
  /**
   * The same page as {@link ActivityStore.query}, reading only the fields of a list row
   * ({@link SummarySource}) instead of whole entries. Optional: without it the server calls `query` and
   * projects the entries itself. Extra fields in the result are ignored.
   */
  querySummaries?(query: StoreQuery): Promise<StorePage<SummarySource>>;
  /**
   * The same page as {@link ActivityStore.query} (same filter, order, tenant scope and cursor), as the CSV
   * export's cells: each row is exactly `entryToRow(entry)` (server/csv.ts; `CSV_COLUMNS` order, before
   * formula neutralisation) of the entry `query` would return there. Optional: the exporter uses it when
   * present, so a store that keeps the cells in columns spares parsing every entry; without it the
   * exporter calls `query` and builds the rows itself.
   */
  queryCsvRows?(query: StoreQuery): Promise<StorePage<string[]>>;
  /** Counts by type, status, actor and entity type within the filter. */
  facets(query: StoreQuery): Promise<Facets>;
  /** Entries per time bucket within the filter. */
  histogram(query: StoreQuery & { bucketMs: number }): Promise<HistogramBucket[]>;
  /** Deletes entries of an org (or all orgs when omitted) that occurred before `before`. Returns the count. */
  deleteBefore(before: string, orgId?: string): Promise<number>;
  /** Distinct org ids with entries (used by retention). */
  listOrgs(): Promise<string[]>;
  /** Completes pending work. */
  flush?(): Promise<void>;
  /** Releases the connection. */
  close(): Promise<void>;
}

/** What a viewer of the log may do. */
export const VIEWER_PERMISSIONS = ['read', 'retry', 'export'] as const;
/** One of {@link VIEWER_PERMISSIONS}. */
export type ViewerPermission = (typeof VIEWER_PERMISSIONS)[number];

/** The authenticated reader of the log, as returned by the host's `authorize(request)`. The org scope comes only from here. */
export interface Viewer {
  orgId: string;
  userId: string;
  /** Display name, used as the actor of retries and exports. */
  name?: string | undefined;
  permissions: ViewerPermission[];
}
