/**
 * Fault 8: the export routes check what they name and what they record, like the others. The download
 * serves only the export its path names and refuses what another site causes; HEAD records nothing;
 * the marker header counts only with the value the docs name. Real SQLite store, real recorder, node:http.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivityClient } from '../src/client/index.js';
import { EXPORT_ACTION, EXPORT_DOWNLOAD_ACTION, type ExportNotice } from '../src/server/export.js';
import { type Harness, startApi, waitFor } from './apiHarness.js';

const SECRET = 'export-route-test-secret-0123456789';

let api: Harness;
const notices: ExportNotice[] = [];

beforeAll(async () => {
  api = await startApi({
    perOrg: 40,
    exports: { secret: SECRET, asyncThreshold: 5, notify: (n) => void notices.push(n) },
  });
});
afterAll(async () => {
  await api.close();
});

/** Entries of `action` in org_a, after the recorder has written what it holds. */
async function count(action: string): Promise<number> {
  await api.activity.flush();
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const page = await api.store.query({ orgId: 'org_a', from, limit: 1000 });
  return page.entries.filter((e) => e.action === action).length;
}

/** Starts a background export of org_a and resolves with its emailed link once the file is ready. */
async function finishedExport(): Promise<{ exportId: string; link: URL }> {
  const response = await api.fetch('/exports?range=all', { method: 'POST', token: 'a-admin' });
  expect(response.status).toBe(202);
  const { exportId } = (await response.json()) as { exportId: string };
  const notice = await waitFor(() => notices.find((n) => n.exportId === exportId));
  return { exportId, link: new URL(notice.url) };
}

/** The path and query of a link, relative to the API base. */
const relative = (link: URL) => `${link.pathname.replace(/^\/api\/activity/, '')}${link.search}`;

/**
 * A GET with exactly the headers given, through node:http: fetch() rewrites `Sec-Fetch-Mode` to `cors`,
 * so it cannot stand for a browser's navigation.
 */
function rawGet(link: URL, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const target = new URL(`${api.baseUrl}${relative(link)}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      target,
      { method: 'GET', headers: { authorization: 'Bearer a-admin', ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; field?: string } }).error;

describe('fault 8 — GET /exports/:id/download', () => {
  it('fault 8: a token serves only the export its path names; any other id is a 404 that records nothing', async () => {
    const a = await finishedExport();
    const b = await finishedExport();
    const tokenA = a.link.searchParams.get('token') ?? '';
    const before = await count(EXPORT_DOWNLOAD_ACTION);
    for (const id of [b.exportId, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const response = await api.fetch(`/exports/${id}/download?token=${encodeURIComponent(tokenA)}`, {
        token: 'a-admin',
      });
      expect(response.status, id).toBe(404);
      expect((await errorOf(response)).code).toBe('NOT_FOUND');
    }
    expect(await count(EXPORT_DOWNLOAD_ACTION)).toBe(before);

    // The link as emailed still works, and is recorded once.
    const ok = await api.fetch(relative(a.link), { token: 'a-admin' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/csv/);
    await ok.text();
    expect(await count(EXPORT_DOWNLOAD_ACTION)).toBe(before + 1);
  });

  it('fault 8: refuses a download another site causes and records nothing; the emailed link still opens', async () => {
    const { link } = await finishedExport();
    const before = await count(EXPORT_DOWNLOAD_ACTION);
    const refused: Record<string, string>[] = [
      // <img src=link> on another site.
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
      // fetch(link, { credentials: 'include' }) from another site.
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' },
      // A scripted navigation (no click), and a click inside a frame.
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' },
      {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-dest': 'iframe',
        'sec-fetch-user': '?1',
      },
      // A sibling subdomain's subresource, and a browser without Fetch Metadata on a foreign origin.
      { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
      { origin: 'https://evil.example' },
    ];
    for (const headers of refused) {
      const response = await rawGet(link, headers);
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(response.body).error.code).toBe('FORBIDDEN');
    }
    expect(await count(EXPORT_DOWNLOAD_ACTION)).toBe(before);

    const allowed: Record<string, string>[] = [
      // Opened from a mail app (address bar, bookmark): the browser says "none".
      {
        'sec-fetch-site': 'none',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-dest': 'document',
        'sec-fetch-user': '?1',
      },
      // The page itself (the query client's download()).
      { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' },
      // A click on the link in a webmail page: a user-started top-level navigation.
      {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-dest': 'document',
        'sec-fetch-user': '?1',
      },
      // A server-side client: no browser headers, no ambient cookies.
      {},
    ];
    for (const headers of allowed) {
      const response = await rawGet(link, headers);
      expect(response.status, JSON.stringify(headers)).toBe(200);
      expect(response.body).toMatch(/^\uFEFF?[^{]/);
    }
    expect(await count(EXPORT_DOWNLOAD_ACTION)).toBe(before + allowed.length);
  });
});

describe('fault 8 — HEAD and the marker header', () => {
  it('fault 8: HEAD on a route whose GET records or streams answers 405 and records nothing', async () => {
    const { link } = await finishedExport();
    const exports = await count(EXPORT_ACTION);
    const downloads = await count(EXPORT_DOWNLOAD_ACTION);
    for (const path of ['/export.csv?range=1h&type=WEBHOOK', relative(link), '/tail']) {
      const response = await api.fetch(path, {
        method: 'HEAD',
        token: 'a-admin',
        headers: { 'x-activity-request': '1', 'sec-fetch-site': 'same-origin' },
      });
      expect(response.status, path).toBe(405);
      expect(response.headers.get('allow')).toBe('GET');
    }
    // Give a stray background write the time to land before counting.
    await new Promise((r) => setTimeout(r, 100));
    expect(await count(EXPORT_ACTION)).toBe(exports);
    expect(await count(EXPORT_DOWNLOAD_ACTION)).toBe(downloads);
  });

  it("HEAD on a read route answers the GET's status and headers without a body", async () => {
    const ok = await api.fetch('/entries?range=all', { method: 'HEAD', token: 'a-reader' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await ok.text()).toBe('');
    const missing = await api.fetch('/entries/nope', { method: 'HEAD', token: 'a-reader' });
    expect(missing.status).toBe(404);
    const anonymous = await api.fetch('/entries', { method: 'HEAD' });
    expect(anonymous.status).toBe(401);
  });

  it('fault 8: X-Activity-Request counts only with the value 1', async () => {
    const before = await count(EXPORT_ACTION);
    for (const value of ['0', '', 'true', 'yes', '1, 1', '01', ' 2']) {
      const response = await api.fetch('/export.csv?range=1h&type=WEBHOOK', {
        token: 'a-admin',
        headers: { 'x-activity-request': value },
      });
      expect(response.status, JSON.stringify(value)).toBe(403);
      expect((await errorOf(response)).field).toBe('x-activity-request');
    }
    expect(await count(EXPORT_ACTION)).toBe(before);
    const response = await api.fetch('/export.csv?range=1h&type=WEBHOOK', {
      token: 'a-admin',
      headers: { 'x-activity-request': '1' },
    });
    expect(response.status).toBe(200);
    await response.text();
    expect(await count(EXPORT_ACTION)).toBe(before + 1);
  });

  it('the query client sends X-Activity-Request: 1 on its export request', async () => {
    const sent: (string | null)[] = [];
    const client = createActivityClient({
      baseUrl: api.baseUrl,
      headers: { authorization: 'Bearer a-admin' },
      fetch: async (input, init) => {
        sent.push(new Headers(init?.headers).get('x-activity-request'));
        return fetch(input, init);
      },
    });
    const result = await client.exportCsv({ range: '1h', types: ['WEBHOOK'] });
    expect(sent).toEqual(['1']);
    expect(result.kind).toBe('file');
    if (result.kind === 'file') await result.response.text();
  });
});
