import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFilter as clientParseFilter } from '../src/client.js';
import { createActivity } from '../src/core/index.js';
import { MAX_INSTANT, MIN_INSTANT } from '../src/core/isoDate.js';
import { validateEntry } from '../src/core/validate.js';
import { ActivityError } from '../src/errors.js';
import { parseFilter, resolveFilter } from '../src/filters.js';
import { createPostgresStore } from '../src/postgres.js';
import { createActivityHandler } from '../src/server/handler.js';
import { createMemoryStore } from '../src/testing/memoryStore.js';
import type { ActivityEntry, ActivityStore, Viewer } from '../src/types.js';

const NOW = Date.parse('2026-03-15T12:00:00.000Z');
let seq = 0;

function entry(occurredAt: string, extra: Partial<ActivityEntry> = {}): ActivityEntry {
  seq++;
  return {
    id: `evt_${String(seq).padStart(4, '0')}`,
    orgId: 'org_a',
    occurredAt,
    recordedAt: occurredAt,
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_1', name: 'Riley' },
    action: 'contact.updated',
    ...extra,
  };
}

function failure(fn: () => unknown): ActivityError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ActivityError) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

const IMPOSSIBLE_OR_OUT_OF_RANGE = [
  '0000-01-01T00:00:00Z',
  '0000-06-15T12:00:00.000Z',
  '9999-12-31T23:00:00-05:00',
  '2025-02-30T00:00:00Z',
  '2024-04-31T10:00:00Z',
  '2023-02-29T00:00:00.000Z',
  '2024-01-01T24:00:00Z',
  '+010000-01-01T00:00:00.000Z',
];

describe('fault 4 — one range and one calendar at validation', () => {
  it.each(['occurredAt', 'recordedAt', 'completedAt'])(
    'fault 4: refuses impossible and out-of-range %s as INVALID_EVENT naming the field',
    (field) => {
      for (const value of IMPOSSIBLE_OR_OUT_OF_RANGE) {
        const error = failure(() => validateEntry(entry('2026-03-15T11:00:00.000Z', { [field]: value })));
        expect(error.code, value).toBe('INVALID_EVENT');
        expect(error.field, value).toBe(field);
        expect(error.message).toContain(field);
      }
    },
  );

  it('accepts both ends of the range and normalises offsets into it', () => {
    expect(validateEntry(entry(MIN_INSTANT)).entry.occurredAt).toBe(MIN_INSTANT);
    expect(validateEntry(entry(MAX_INSTANT)).entry.occurredAt).toBe(MAX_INSTANT);
    expect(validateEntry(entry('9999-12-31T18:59:59.999-05:00')).entry.occurredAt).toBe(MAX_INSTANT);
    expect(validateEntry(entry('0001-01-01T01:00:00+01:00')).entry.occurredAt).toBe(MIN_INSTANT);
    expect(validateEntry(entry('1969-07-20T20:17:40Z')).entry.occurredAt).toBe('1969-07-20T20:17:40.000Z');
  });

  it('fault 4: refuses Date objects outside the range through record() and recordDurable()', async () => {
    const store = createMemoryStore();
    const errors: ActivityError[] = [];
    const activity = createActivity({ store, defaultOrgId: 'org_a', onError: (e) => errors.push(e) });
    const yearZero = new Date(0);
    yearZero.setUTCFullYear(0, 0, 1);
    const year10000 = new Date(Date.UTC(9999, 11, 31, 23) + 5 * 3_600_000);
    for (const occurredAt of [yearZero, year10000]) {
      await expect(
        activity.recordDurable({ type: 'USER_ACTION', action: 'x.y', occurredAt }),
      ).rejects.toMatchObject({ code: 'INVALID_EVENT', field: 'occurredAt' });
      activity.record({ type: 'USER_ACTION', action: 'x.y', occurredAt });
    }
    const ok = await activity.recordDurable({ type: 'USER_ACTION', action: 'x.y', occurredAt: new Date(-1) });
    expect(ok.occurredAt).toBe('1969-12-31T23:59:59.999Z');
    await activity.shutdown();
    expect(errors.filter((e) => e.code === 'INVALID_EVENT' && e.field === 'occurredAt').length).toBe(2);
    expect((await store.facets({ orgId: 'org_a' })).total).toBe(1);
  });
});

describe('fault 4 — PostgreSQL no longer pays for dates it cannot hold', () => {
  const url = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `dates_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: url, max: 1 });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('fault 4: year 0000 is INVALID_EVENT at once (no STORE_FAILED after retries) and from=0000 is a 400, not a 500', async () => {
    const store = createPostgresStore({ connectionString: url, schema });
    const activity = createActivity({ store, defaultOrgId: 'org_a', flushIntervalMs: 5 });
    const started = Date.now();
    await expect(
      activity.recordDurable({ type: 'USER_ACTION', action: 'x.y', occurredAt: '0000-01-01T00:00:00Z' }),
    ).rejects.toMatchObject({ code: 'INVALID_EVENT', field: 'occurredAt' });
    await expect(
      activity.recordDurable({ type: 'USER_ACTION', action: 'x.y', occurredAt: '9999-12-31T23:00:00-05:00' }),
    ).rejects.toMatchObject({ code: 'INVALID_EVENT', field: 'occurredAt' });
    expect(Date.now() - started).toBeLessThan(2000);
    const first = await activity.recordDurable({
      type: 'USER_ACTION',
      action: 'x.y',
      occurredAt: MIN_INSTANT,
    });
    const last = await activity.recordDurable({
      type: 'USER_ACTION',
      action: 'x.y',
      occurredAt: MAX_INSTANT,
    });
    expect(activity.stats().dropped.store_failed ?? 0).toBe(0);
    await activity.shutdown();

    const handler = createActivityHandler({ store, authorize: () => VIEWER, now: () => new Date(NOW) });
    const bad = await handler(new Request('http://x/entries?from=0000-01-01T00:00:00Z'));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_FILTER', field: 'from' } });
    await expect(store.query({ orgId: 'org_a', from: '0000-01-01T00:00:00Z' })).rejects.toMatchObject({
      code: 'INVALID_FILTER',
      field: 'from',
    });
    const all = await handler(new Request('http://x/entries?range=all'));
    const body = (await all.json()) as { entries: ActivityEntry[] };
    expect(body.entries.map((e) => e.id)).toEqual([last.id, first.id]);
    await handler.close();
    await store.close();
  });
});

const VIEWER: Viewer = { orgId: 'org_a', userId: 'usr_1', permissions: ['read', 'export'] };

describe('fault 7 — filter dates are parsed strictly', () => {
  const bad: [string, string][] = [
    ['from', '2024-02-30'],
    ['to', '2024-04-31T10:00:00Z'],
    ['from', '2024-01-01 junk'],
    ['to', '2024-01-01T10:00:00'],
    ['from', '0000-01-01T00:00:00Z'],
    ['to', '9999-12-31T23:00:00-05:00'],
    ['from', 'yesterday'],
  ];

  it('fault 7: parseFilter refuses what is not a real ISO 8601 date or instant, naming the field', () => {
    for (const parse of [parseFilter, clientParseFilter]) {
      for (const [field, value] of bad) {
        const error = failure(() => parse(new URLSearchParams({ [field]: value })));
        expect(error.code, value).toBe('INVALID_FILTER');
        expect(error.field, value).toBe(field);
      }
      expect(parse('from=2024-02-29&to=2024-03-01T10:00:00%2B02:00')).toEqual({
        from: '2024-02-29T00:00:00.000Z',
        to: '2024-03-01T08:00:00.000Z',
      });
    }
  });

  it('fault 7: every route answers 400 INVALID_FILTER with the field', async () => {
    const store = createMemoryStore();
    const activity = createActivity({ store, defaultOrgId: 'org_a' });
    const dir = await mkdtemp(join(tmpdir(), 'dates-'));
    const handler = createActivityHandler({
      store,
      activity,
      authorize: () => VIEWER,
      exports: { secret: 'x'.repeat(32), dir },
    });
    try {
      for (const path of ['entries', 'facets', 'histogram', 'export.csv']) {
        for (const [field, value] of bad) {
          const response = await handler(
            new Request(`http://x/${path}?${new URLSearchParams({ [field]: value })}`, {
              headers: { 'x-activity-request': '1' },
            }),
          );
          expect(response.status, `${path} ${field}=${value}`).toBe(400);
          expect(await response.json()).toMatchObject({ error: { code: 'INVALID_FILTER', field } });
        }
      }
    } finally {
      await handler.close();
      await activity.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('fault 4 — one meaning of a range for list, facets, histogram and export', () => {
  let store: ActivityStore;
  let activity: ReturnType<typeof createActivity>;
  let handler: ReturnType<typeof createActivityHandler>;
  let dir: string;
  const at = (ms: number) => new Date(ms).toISOString();
  const data = [
    entry(at(NOW + 60_000), { summary: 'dated a minute after now' }),
    entry(at(NOW)),
    entry(at(NOW - 3_600_000)),
    entry(at(NOW - 1000 * 86_400_000), { summary: 'older than 730 days' }),
    entry('1969-07-20T20:17:40.000Z'),
    entry(MIN_INSTANT),
  ];

  beforeEach(async () => {
    store = createMemoryStore();
    await store.append(data);
    activity = createActivity({ store, defaultOrgId: 'org_a' });
    dir = await mkdtemp(join(tmpdir(), 'dates-'));
    handler = createActivityHandler({
      store,
      activity,
      authorize: () => VIEWER,
      now: () => new Date(NOW),
      exports: { secret: 'x'.repeat(32), dir },
    });
  });

  afterEach(async () => {
    await handler.close();
    await activity.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  async function routes(query: string) {
    const get = async (path: string) => {
      const response = await handler(
        new Request(`http://x/${path}?${query}`, { headers: { 'x-activity-request': '1' } }),
      );
      expect(response.status, `${path}?${query}`).toBe(200);
      return response;
    };
    const page = (await (await get('entries')).json()) as { entries: ActivityEntry[] };
    const list = page.entries.map((e) => e.id);
    const facets = ((await (await get('facets')).json()) as { total: number }).total;
    const histogram = (await (await get('histogram')).json()) as {
      from: string;
      to: string;
      bucketMs: number;
      buckets: { start: string; count: number }[];
    };
    const csv = await (await get('export.csv')).text();
    const exported = csv.trim().split('\n').length - 1;
    return { list, facets, histogram, exported };
  }

  it('fault 4: a relative range is [now - d, now] everywhere: nothing dated after now, no bucket past `to`', async () => {
    expect(resolveFilter({ range: '24h' }, new Date(NOW))).toEqual({
      from: at(NOW - 86_400_000),
      to: at(NOW + 1),
    });
    const { list, facets, histogram, exported } = await routes('range=24h');
    expect(list).toEqual([data[1]?.id, data[2]?.id]);
    expect(facets).toBe(2);
    expect(exported).toBe(2);
    expect(histogram.buckets.reduce((n, b) => n + b.count, 0)).toBe(2);
    expect(Date.parse(histogram.to)).toBe(NOW + 1);
    for (const b of histogram.buckets) expect(Date.parse(b.start)).toBeLessThan(Date.parse(histogram.to));
  });

  it('fault 4: range=all has no bounds on any route; the histogram spans the data, older than 730 days too', async () => {
    const { list, facets, histogram, exported } = await routes('range=all');
    expect(list.length).toBe(data.length);
    expect(facets).toBe(data.length);
    expect(exported).toBe(data.length);
    expect(histogram.buckets.reduce((n, b) => n + b.count, 0)).toBe(data.length);
    expect(Date.parse(histogram.from)).toBe(Date.parse(MIN_INSTANT));
    expect(Date.parse(histogram.to)).toBeGreaterThan(NOW + 60_000);
    for (const b of histogram.buckets) {
      expect(Date.parse(b.start) + histogram.bucketMs).toBeGreaterThan(Date.parse(histogram.from));
      expect(Date.parse(b.start)).toBeLessThan(Date.parse(histogram.to));
    }
  });

  it('counts everything after a lone `from` on every route', async () => {
    const { list, facets, histogram, exported } = await routes(`from=${at(NOW - 7_200_000)}`);
    expect(list.length).toBe(3);
    expect(facets).toBe(3);
    expect(exported).toBe(3);
    expect(histogram.buckets.reduce((n, b) => n + b.count, 0)).toBe(3);
  });
});
