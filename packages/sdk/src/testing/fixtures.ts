/**
 * Deterministic, realistic activity for the wine-club product of the spec: team members editing
 * contacts and releases, payment and stock jobs, Stripe/Square/FedEx webhooks, settings and system events.
 * Used by tests, Storybook, benchmarks (1M rows, streamed in batches) and the example app's seed.
 * This file turns scenarios into entries (times, ids, tenants, links); the scenarios themselves are in
 * fixtureScenarios.ts and the names they use in fixtureNames.ts.
 */
import type { ActivityEntry } from '../types.js';
import { SCHEMA_VERSION } from '../types.js';
import type { FixtureUser } from './fixtureNames.js';
import { ScenarioGenerator } from './fixtureScenarios.js';

export { FIXTURE_NAMES, FIXTURE_USERS, type FixtureUser } from './fixtureNames.js';

/** Options of {@link generateActivity}. */
export interface GenerateActivityOptions {
  /** Number of entries to produce. */
  count: number;
  /** Tenants the entries are spread over. @default ['org_demo'] */
  orgIds?: string[] | undefined;
  /** PRNG seed; the same seed and `now` give the same entries. @default 1 */
  seed?: number | undefined;
  /** Newest possible time; pass it for reproducible output. @default new Date() */
  now?: Date | undefined;
  /** How far back the entries reach. @default 30 */
  spanDays?: number | undefined;
  /** Team members; the last one is the new hire, active only in the last two days. @default FIXTURE_USERS */
  users?: FixtureUser[] | undefined;
}

const DAY = 86_400_000;

/** Streams {@link generateActivity}'s entries in batches, so a million rows never sit in memory at once. */
export function* generateActivityBatches(
  options: GenerateActivityOptions & { batchSize: number },
): Generator<ActivityEntry[]> {
  const { count, batchSize } = options;
  const gen = new ScenarioGenerator(options);
  const now = (options.now ?? new Date()).getTime();
  const span = (options.spanDays ?? 30) * DAY;
  // Keep the newest scenario's children (a few seconds later) before `now`.
  const start = now - span;
  const usable = Math.max(0, span - 60_000);
  let batch: ActivityEntry[] = [];
  let produced = 0;
  // Near the end one payment run is still going, so every data set shows a live IN_PROGRESS job.
  let runningShown = false;
  while (produced < count) {
    const at = start + Math.floor((produced / count) * usable);
    const recent = now - at < 2 * DAY;
    const forceRunning = !runningShown && count - produced <= 8 && count >= 8;
    if (forceRunning) runningShown = true;
    const drafts = gen.scenario(recent, now - at < 30 * 60_000, forceRunning);
    const orgId = gen.orgId();
    const correlationId = drafts.length > 1 ? gen.correlationId() : undefined;
    const made: string[] = [];
    for (const d of drafts) {
      if (produced >= count) break;
      const ms = at + d.offsetMs;
      const id = gen.id(ms);
      made.push(id);
      const occurredAt = new Date(ms).toISOString();
      const e: ActivityEntry = {
        id,
        orgId,
        occurredAt,
        recordedAt: new Date(ms + 3 + (produced % 17)).toISOString(),
        schemaVersion: SCHEMA_VERSION,
        type: d.type,
        status: d.status,
        actor: d.actor,
        action: d.action,
      };
      if (d.entity) e.entity = d.entity;
      if (d.summary !== undefined) e.summary = d.summary;
      if (d.changes) e.changes = d.changes;
      if (d.metadata) e.metadata = d.metadata;
      if (d.error) e.error = d.error;
      if (d.webhook) e.webhook = d.webhook;
      if (d.progress) e.progress = d.progress;
      if (correlationId) e.correlationId = correlationId;
      if (d.parent !== undefined && made[d.parent] !== undefined) e.parentId = made[d.parent];
      if (d.idempotencyKey) e.idempotencyKey = d.idempotencyKey;
      if (d.context) e.context = d.context;
      if (d.retryable !== undefined) e.retryable = d.retryable;
      if (d.retriggerUrl) e.retriggerUrl = d.retriggerUrl;
      if (d.status !== 'IN_PROGRESS' && d.durationMs !== undefined) {
        e.durationMs = d.durationMs;
        if (d.type === 'BACKGROUND_JOB') e.completedAt = new Date(ms + d.durationMs).toISOString();
      }
      batch.push(e);
      produced++;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Deterministic, realistic activity: the same options (with `now`) always give the same entries,
 * oldest first, linked by correlation id and parent id.
 * @example generateActivity({ count: 200, orgIds: ['org_a', 'org_b'], seed: 42, now: new Date('2026-03-15T12:00:00Z') })
 */
export function generateActivity(options: GenerateActivityOptions): ActivityEntry[] {
  const out: ActivityEntry[] = [];
  for (const batch of generateActivityBatches({ ...options, batchSize: 10_000 })) out.push(...batch);
  return out;
}
