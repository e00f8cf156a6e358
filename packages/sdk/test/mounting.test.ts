/**
 * The handler is fetch-standard, so it mounts unchanged in frameworks built on Request/Response.
 * Hono is exercised for real; a Next.js route handler is the same function exported as GET/POST.
 */
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivityHandler } from '../src/server/handler.js';
import { createMemoryStore, generateActivity } from '../src/testing/index.js';
import type { ActivityStore, Viewer } from '../src/types.js';

const viewer: Viewer = { orgId: 'org_a', userId: 'usr_alice', permissions: ['read'] };
let store: ActivityStore;

beforeAll(async () => {
  store = createMemoryStore();
  await store.append(
    generateActivity({ count: 120, orgIds: ['org_a', 'org_b'], seed: 3, now: new Date(), spanDays: 1 }),
  );
});
afterAll(() => store.close());

const authorize = (request: Request) =>
  request.headers.get('authorization') === 'Bearer ok' ? viewer : null;

describe('mounting the handler', () => {
  it('serves the API from a Hono route under any base path', async () => {
    const handler = createActivityHandler({ store, authorize, basePath: '/admin/audit' });
    const app = new Hono();
    app.all('/admin/audit/*', (c) => handler(c.req.raw));
    const res = await app.request('/admin/audit/entries?type=USER_ACTION&limit=5', {
      headers: { authorization: 'Bearer ok' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entries: Array<{ orgId: string; type: string }> };
    expect(body.entries.length).toBeGreaterThan(0);
    expect(body.entries.every((e) => e.orgId === 'org_a' && e.type === 'USER_ACTION')).toBe(true);
    const denied = await app.request('/admin/audit/entries');
    expect(denied.status).toBe(401);
  });

  it('works as a Next.js route handler (export const GET = handler) with a plain Request', async () => {
    const handler = createActivityHandler({ store, authorize, basePath: '/api/activity' });
    const GET = (request: Request) => handler(request);
    const res = await GET(
      new Request('https://app.example.test/api/activity/facets?status=FAILED&status=WARNING', {
        headers: { authorization: 'Bearer ok' },
      }),
    );
    expect(res.status).toBe(200);
    const facets = (await res.json()) as { statuses: Array<{ value: string }> };
    expect(facets.statuses.length).toBeGreaterThan(0);
    expect(facets.statuses.map((s) => s.value).every((s) => s === 'FAILED' || s === 'WARNING')).toBe(true);
  });
});
