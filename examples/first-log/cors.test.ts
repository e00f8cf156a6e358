/**
 * The dev story without a proxy, in a real browser: a page on one origin (a dev server's) calls the
 * handler on another port of 127.0.0.1 through the query client. Chromium sends the preflight and the
 * Origin header itself; the handler's `cors` option answers for that origin and for no other.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createActivity, defineCatalog } from '@activity/sdk';
import { createActivityHandler, toNodeHandler } from '@activity/sdk/server';
import { createMemoryStore } from '@activity/sdk/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../packages/react/test/browser/harness.js';

const listen = async (server: Server) => {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port.toString()}`;
};
/** A blank page on its own origin, from which the test runs fetches. */
const pageServer = () => createServer((_req, res) => res.end('<!doctype html><title>page</title>'));

let browser: (Browser & { cleanup(): Promise<void> }) | undefined;
const servers: Server[] = [];
let api = '';
let allowedPage = '';
let foreignPage = '';
const answered: Array<{ method: string; origin: string | null; status: number }> = [];

beforeAll(async () => {
  const catalog = defineCatalog({
    entities: { invoice: { label: 'Invoice', actions: { sent: { label: 'Sent' } } } },
  });
  const activity = createActivity({ store: createMemoryStore(), catalog, defaultOrgId: 'org_1' });
  activity.record({ type: 'USER_ACTION', action: 'invoice.sent', entity: { type: 'invoice', id: 'inv_1' } });
  await activity.flush();
  const allowed = pageServer();
  const foreign = pageServer();
  servers.push(allowed, foreign);
  allowedPage = await listen(allowed);
  foreignPage = await listen(foreign);
  const handler = createActivityHandler({
    activity,
    authorize: () => ({ orgId: 'org_1', userId: 'dev', permissions: ['read', 'retry', 'export'] }),
    cors: { origin: allowedPage },
  });
  // What the handler answered, as the browser's no-cors requests cannot read it.
  const logged = async (request: Request) => {
    const response = await handler(request);
    answered.push({ method: request.method, origin: request.headers.get('origin'), status: response.status });
    return response;
  };
  const apiServer = createServer(toNodeHandler(logged));
  servers.push(apiServer);
  api = `${await listen(apiServer)}/api/activity`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.cleanup();
  for (const server of servers) server.close();
});

/** Runs fetches from a page on `origin`; resolves with what the page saw. */
async function fromPage(origin: string, run: (page: Page) => Promise<unknown>): Promise<unknown> {
  const page = await (browser as Browser).newPage();
  try {
    await page.goto(`${origin}/`);
    return await run(page);
  } finally {
    await page.close();
  }
}

type Seen = { ok: boolean; status?: number; body?: unknown; error?: string };
const fetchFrom = (origin: string, url: string, init: RequestInit) =>
  fromPage(origin, (page) =>
    page.evaluate(
      async ([target, options]) => {
        try {
          const res = await fetch(target, options);
          return { ok: true, status: res.status, body: await res.json() };
        } catch (error) {
          return { ok: false, error: String(error) };
        }
      },
      [url, init] as const,
    ),
  ) as Promise<Seen>;

describe('cors — a cross-origin page in Chromium', () => {
  it('reads entries and the catalog from the configured origin, with cookies allowed', async () => {
    const seen = await fetchFrom(allowedPage, `${api}/entries`, { credentials: 'include' });
    expect(seen).toMatchObject({ ok: true, status: 200 });
    expect((seen.body as { entries: Array<{ action: string }> }).entries.map((e) => e.action)).toEqual([
      'invoice.sent',
    ]);
  });

  it('passes the preflight (custom header) and the cross-site check from the configured origin', async () => {
    // x-activity-request is not a safelisted header: Chromium preflights before the GET.
    const seen = await fetchFrom(allowedPage, `${api}/export.csv`, {
      credentials: 'include',
      headers: { 'x-activity-request': '1' },
    });
    // Export is not enabled: past the preflight and the cross-site check, the route answers 404.
    expect(seen, JSON.stringify(seen)).toMatchObject({ ok: true, status: 404 });
    expect(answered).toContainEqual({ method: 'OPTIONS', origin: allowedPage, status: 204 });
    const post = await fetchFrom(allowedPage, `${api}/entries/missing/retry`, {
      method: 'POST',
      credentials: 'include',
    });
    expect(post, JSON.stringify(post)).toMatchObject({ ok: true, status: 404 });
  });

  it('refuses a page on any other origin: no readable answer, no preflight, no POST', async () => {
    const read = await fetchFrom(foreignPage, `${api}/entries`, { credentials: 'include' });
    expect(read.ok).toBe(false);
    expect(read.error).toMatch(/Failed to fetch/);
    const preflighted = await fetchFrom(foreignPage, `${api}/export.csv`, {
      headers: { 'x-activity-request': '1' },
    });
    expect(preflighted.ok).toBe(false);
    // A simple POST skips the preflight: the handler's cross-site check refuses it before any effect.
    const status = await fromPage(foreignPage, (page) =>
      page.evaluate(async (target) => {
        await fetch(target, { method: 'POST', mode: 'no-cors', credentials: 'include' });
        return 'sent';
      }, `${api}/entries/missing/retry`),
    );
    expect(status).toBe('sent');
    expect(answered.filter((a) => a.origin === foreignPage && a.method === 'POST')).toEqual([
      { method: 'POST', origin: foreignPage, status: 403 },
    ]);
    // The preflight was answered, with a refusal: the GET behind it never reached the routes.
    expect(answered.filter((a) => a.origin === foreignPage && a.method === 'OPTIONS')).toEqual([
      { method: 'OPTIONS', origin: foreignPage, status: 403 },
    ]);
  });
});
