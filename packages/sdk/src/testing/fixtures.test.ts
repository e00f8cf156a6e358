import { UUID } from 'uuidv7';
import { describe, expect, it } from 'vitest';
import { catalogLabels } from '../core/catalog.js';
import { wineClubCatalog } from '../core/presets/wineClub.js';
import { ACTIVITY_STATUSES, ACTIVITY_TYPES } from '../types.js';
import { FIXTURE_USERS, generateActivity, generateActivityBatches } from './fixtures.js';

const now = new Date('2026-03-15T12:00:00.000Z');
const DAY = 86_400_000;

describe('generateActivity', () => {
  const data = generateActivity({
    count: 3000,
    orgIds: ['org_a', 'org_b', 'org_c'],
    seed: 42,
    now,
    spanDays: 30,
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = generateActivity({
      count: 3000,
      orgIds: ['org_a', 'org_b', 'org_c'],
      seed: 42,
      now,
      spanDays: 30,
    });
    expect(again).toEqual(data);
    const other = generateActivity({
      count: 3000,
      orgIds: ['org_a', 'org_b', 'org_c'],
      seed: 43,
      now,
      spanDays: 30,
    });
    expect(other.map((e) => e.id)).not.toEqual(data.map((e) => e.id));
  });

  it('returns exactly count entries with unique UUIDv7 ids whose time is occurredAt', () => {
    expect(data.length).toBe(3000);
    expect(new Set(data.map((e) => e.id)).size).toBe(3000);
    for (const e of data) {
      const uuid = UUID.parse(e.id);
      expect(uuid.getVersion()).toBe(7);
      const ms = Number.parseInt(uuid.toHex().slice(0, 12), 16);
      expect(new Date(ms).toISOString()).toBe(e.occurredAt);
    }
  });

  it('stays within the span, before now, recordedAt after occurredAt', () => {
    for (const e of data) {
      const t = Date.parse(e.occurredAt);
      expect(t).toBeGreaterThanOrEqual(now.getTime() - 30 * DAY);
      expect(t).toBeLessThan(now.getTime());
      expect(Date.parse(e.recordedAt)).toBeGreaterThan(t);
    }
  });

  it('covers every type, status and org, and the spec’s actions', () => {
    expect(new Set(data.map((e) => e.type))).toEqual(new Set(ACTIVITY_TYPES));
    expect(new Set(data.map((e) => e.status))).toEqual(new Set(ACTIVITY_STATUSES));
    expect(new Set(data.map((e) => e.orgId))).toEqual(new Set(['org_a', 'org_b', 'org_c']));
    const actions = new Set(data.map((e) => e.action));
    for (const a of [
      'contact.updated',
      'contact.tags_added',
      'contact.tags_removed',
      'contact.status_changed',
      'contact.merged',
      'release.promoted',
      'release.cancelled',
      'PROCESS_RELEASE_PAYMENTS',
      'SYNC_SQUARE_STOCK',
      'payment_intent.succeeded',
      'payment_intent.payment_failed',
      'fedex.tracking_updated',
      'settings.updated',
      'schema.migrated',
      'cache.cleared',
    ]) {
      expect(actions, a).toContain(a);
    }
    expect(data.some((e) => e.entity?.label === 'Spring 2026 Reds')).toBe(true);
    expect(data.some((e) => e.entity?.label === 'Alex Chen' && e.changes?.length)).toBe(true);
    expect(data.some((e) => e.changes?.some((c) => c.after === 'VIP'))).toBe(true);
  });

  it('emits only actions, entity types and webhook events the wine-club catalog labels', () => {
    const labels = catalogLabels(wineClubCatalog);
    const entityTypes = new Set(labels.entityTypes.map((t) => t.value));
    const events = new Map(labels.providers.map((p) => [p.value, new Set(p.events)]));
    const unlabelled = new Set<string>();
    for (const e of generateActivity({ count: 5000, seed: 7, now })) {
      // A webhook's action is shown by its provider and event type, which the catalog lists per provider.
      if (e.type === 'WEBHOOK') {
        const provider = e.webhook?.provider ?? '';
        if (!events.get(provider)?.has(e.webhook?.eventType ?? ''))
          unlabelled.add(`webhook ${provider}/${e.webhook?.eventType}`);
      } else if (labels.actions[e.action] === undefined) unlabelled.add(`action ${e.action}`);
      if (e.entity && !entityTypes.has(e.entity.type)) unlabelled.add(`entity ${e.entity.type}`);
    }
    expect([...unlabelled].sort()).toEqual([]);
  });

  it('captures failed stock syncs with a stack trace, retryable', () => {
    const failed = data.filter((e) => e.action === 'SYNC_SQUARE_STOCK' && e.status === 'FAILED');
    expect(failed.length).toBeGreaterThan(0);
    for (const e of failed) {
      expect(e.error?.message).toBeTruthy();
      expect(e.error?.stack).toMatch(/^SquareApiError: .+\n {4}at /);
      expect(e.retryable).toBe(true);
    }
  });

  it('shows webhook secrets as already redacted and keeps bodies', () => {
    const hooks = data.filter((e) => e.type === 'WEBHOOK');
    expect(hooks.length).toBeGreaterThan(0);
    for (const e of hooks) {
      const headers = e.webhook?.request?.headers ?? {};
      for (const [k, v] of Object.entries(headers)) {
        if (/signature|authorization/i.test(k)) expect(v).toBe('[REDACTED]');
      }
      expect(e.webhook?.request?.body).toBeDefined();
      expect(e.idempotencyKey).toBe(`${e.webhook?.provider}:${e.webhook?.eventId}`);
    }
    const failed = hooks.filter((e) => e.action === 'payment_intent.payment_failed');
    expect(failed.every((e) => e.status === 'WARNING')).toBe(true);
  });

  it('links webhook → job → entries by correlation id and parent id within one org', () => {
    const byId = new Map(data.map((e) => [e.id, e]));
    const children = data.filter((e) => e.parentId);
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) {
      const parent = byId.get(child.parentId ?? '');
      expect(parent).toBeDefined();
      expect(parent?.orgId).toBe(child.orgId);
      expect(parent?.correlationId).toBe(child.correlationId);
      expect(Date.parse(parent?.occurredAt ?? '')).toBeLessThanOrEqual(Date.parse(child.occurredAt));
    }
    const chain = data.find((e) => e.action === 'product.stock_adjusted' && e.parentId);
    const job = byId.get(chain?.parentId ?? '');
    expect(job?.action).toBe('SYNC_SQUARE_STOCK');
  });

  it('has unique idempotency keys per org', () => {
    const keys = data.filter((e) => e.idempotencyKey).map((e) => `${e.orgId}|${e.idempotencyKey}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keeps jobs in progress only among the newest entries and the new hire in the last two days', () => {
    // 30 days / 3000 entries: the newest ten slots reach back 10 × 14.4 minutes.
    const newest = Math.max(30 * 60_000, (10 * 30 * DAY) / 3000);
    for (const e of data) {
      const age = now.getTime() - Date.parse(e.occurredAt);
      if (e.status === 'IN_PROGRESS') {
        expect(e.type).toBe('BACKGROUND_JOB');
        expect(age).toBeLessThan(newest);
        expect(e.completedAt).toBeUndefined();
      }
      if (e.actor.id === FIXTURE_USERS[4]?.id) expect(age).toBeLessThan(2 * DAY);
    }
  });

  it('uses the given team members', () => {
    const users = [
      { id: 'u1', name: 'Ada Lovelace' },
      { id: 'u2', name: 'Alan Turing' },
    ];
    const custom = generateActivity({ count: 300, seed: 1, now, users });
    const actors = new Set(custom.filter((e) => e.actor.kind === 'user').map((e) => e.actor.name));
    expect([...actors].sort()).toEqual(['Ada Lovelace', 'Alan Turing']);
    expect(new Set(custom.map((e) => e.orgId))).toEqual(new Set(['org_demo']));
  });
});

describe('generateActivityBatches', () => {
  it('streams the same entries in batches of batchSize', () => {
    const options = { count: 1234, orgIds: ['org_a', 'org_b'], seed: 9, now };
    const batches = [...generateActivityBatches({ ...options, batchSize: 500 })];
    expect(batches.map((b) => b.length)).toEqual([500, 500, 234]);
    expect(batches.flat()).toEqual(generateActivity(options));
  });

  it('generates 100k entries quickly', () => {
    const start = performance.now();
    let n = 0;
    for (const batch of generateActivityBatches({ count: 100_000, seed: 1, now, batchSize: 10_000 }))
      n += batch.length;
    expect(n).toBe(100_000);
    // Benchmarks stream a million rows; generation must stay far below the store's own cost.
    expect(performance.now() - start).toBeLessThan(10_000);
  });
});
