import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogLabels } from '../src/core/catalog.js';
import { createActivityHandler } from '../src/server/handler.js';
import { toExpressMiddleware } from '../src/server/node.js';
import type { ActivityEntrySummary } from '../src/summary.js';
import { decodeSummaryPage, type SummaryPage } from '../src/summaryPage.js';
import { matchesFilter } from '../src/testing/index.js';
import type { ActivityEntry, ActivityFilter, Facets } from '../src/types.js';
import { freshEntry, type Harness, startApi } from './apiHarness.js';

let api: Harness;

beforeAll(async () => {
  api = await startApi({
    perOrg: 400,
    catalog: catalogLabels({
      entities: { contact: { label: 'Contact', actions: { updated: { label: 'Updated' } } } },
      jobs: {
        SYNC_SQUARE_STOCK: { label: 'Sync Square stock' },
        NIGHTLY_REPORT: { label: 'Nightly report', retryable: true },
      },
    }),
    retry: { jobs: { SYNC_SQUARE_STOCK: async () => undefined } },
    exports: { secret: 'server-test-secret-0123456789', asyncThreshold: 100_000 },
  });
});
afterAll(async () => {
  await api.close();
});

/** Pages through /entries with the client and returns every entry. */
async function listAll(filter: ActivityFilter, limit = 200): Promise<ActivityEntrySummary[]> {
  const client = api.client('a-admin');
  const out: ActivityEntrySummary[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await client.list({ ...filter, cursor, limit });
    out.push(...page.entries);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

/** What the filter should select in org_a, computed from the seed, newest first. */
function expected(filter: ActivityFilter): string[] {
  return api.seeded
    .org_a!.filter((e) => matchesFilter(e, filter))
    .sort((a, b) =>
      a.occurredAt === b.occurredAt ? (a.id < b.id ? 1 : -1) : a.occurredAt < b.occurredAt ? 1 : -1,
    )
    .map((e) => e.id);
}

const week = () => ({ from: new Date(Date.now() - 7 * 86_400_000).toISOString() });

describe('GET /entries', () => {
  it('defaults to the last 24 hours, 50 entries, newest first, of the viewer org only', async () => {
    const response = await api.fetch('/entries', { token: 'a-admin' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const body = (await response.json()) as { entries: ActivityEntry[]; nextCursor: string | null };
    expect(body.entries).toHaveLength(50);
    expect(typeof body.nextCursor).toBe('string');
    const dayAgo = Date.now() - 86_400_000 - 60_000;
    for (const e of body.entries) {
      expect(e.orgId).toBe('org_a');
      expect(Date.parse(e.occurredAt)).toBeGreaterThan(dayAgo);
    }
    const times = body.entries.map((e) => e.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
    // The compact form (what the client asks for) carries the same page: the org once, times in ms.
    const compact = (await (
      await api.fetch('/entries?fields=compact', { token: 'a-admin' })
    ).json()) as SummaryPage;
    expect(compact.orgId).toBe('org_a');
    expect(compact.entries.map((e) => e.occurredAt)).toEqual(times.map((t) => Date.parse(t)));
    expect(decodeSummaryPage(compact).entries).toEqual(body.entries);
    // The seed spans two days: the default range must have cut the older half away.
    const all = await listAll({});
    expect(all.length).toBeLessThan(api.seeded.org_a!.length);
    expect(all.length).toBeGreaterThan(50);
  });

  const axes: [string, ActivityFilter][] = [
    ['types', { types: ['BACKGROUND_JOB'] }],
    ['types (multi)', { types: ['WEBHOOK', 'SYSTEM_EVENT'] }],
    ['statuses', { statuses: ['FAILED', 'WARNING'] }],
    ['actorIds', { actorIds: ['usr_riley', 'usr_casey'] }],
    ['entityTypes', { entityTypes: ['contact'] }],
    ['q', { q: 'stripe' }],
    ['types + statuses', { types: ['BACKGROUND_JOB'], statuses: ['FAILED'] }],
    ['actor + entity type', { actorIds: ['usr_riley'], entityTypes: ['contact', 'release'] }],
    [
      'type + status + entity + q',
      { types: ['USER_ACTION'], statuses: ['SUCCESS'], entityTypes: ['contact'], q: 'a' },
    ],
  ];
  it.each(axes)('filters by %s exactly like the model says', async (_name, filter) => {
    const f = { ...filter, ...week() };
    const got = (await listAll(f)).map((e) => e.id);
    const want = expected(f);
    expect(want.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
  });

  it('filters by entity id and correlation id', async () => {
    const withEntity = api.seeded.org_a!.find((e) => e.entity)!;
    const f1 = { entityId: withEntity.entity!.id, ...week() };
    expect((await listAll(f1)).map((e) => e.id)).toEqual(expected(f1));
    const withCorrelation = api.seeded.org_a!.find((e) => e.correlationId);
    if (withCorrelation) {
      const f2 = { correlationId: withCorrelation.correlationId!, ...week() };
      const got = await listAll(f2);
      expect(got.map((e) => e.id)).toEqual(expected(f2));
      // Summaries leave the correlation id to the full entry.
      const full = await api.client('a-admin').list({ ...f2, limit: 200, fields: 'full' });
      expect(full.entries.map((e) => e.id)).toEqual(got.map((e) => e.id));
      expect(full.entries.every((e) => e.correlationId === withCorrelation.correlationId)).toBe(true);
    }
  });

  it('honours from/to bounds and range presets', async () => {
    const to = new Date(Date.now() - 30 * 3_600_000).toISOString();
    const from = new Date(Date.now() - 40 * 3_600_000).toISOString();
    const got = await listAll({ from, to });
    expect(got.map((e) => e.id)).toEqual(expected({ from, to }));
    expect(got.length).toBeGreaterThan(0);
    const hour = await listAll({ range: '1h' });
    const day = await listAll({ range: '24h' });
    expect(hour.length).toBeLessThan(day.length);
    expect(hour.every((e) => Date.parse(e.occurredAt) >= Date.now() - 3_660_000)).toBe(true);
    const everything = await listAll({ range: 'all' });
    expect(everything).toHaveLength(api.seeded.org_a!.length);
  });

  it('pages with the cursor without gap or duplicate while entries keep arriving', async () => {
    const filter = week();
    const before = expected(filter);
    const client = api.client('a-admin');
    const seen: string[] = [];
    let cursor: string | undefined;
    let n = 0;
    do {
      const page = await client.list({ ...filter, cursor, limit: 37 });
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
      // New entries land at the head of the log between page requests.
      await api.store.append([freshEntry('org_a', n++), freshEntry('org_a', n++)]);
    } while (cursor);
    const fresh = seen.filter((id) => !before.includes(id));
    expect(seen.slice(seen.length - before.length)).toEqual(before);
    expect(new Set(seen).size).toBe(seen.length);
    // At most the entries appended before the first page was read come first.
    expect(fresh.length).toBeLessThanOrEqual(2);
  });

  it('caps limit at 200 and names bad parameters in 400s', async () => {
    const cases: [string, string][] = [
      ['type=NOPE', 'type'],
      ['status=DONE', 'status'],
      ['range=2d', 'range'],
      ['from=yesterday', 'from'],
      ['to=2024-13-45', 'to'],
      ['from=2025-02-01&to=2025-01-01', 'from'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      [`q=${'x'.repeat(300)}`, 'q'],
    ];
    for (const [query, field] of cases) {
      const response = await api.fetch(`/entries?${query}`, { token: 'a-admin' });
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { error: { code: string; field: string; message: string } };
      expect(body.error.code, query).toBe('INVALID_FILTER');
      expect(body.error.field, query).toBe(field);
      expect(body.error.message, query).toContain(field);
    }
    const max = (await (await api.fetch('/entries?limit=200&range=all', { token: 'a-admin' })).json()) as {
      entries: unknown[];
    };
    expect(max.entries).toHaveLength(200);
  });
});

describe('GET /entries/:id', () => {
  it('returns the entry, and 404 for an unknown id', async () => {
    const entry = api.seeded.org_a![3]!;
    const response = await api.fetch(`/entries/${entry.id}`, { token: 'a-reader' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as ActivityEntry;
    expect(body.id).toBe(entry.id);
    expect(body.action).toBe(entry.action);
    expect(body.retryable).toBe(entry.type === 'BACKGROUND_JOB' && entry.action === 'SYNC_SQUARE_STOCK');
    const missing = await api.fetch('/entries/does-not-exist', { token: 'a-reader' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});

describe('GET /facets and /histogram', () => {
  it('facets agree with the list', async () => {
    for (const filter of [
      week(),
      { ...week(), types: ['BACKGROUND_JOB'] },
      { statuses: ['FAILED', 'WARNING'] },
    ] as ActivityFilter[]) {
      const facets = await api.client('a-reader').facets(filter);
      const list = await listAll(filter);
      expect(facets.total).toBe(list.length);
      const count = (key: (e: ActivityEntrySummary) => string | undefined) => {
        const m = new Map<string, number>();
        for (const e of list) {
          const k = key(e);
          if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
        }
        return m;
      };
      const asMap = (f: Facets[keyof Omit<Facets, 'total'>]) => new Map(f.map((c) => [c.value, c.count]));
      expect(asMap(facets.types)).toEqual(count((e) => e.type));
      expect(asMap(facets.statuses)).toEqual(count((e) => e.status));
      expect(asMap(facets.actors)).toEqual(count((e) => e.actor.id));
      expect(asMap(facets.entityTypes)).toEqual(count((e) => e.entity?.type));
    }
  });

  it('picks the histogram bucket from the range, or takes `bucket`', async () => {
    const client = api.client('a-reader');
    const day = await client.histogram({ range: '24h' });
    expect(day.bucket).toBe('15m');
    const total = (await client.facets({ range: '24h' })).total;
    expect(day.buckets.reduce((n, b) => n + b.count, 0)).toBe(total);
    const week7 = await client.histogram({ range: '7d' });
    expect(week7.bucket).toBe('3h');
    const hourly = await client.histogram({ range: '24h', statuses: ['FAILED'] }, '1h');
    expect(hourly.bucket).toBe('1h');
    expect(hourly.bucketMs).toBe(3_600_000);
    for (const b of hourly.buckets) expect(b.failures).toBe(b.count);
    const bad = await api.fetch('/histogram?bucket=2m', { token: 'a-reader' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('bucket');
    const tooMany = await api.fetch('/histogram?range=1y&bucket=1m', { token: 'a-reader' });
    expect(((await tooMany.json()) as { error: { field: string } }).error.field).toBe('bucket');
  });
});

describe('auth, routing and headers', () => {
  it('answers 401 without a viewer and 403 without the permission', async () => {
    const anonymous = await api.fetch('/entries');
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const forbidden = await api.fetch('/export.csv', { token: 'a-reader' });
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const notRetry = await api.fetch(`/entries/${api.seeded.org_a![0]!.id}/retry`, {
      method: 'POST',
      token: 'a-reader',
    });
    expect(notRetry.status).toBe(403);
  });

  it('serves health publicly, the catalog to viewers, 404 and 405 otherwise', async () => {
    const health = await api.fetch('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const catalog = await api.client('a-reader').catalog();
    expect(catalog.actions['contact.updated']).toBe('Contact updated');
    expect(catalog.types.map((t) => t.value)).toEqual([
      'USER_ACTION',
      'BACKGROUND_JOB',
      'WEBHOOK',
      'SYSTEM_EVENT',
    ]);
    // Retry buttons follow the handlers this server has, not what the catalog claims.
    expect(Object.fromEntries(catalog.jobs.map((j) => [j.value, j.retryable]))).toEqual({
      SYNC_SQUARE_STOCK: true,
      NIGHTLY_REPORT: false,
    });
    expect((await api.fetch('/catalog')).status).toBe(401);
    expect((await api.fetch('/nope', { token: 'a-reader' })).status).toBe(404);
    const wrongMethod = await api.fetch('/entries', { method: 'POST', token: 'a-reader' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    const outside = await fetch(api.baseUrl.replace('/api/activity', '/elsewhere/entries'), {
      headers: { authorization: 'Bearer a-reader' },
    });
    expect(outside.status).toBe(404);
  });

  it('refuses cross-site POSTs', async () => {
    const response = await api.fetch(`/entries/${api.seeded.org_a![0]!.id}/retry`, {
      method: 'POST',
      token: 'a-admin',
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(response.status).toBe(403);
  });

  it('mounts under any prefix without basePath (fetch-standard, as in Next.js or Hono)', async () => {
    const handler = createActivityHandler({
      store: api.store,
      authorize: () => ({ orgId: 'org_a', userId: 'u', permissions: ['read'] }),
    });
    for (const prefix of ['', '/api/activity', '/deep/nested/mount']) {
      const response = await handler(new Request(`http://host.test${prefix}/entries?limit=3`));
      expect(response.status, prefix).toBe(200);
      const body = (await response.json()) as { entries: ActivityEntry[] };
      expect(body.entries).toHaveLength(3);
    }
    const one = api.seeded.org_a![0]!;
    const byId = await handler(new Request(`http://host.test/x/entries/${one.id}`));
    expect(((await byId.json()) as ActivityEntry).id).toBe(one.id);
  });

  it('works as Express-style middleware mounted under req.baseUrl, passing other paths to next()', async () => {
    const middleware = toExpressMiddleware(
      createActivityHandler({
        store: api.store,
        authorize: () => ({ orgId: 'org_a', userId: 'u', permissions: ['read'] }),
      }),
    );
    const passed: string[] = [];
    // A stand-in for express's router: strips the mount path into baseUrl as express does.
    const server = createServer((req, res) => {
      const mount = '/admin/activity';
      const originalUrl = req.url ?? '/';
      if (!originalUrl.startsWith(mount)) {
        res.writeHead(418).end();
        return;
      }
      Object.assign(req, { originalUrl, baseUrl: mount, url: originalUrl.slice(mount.length) || '/' });
      void middleware(req, res, () => {
        passed.push(originalUrl);
        res.writeHead(299).end('next');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const list = await fetch(`http://127.0.0.1:${port}/admin/activity/entries?limit=2`);
      expect(list.status).toBe(200);
      expect(((await list.json()) as { entries: unknown[] }).entries).toHaveLength(2);
      const other = await fetch(`http://127.0.0.1:${port}/admin/activity/settings`);
      expect(other.status).toBe(299);
      expect(passed).toEqual(['/admin/activity/settings']);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('export routes', () => {
  it('streams CSV for a viewer with export permission', async () => {
    const response = await api.fetch('/export.csv?type=BACKGROUND_JOB', {
      token: 'a-admin',
      headers: { 'x-activity-request': '1' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="activity-[\w.-]+\.csv"$/,
    );
    const text = await response.text();
    const jobs = api.seeded.org_a!.filter(
      (e) =>
        e.type === 'BACKGROUND_JOB' &&
        matchesFilter(e, { from: new Date(Date.now() - 86_400_000).toISOString() }),
    );
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(text).toContain(job.id);
  });

  it('answers 404 on export routes when exports are not configured', async () => {
    const handler = createActivityHandler({
      store: api.store,
      authorize: () => ({ orgId: 'org_a', userId: 'u', permissions: ['read', 'export'] }),
    });
    const response = await handler(new Request('http://h/export.csv'));
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/not enabled/);
  });
});
