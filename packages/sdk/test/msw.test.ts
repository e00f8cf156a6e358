import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActivityClient } from '../src/client/index.js';
import { isActivityError } from '../src/errors.js';
import { createActivityHandler } from '../src/server/handler.js';
import { generateActivity } from '../src/testing/fixtures.js';
import { createMemoryStore } from '../src/testing/memoryStore.js';
import { activityScenarios, createActivityMswHandlers, MSW_DEFAULT_VIEWER } from '../src/testing/msw.js';
import type { ActivityEntry, Viewer } from '../src/types.js';

const BASE = 'http://mock.test/api/activity';
const NOW = new Date('2026-03-15T12:00:00.000Z');
const viewer: Viewer = { orgId: 'org_a', userId: 'usr_riley', name: 'Riley Park', permissions: ['read'] };
const entries = generateActivity({ count: 600, orgIds: ['org_a', 'org_b'], seed: 11, now: NOW, spanDays: 3 });
const shared = { now: () => NOW, cursorSecret: 'test-secret' };

const server = setupServer(
  ...createActivityMswHandlers({ baseUrl: BASE, entries, viewer, handlerOptions: shared }),
);
let real: (request: Request) => Promise<Response>;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  const store = createMemoryStore();
  await store.append(entries);
  real = createActivityHandler({ store, authorize: () => viewer, ...shared });
});
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Status and parsed body, from the mock (through fetch) and from the real handler (called directly). */
async function both(
  path: string,
): Promise<[{ status: number; body: unknown }, { status: number; body: unknown }]> {
  const read = async (res: Response) => ({ status: res.status, body: await res.json() });
  return [await read(await fetch(`${BASE}${path}`)), await read(await real(new Request(`${BASE}${path}`)))];
}

describe('createActivityMswHandlers', () => {
  it.each([
    '/entries',
    '/entries?range=7d&limit=100',
    '/entries?range=7d&type=BACKGROUND_JOB&status=FAILED&status=WARNING',
    '/entries?range=7d&actor=usr_riley',
    '/entries?range=7d&entityType=contact',
    '/entries?range=7d&q=alex',
    '/facets?range=7d',
    '/facets?range=7d&type=WEBHOOK',
    '/histogram?range=7d',
  ])('answers %s exactly like the real handler', async (path) => {
    const [mock, direct] = await both(path);
    expect(mock.status).toBe(200);
    expect(mock).toEqual(direct);
  });

  it('serves only the viewer org and finds real entries', async () => {
    const [mock] = await both('/entries?range=7d&limit=200');
    const page = mock.body as { entries: ActivityEntry[] };
    expect(page.entries.length).toBeGreaterThan(50);
    expect(new Set(page.entries.map((e) => e.orgId))).toEqual(new Set(['org_a']));
  });

  it('pages through every entry with cursors, without gap or duplicate, like the real handler', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query = `/entries?range=7d&limit=70${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const [mock, direct] = await both(query);
      expect(mock).toEqual(direct);
      const page = mock.body as { entries: ActivityEntry[]; nextCursor: string | null };
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = entries.filter((e) => e.orgId === 'org_a').map((e) => e.id);
    expect(seen.length).toBe(expected.length);
    expect(new Set(seen)).toEqual(new Set(expected));
  });

  it.each([
    ['/entries?type=NOPE', 'type'],
    ['/entries?status=DONE', 'status'],
    ['/entries?from=yesterday', 'from'],
    ['/entries?limit=0', 'limit'],
    ['/entries?cursor=forged.token', 'cursor'],
    ['/histogram?bucket=2w', 'bucket'],
  ])('answers %s with the same 400 naming %s', async (path, field) => {
    const [mock, direct] = await both(path);
    expect(mock.status).toBe(400);
    expect(mock).toEqual(direct);
    expect(mock.body).toMatchObject({ error: { code: 'INVALID_FILTER', field } });
  });

  it('answers one entry by id, and 404 for another org’s entry', async () => {
    const mine = entries.find((e) => e.orgId === 'org_a')!;
    const theirs = entries.find((e) => e.orgId === 'org_b')!;
    const [ok, okReal] = await both(`/entries/${mine.id}`);
    expect(ok).toEqual(okReal);
    expect(ok.body).toMatchObject({ id: mine.id, action: mine.action });
    const [missing, missingReal] = await both(`/entries/${theirs.id}`);
    expect(missing.status).toBe(404);
    expect(missing).toEqual(missingReal);
  });

  it('works behind the real query client, errors included', async () => {
    const client = createActivityClient({ baseUrl: BASE });
    const page = await client.list({ range: '7d', types: ['WEBHOOK'], limit: 20 });
    expect(page.entries.length).toBeGreaterThan(0);
    expect(page.entries.every((e) => e.type === 'WEBHOOK')).toBe(true);
    const error = await client.list({ limit: 5000 }).catch((e: unknown) => e);
    expect(isActivityError(error, 'INVALID_FILTER')).toBe(true);
  });

  it('simulates failures, latency and a refused viewer', async () => {
    server.use(...createActivityMswHandlers({ baseUrl: BASE, entries, failWith: 503 }));
    const failed = await fetch(`${BASE}/entries`);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ error: { code: 'HTTP' } });

    server.use(...createActivityMswHandlers({ baseUrl: BASE, entries, viewer: null }));
    expect((await fetch(`${BASE}/entries`)).status).toBe(401);

    server.use(...createActivityMswHandlers({ baseUrl: BASE, entries, delayMs: 150 }));
    const started = performance.now();
    await fetch(`${BASE}/health`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('runs a retry through the real handler and shows the new run linked by retryOf', async () => {
    const scenario = activityScenarios.failedJob({ baseUrl: BASE });
    server.use(...scenario.handlers);
    const client = createActivityClient({ baseUrl: BASE });
    const focus = scenario.focus!;
    expect((await client.get(focus.id)).retryable).toBe(true);
    const { entryId } = await client.retry(focus.id);
    const run = await client.get(entryId);
    expect(run).toMatchObject({
      retryOf: focus.id,
      action: focus.action,
      actor: { id: MSW_DEFAULT_VIEWER.userId },
    });
    await expect.poll(async () => (await client.get(entryId)).status, { timeout: 5000 }).toBe('SUCCESS');
  });

  it('streams a CSV export in a retry-enabled scenario and records the export as an entry', async () => {
    // Regression: the scenarios' store recorder threw on record(), so Export CSV failed in every story.
    const scenario = activityScenarios.failedJob({ baseUrl: BASE });
    server.use(...scenario.handlers);
    const client = createActivityClient({ baseUrl: BASE });
    const result = await client.exportCsv({ range: 'all' });
    expect(result.kind).toBe('file');
    if (result.kind !== 'file') return;
    const csv = await result.response.text();
    expect(csv.split('\r\n').filter((l) => l !== '').length).toBeGreaterThan(1);
    await expect
      .poll(async () => (await client.list({ range: 'all', q: 'activity.exported' })).entries.length)
      .toBeGreaterThan(0);
  });

  it('ships scenarios whose focus entry is served by the API', async () => {
    for (const name of ['inProgressJob', 'webhook', 'largeDiff'] as const) {
      const scenario = activityScenarios[name]({ baseUrl: BASE });
      server.use(...scenario.handlers);
      const got = await createActivityClient({ baseUrl: BASE }).get(scenario.focus!.id);
      expect(got.id).toBe(scenario.focus!.id);
    }
    server.use(...activityScenarios.empty({ baseUrl: BASE }).handlers);
    expect((await createActivityClient({ baseUrl: BASE }).list()).entries).toEqual([]);
  });
});
