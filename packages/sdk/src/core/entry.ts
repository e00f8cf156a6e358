/**
 * Building an entry: from host input, the async context, the catalog and a diff to the candidate
 * entry; the quick checks and JSON snapshot `record()` makes; the full validation and redaction.
 */
import { V7Generator } from 'uuidv7';
import { ActivityError } from '../errors.js';
import {
  ACTIVITY_STATUSES,
  ACTIVITY_TYPES,
  ACTOR_KINDS,
  type ActivityStatus,
  type ActivityType,
  type Actor,
  SCHEMA_VERSION,
} from '../types.js';
import type { ActivityContext, RecordInput } from './api.js';
import type { CatalogDefinition, WebhookInput } from './catalog.js';
import { currentContext } from './context.js';
import { diffObjects, summarizeChanges } from './diff.js';
import { asActivityError, compact, describeValue, isObject, toErrorInfo } from './errorInfo.js';
import type { ActivityOptions } from './options.js';
import { compileRedactor, type EntryScrubber } from './redact.js';
import {
  checkDiffSize,
  isSnapshotSafe,
  type PreparedEntry,
  prepareEntry,
  prepareSnapshot,
  resolveLimits,
  utf8Bytes,
  type ValidationLimits,
} from './validate.js';

/** What building an entry needs from the recorder's options. */
export interface EntryConfig {
  catalog: CatalogDefinition | undefined;
  defaultOrgId: string | undefined;
  clock: () => Date;
  limits: ValidationLimits;
  redactor: EntryScrubber;
  retryableJobs: ReadonlySet<string>;
  retryableProviders: ReadonlySet<string>;
}

/** The entry-building part of the options, compiled once (limits, redactor). */
export function entryConfig(options: ActivityOptions): EntryConfig {
  return {
    catalog: options.catalog,
    defaultOrgId: options.defaultOrgId,
    clock: options.now ?? (() => new Date()),
    limits: resolveLimits(options.limits),
    redactor: compileRedactor(options.redact),
    retryableJobs: new Set(options.retryable?.jobs ?? []),
    retryableProviders: new Set(options.retryable?.providers ?? []),
  };
}

/** `record()`'s form of an entry: its JSON, either a snapshot still to validate (`pending`) or final. */
export interface Snapshot {
  id: string;
  json: string;
  bytes: number;
  pending: boolean;
}

/** The actor of entries that name none and run outside any context. */
export const SYSTEM_ACTOR: Actor = Object.freeze({ kind: 'system', id: 'system' });

/**
 * Entry ids: UUIDv7 from the `uuidv7` package, fed from a pool of 4 KiB of crypto randomness. The
 * package's default refills every 8 words, and that call was a tenth of record()'s cost.
 */
export const newEntryId = (() => {
  const pool = new Uint32Array(1024);
  let cursor = pool.length;
  const generator = new V7Generator({
    nextUint32(): number {
      if (cursor >= pool.length) {
        crypto.getRandomValues(pool);
        cursor = 0;
      }
      return pool[cursor++] as number;
    },
  });
  return (): string => generator.generate().toString();
})();

function toIso(value: unknown, fallback: Date, field: string): string {
  if (value === undefined) return fallback.toISOString();
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new ActivityError('INVALID_EVENT', `${field}: invalid Date`, { field });
    }
    return value.toISOString();
  }
  if (typeof value === 'string') return value;
  throw new ActivityError(
    'INVALID_EVENT',
    `${field}: expected a Date or an ISO 8601 string, got ${describeValue(value)}`,
    {
      field,
    },
  );
}

/** True when a retry handler is registered for the job name or webhook provider. */
export function isRetryable(config: EntryConfig, type: ActivityType, name: string): boolean {
  const { catalog, retryableJobs, retryableProviders } = config;
  if (typeof name !== 'string') return false;
  if (type === 'BACKGROUND_JOB') {
    const jobs = catalog?.jobs;
    return (
      retryableJobs.has(name) ||
      (jobs !== undefined && Object.hasOwn(jobs, name) && jobs[name]?.retryable === true)
    );
  }
  if (type === 'WEBHOOK') {
    const hooks = catalog?.webhooks;
    return (
      retryableProviders.has(name) ||
      (hooks !== undefined && Object.hasOwn(hooks, name) && hooks[name]?.retryable === true)
    );
  }
  return false;
}

/** Builds the candidate entry from host input, the async context and defaults. May throw. */
export function buildEntry(
  config: EntryConfig,
  raw: unknown,
  status?: ActivityStatus,
): Record<string, unknown> {
  const { catalog, limits } = config;
  if (!isObject(raw)) {
    throw new ActivityError('INVALID_EVENT', `input: expected an object, got ${describeValue(raw)}`, {
      field: 'input',
    });
  }
  const input = raw as Partial<RecordInput>;
  const ctx: ActivityContext | undefined = currentContext();
  const now = config.clock();
  const orgId = input.orgId ?? ctx?.orgId ?? config.defaultOrgId;
  if (orgId === undefined || orgId === '') {
    throw new ActivityError(
      'INVALID_EVENT',
      'orgId: is required — pass orgId, run inside activity.withContext({ orgId }, fn), or set defaultOrgId',
      { field: 'orgId' },
    );
  }
  const type = input.type;
  let changes = input.changes;
  if (changes === undefined && (input.before !== undefined || input.after !== undefined)) {
    // The diff walks all of both objects: a huge one is refused first, in bounded time.
    let field = 'before';
    try {
      checkDiffSize(input.before, limits, field);
      field = 'after';
      checkDiffSize(input.after, limits, field);
      field = 'changes';
      changes = diffObjects(input.before, input.after);
    } catch (error) {
      // Hostile getters and proxies throw their own errors: name the side that held them.
      throw asActivityError(error, field);
    }
  }
  const webhook = input.webhook;
  let idempotencyKey = input.idempotencyKey;
  if (idempotencyKey === undefined && isObject(webhook)) {
    // The provider's event id is the natural key: a redelivered webhook is stored once.
    const { provider, eventId } = webhook;
    if (typeof provider === 'string' && typeof eventId === 'string' && eventId !== '') {
      idempotencyKey = `${provider}:${eventId}`;
    }
  }
  let retryable: boolean | undefined;
  let retriggerUrl: string | undefined;
  if (type === 'BACKGROUND_JOB' && typeof input.action === 'string') {
    retryable = isRetryable(config, type, input.action);
    const jobs = catalog?.jobs;
    if (jobs !== undefined && Object.hasOwn(jobs, input.action))
      retriggerUrl = jobs[input.action]?.retriggerUrl;
  } else if (type === 'WEBHOOK' && isObject(webhook) && typeof webhook.provider === 'string') {
    retryable = isRetryable(config, type, webhook.provider);
  }
  let summary = input.summary;
  if (summary === undefined && Array.isArray(changes) && changes.length > 0)
    summary = summarizeChanges(changes);
  const recordedAt = now.toISOString();
  // Undefined members are left in: both validation paths drop them (deleting would slow the object).
  return {
    id: input.id ?? newEntryId(),
    orgId,
    occurredAt: input.occurredAt === undefined ? recordedAt : toIso(input.occurredAt, now, 'occurredAt'),
    recordedAt,
    schemaVersion: SCHEMA_VERSION,
    type,
    status: input.status ?? status ?? 'SUCCESS',
    actor: input.actor ?? ctx?.actor ?? SYSTEM_ACTOR,
    action: input.action,
    entity: input.entity,
    summary,
    changes,
    metadata: input.metadata,
    error: input.error === undefined ? undefined : toErrorInfo(input.error),
    webhook,
    correlationId: input.correlationId ?? ctx?.correlationId,
    parentId: input.parentId ?? ctx?.parentId,
    retryOf: input.retryOf,
    idempotencyKey,
    context: input.context ?? ctx?.context,
    retryable,
    retriggerUrl,
  };
}

/** Validates and redacts a candidate (one private copy, redacted in place) and serialises it. Throws ActivityError. */
export function finishEntry(config: EntryConfig, candidate: Record<string, unknown>): PreparedEntry {
  return prepareEntry(candidate, config.limits, config.redactor.scrubEntry);
}

/**
 * {@link finishEntry} for a snapshot: its parsed copy is private, so it is checked and redacted in place
 * rather than copied again, unless a string needs cleaning (a `\u` escape in the text) or the check
 * finds anything unusual; then the exact path decides.
 */
export function finishSnapshot(config: EntryConfig, json: string, bytes: number): PreparedEntry {
  const fast = json.includes('\\u')
    ? undefined
    : prepareSnapshot(json, bytes, config.limits, config.redactor.scrubChanged);
  // A fresh parse: the fast path may have redacted part of its copy before giving up.
  return fast ?? finishEntry(config, JSON.parse(json) as Record<string, unknown>);
}

/**
 * The cheap checks record() makes before deferring the rest: what a wrong call gets wrong (type,
 * status, action, actor, a host-given id). Anything failing them is validated in full at once, so
 * the error is the precise one.
 */
export function passesQuickChecks(candidate: Record<string, unknown>): boolean {
  const { id, orgId, type, status, action, actor } = candidate;
  return (
    typeof id === 'string' &&
    id !== '' &&
    id.length <= 256 &&
    id.trim() === id &&
    typeof orgId === 'string' &&
    (ACTIVITY_TYPES as readonly unknown[]).includes(type) &&
    (ACTIVITY_STATUSES as readonly unknown[]).includes(status) &&
    (status !== 'IN_PROGRESS' || type === 'BACKGROUND_JOB') &&
    typeof action === 'string' &&
    action.trim() !== '' &&
    isObject(actor) &&
    typeof actor.id === 'string' &&
    (ACTOR_KINDS as readonly unknown[]).includes(actor.kind)
  );
}

/**
 * record()'s synchronous part: a JSON snapshot of the input (later host mutation cannot change what
 * is stored) after the quick checks. Deep validation and redaction run when the writer takes it.
 * Input that fails the checks, cannot be serialised or is already too large is decided here instead.
 */
export function snapshotEntry(config: EntryConfig, candidate: Record<string, unknown>): Snapshot {
  const { limits } = config;
  let json: string | undefined;
  try {
    // The bounded plain-JSON check first: JSON.stringify would silently turn a Map into {} (where
    // recordDurable refuses it) and spend seconds on a sparse array of length 1e8.
    if (passesQuickChecks(candidate) && isSnapshotSafe(candidate, limits)) json = JSON.stringify(candidate);
  } catch {
    // Throwing getters or proxies: the full validation below names the field.
  }
  if (json === undefined || json.length > limits.maxBytes) {
    const prepared = finishEntry(config, candidate);
    return { id: prepared.id, json: prepared.json, bytes: prepared.bytes, pending: false };
  }
  return { id: candidate.id as string, json, bytes: utf8Bytes(json), pending: true };
}

/** The record input of a `webhook()` call: a WEBHOOK entry whose actor is the provider. May throw. */
export function webhookInput(
  config: EntryConfig,
  input: WebhookInput<CatalogDefinition>,
): Record<string, unknown> {
  if (!isObject(input)) {
    throw new ActivityError('INVALID_EVENT', `input: expected an object, got ${describeValue(input)}`, {
      field: 'input',
    });
  }
  const { provider, eventType, direction, eventId, url, request, response, statusCode, durationMs, ...base } =
    input;
  const hooks = config.catalog?.webhooks;
  const label =
    typeof provider === 'string' && hooks !== undefined && Object.hasOwn(hooks, provider)
      ? hooks[provider]?.label
      : undefined;
  return {
    ...base,
    type: 'WEBHOOK',
    action: eventType,
    status: base.status ?? (typeof statusCode === 'number' && statusCode >= 400 ? 'FAILED' : 'SUCCESS'),
    actor: base.actor ?? { kind: 'external', id: provider, name: label ?? provider },
    webhook: compact({
      direction: direction ?? 'in',
      provider,
      eventType,
      eventId,
      url,
      request,
      response,
      statusCode,
      durationMs,
    }),
  };
}
