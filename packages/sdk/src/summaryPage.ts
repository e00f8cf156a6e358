/**
 * The wire form of a summary list page (`GET /entries` without `fields=full`): the page's summaries with
 * what repeats said once. The org is named once for the page, rows name their actor and their action by
 * index into the page's `actors` and `actions`, times are milliseconds since the epoch, and default values
 * (`USER_ACTION`, `SUCCESS`) and absent fields are left out. The handler encodes it; the client decodes it back to
 * {@link ActivityEntrySummary} objects, so code using the client never sees this form.
 */
import { ActivityError } from './errors.js';
import type { ActivityEntrySummary } from './summary.js';
import type { ActivityStatus, ActivityType, Actor, EntityRef, JobProgress } from './types.js';

/** One row of a {@link SummaryPage}. */
export interface SummaryRow {
  id: string;
  /** `occurredAt` in milliseconds since 1970-01-01T00:00:00Z. */
  occurredAt: number;
  /** Left out for `USER_ACTION`. */
  type?: Exclude<ActivityType, 'USER_ACTION'> | undefined;
  /** Left out for `SUCCESS`. */
  status?: Exclude<ActivityStatus, 'SUCCESS'> | undefined;
  /** Index into the page's `actors`. */
  actor: number;
  /** Index into the page's `actions`. */
  action: number;
  entity?: EntityRef | undefined;
  /** At most `SUMMARY_MAX_CHARS` long. */
  summary?: string | undefined;
  /** Only while the job runs. */
  progress?: JobProgress | undefined;
  /** Only when true. */
  retryable?: true | undefined;
  /** A webhook's event type: index into the page's `actions` (often the action itself). */
  eventType?: number | undefined;
}

/** A summary list page as `GET /entries` sends it. */
export interface SummaryPage {
  /** The org of every row: the viewer's. */
  orgId: string;
  entries: SummaryRow[];
  /** The actors the rows refer to, each once (an id twice only when it appears with two names). */
  actors: Actor[];
  /** The action names and webhook event types the rows refer to, each once. */
  actions: string[];
  /** Pass back as `cursor` for the next page; `null` at the end. */
  nextCursor: string | null;
}

/** A dictionary of one page: each distinct key gets the next index. */
function indexer<K, V>(values: V[]): (key: K, value: () => V) => number {
  const seen = new Map<K, number>();
  return (key, value) => {
    let i = seen.get(key);
    if (i === undefined) {
      i = values.push(value()) - 1;
      seen.set(key, i);
    }
    return i;
  };
}

/** Encodes summaries of `orgId`'s entries (newest first, as a store page) as a {@link SummaryPage}. */
export function encodeSummaryPage(
  orgId: string,
  summaries: readonly ActivityEntrySummary[],
  nextCursor: string | null,
): SummaryPage {
  const actors: Actor[] = [];
  const actions: string[] = [];
  const actorRef = indexer<string, Actor>(actors);
  const actionRef = indexer<string, string>(actions);
  const entries = summaries.map((s): SummaryRow => {
    if (s.orgId !== orgId) throw new Error(`entry ${s.id} is not of org ${orgId}`);
    const row: SummaryRow = {
      id: s.id,
      occurredAt: Date.parse(s.occurredAt),
      // Keyed by the whole actor: an id may appear under another name (a renamed team member).
      actor: actorRef(`${s.actor.kind}\u0000${s.actor.id}\u0000${s.actor.name ?? '\u0001'}`, () => s.actor),
      action: actionRef(s.action, () => s.action),
    };
    if (s.type !== 'USER_ACTION') row.type = s.type;
    if (s.status !== 'SUCCESS') row.status = s.status;
    if (s.entity) row.entity = s.entity;
    if (s.summary !== undefined) row.summary = s.summary;
    if (s.progress) row.progress = s.progress;
    if (s.retryable === true) row.retryable = true;
    const eventType = s.webhook?.eventType;
    if (eventType !== undefined) row.eventType = actionRef(eventType, () => eventType);
    return row;
  });
  return { orgId, entries, actors, actions, nextCursor };
}

const malformed = (reason: string) =>
  new ActivityError('HTTP', `malformed summary page: ${reason}`, { field: 'entries' });

/** Decodes a {@link SummaryPage} into summaries; throws `ActivityError('HTTP')` on a page it cannot read. */
export function decodeSummaryPage(page: SummaryPage): {
  entries: ActivityEntrySummary[];
  nextCursor: string | null;
} {
  const { orgId, actors, actions } = page;
  if (
    typeof orgId !== 'string' ||
    !Array.isArray(page.entries) ||
    !Array.isArray(actors) ||
    !Array.isArray(actions)
  ) {
    throw malformed('expected orgId, entries, actors and actions');
  }
  const entries = page.entries.map((row): ActivityEntrySummary => {
    const actor = actors[row.actor];
    const action = actions[row.action];
    if (actor === undefined || action === undefined)
      throw malformed(`row ${row.id}: unknown actor or action`);
    const out: ActivityEntrySummary = {
      id: row.id,
      orgId,
      occurredAt: new Date(row.occurredAt).toISOString(),
      type: row.type ?? 'USER_ACTION',
      status: row.status ?? 'SUCCESS',
      actor,
      action,
    };
    if (row.entity) out.entity = row.entity;
    if (row.summary !== undefined) out.summary = row.summary;
    if (row.progress) out.progress = row.progress;
    if (row.retryable === true) out.retryable = true;
    if (row.eventType !== undefined) {
      const eventType = actions[row.eventType];
      if (eventType === undefined) throw malformed(`row ${row.id}: unknown event type`);
      out.webhook = { eventType };
    }
    return out;
  });
  return { entries, nextCursor: page.nextCursor ?? null };
}
