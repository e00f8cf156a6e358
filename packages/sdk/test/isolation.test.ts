/**
 * Tenant isolation: org A's viewer, trying every endpoint and every trick, gets none of org B's data.
 * Assertions are on response bodies: no B entry id (and no B-only text) may appear in anything A reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityEntry, Facets } from '../src/types.js';
import { freshEntry, type Harness, readEvents, startApi, waitFor } from './apiHarness.js';

let api: Harness;
let bIds: string[];
/** A marker only org B's entries carry, to catch leaks of content as well as ids. */
const B_MARKER = 'zz-org-b-secret-label';

beforeAll(async () => {
  api = await startApi({
    perOrg: 150,
    exports: { secret: 'isolation-test-secret-0123456789', asyncThreshold: 20 },
    retry: { jobs: { SYNC_SQUARE_STOCK: async () => ({ ok: true }) } },
  });
  const marked = [0, 1, 2].map((n) =>
    freshEntry('org_b', n, {
      type: 'BACKGROUND_JOB',
      action: 'SYNC_SQUARE_STOCK',
      status: 'FAILED',
      entity: { type: 'product', id: `p_${n}`, label: B_MARKER },
    }),
  );
  await api.store.append(marked);
  bIds = [...api.seeded.org_b!.map((e) => e.id), ...marked.map((e) => e.id)];
});
afterAll(async () => {
  await api.close();
});

function assertNoB(text: string, where: string) {
  expect(text, where).not.toContain(B_MARKER);
  for (const id of bIds) if (text.includes(id)) throw new Error(`${where}: leaked org B entry ${id}`);
}

const A = 'a-admin';
const orgParams = 'orgId=org_b&org=org_b&org_id=org_b&tenant=org_b';

describe('isolation: org A cannot reach org B', () => {
  it('GET /entries ignores org parameters', async () => {
    const response = await api.fetch(`/entries?${orgParams}&range=all&limit=200`, { token: A });
    const text = await response.text();
    assertNoB(text, 'list');
    const body = JSON.parse(text) as { entries: ActivityEntry[] };
    expect(body.entries.length).toBeGreaterThan(0);
    expect(body.entries.every((e) => e.orgId === 'org_a')).toBe(true);
    const q = await api.fetch(`/entries?q=${B_MARKER}&range=all`, { token: A });
    const qBody = (await q.json()) as { entries: unknown[] };
    expect(qBody.entries).toEqual([]);
  });

  it('GET /entries/:id answers 404 for B ids', async () => {
    for (const id of bIds.slice(-5)) {
      const response = await api.fetch(`/entries/${id}?${orgParams}`, { token: A });
      expect(response.status).toBe(404);
      assertNoB(await response.text(), 'get');
    }
  });

  it('refuses cursors from B, tampered cursors and forged ones', async () => {
    const bPage = (await (await api.fetch('/entries?range=all&limit=5', { token: 'b-admin' })).json()) as {
      nextCursor: string;
    };
    const fromB = await api.fetch(`/entries?range=all&cursor=${encodeURIComponent(bPage.nextCursor)}`, {
      token: A,
    });
    expect(fromB.status).toBe(400);
    const fromBText = await fromB.text();
    expect(JSON.parse(fromBText).error.field).toBe('cursor');
    assertNoB(fromBText, 'cursor from B');

    const aPage = (await (await api.fetch('/entries?range=all&limit=5', { token: A })).json()) as {
      nextCursor: string;
    };
    const [payload, signature] = aPage.nextCursor.split('.') as [string, string];
    const b = api.seeded.org_b![0]!;
    const forgedPayload = Buffer.from(JSON.stringify([b.occurredAt, b.id])).toString('base64url');
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    for (const cursor of [
      `${forgedPayload}.${signature}`,
      `${payload}.${flipped}`,
      payload,
      `${payload}.${signature}.x`,
    ]) {
      const response = await api.fetch(`/entries?range=all&cursor=${encodeURIComponent(cursor)}`, {
        token: A,
      });
      expect(response.status, cursor).toBe(400);
      const text = await response.text();
      expect(JSON.parse(text).error.field).toBe('cursor');
      assertNoB(text, 'tampered cursor');
    }
  });

  it('facets and histogram ignore org parameters', async () => {
    const plain = (await (await api.fetch('/facets?range=all', { token: A })).json()) as Facets;
    const withOrg = await api.fetch(`/facets?range=all&${orgParams}`, { token: A });
    const withOrgText = await withOrg.text();
    expect(JSON.parse(withOrgText)).toEqual(plain);
    expect(plain.total).toBe(api.seeded.org_a!.length);
    assertNoB(withOrgText, 'facets');
    type H = { buckets: { count: number }[] };
    const h1 = (await (await api.fetch('/histogram?range=all&bucket=1d', { token: A })).json()) as H;
    const h2 = (await (
      await api.fetch(`/histogram?range=all&bucket=1d&${orgParams}`, { token: A })
    ).json()) as H;
    expect(h2.buckets).toEqual(h1.buckets);
    expect(h1.buckets.reduce((n, b) => n + b.count, 0)).toBe(api.seeded.org_a!.length);
  });

  it("cannot retry B's entry, and nothing is started in either org", async () => {
    const target = bIds.at(-1)!;
    const response = await api.fetch(`/entries/${target}/retry?${orgParams}`, { method: 'POST', token: A });
    expect(response.status).toBe(404);
    assertNoB(await response.text(), 'retry');
    await api.handler.idle();
    for (const org of ['org_a', 'org_b']) {
      const page = await api.store.query({ orgId: org, limit: 1000, from: '2000-01-01T00:00:00Z' });
      expect(page.entries.some((e) => e.retryOf === target)).toBe(false);
    }
  });

  it('the tail never carries B entries, whatever the parameters', async () => {
    const stream = readEvents(await api.fetch(`/tail?${orgParams}`, { token: A }));
    try {
      await waitFor(() => stream.text().includes(': connected'));
      const b = freshEntry('org_b', 50, { entity: { type: 'contact', id: 'c', label: B_MARKER } });
      const a = freshEntry('org_a', 51);
      await api.store.append([b, a]);
      bIds.push(b.id);
      await waitFor(() => stream.text().includes(a.id));
      await new Promise((r) => setTimeout(r, 150));
      assertNoB(stream.text(), 'tail');
    } finally {
      await stream.stop();
    }
    // B's resume position is not accepted by A's tail.
    const bStream = readEvents(await api.fetch('/tail', { token: 'b-admin' }));
    const bEntry = freshEntry('org_b', 52);
    let bEventId: string | undefined;
    try {
      await waitFor(() => bStream.text().includes(': connected'));
      await api.store.append([bEntry]);
      bIds.push(bEntry.id);
      bEventId = (await waitFor(() => bStream.events.find((e) => e.data.includes(bEntry.id)))).id;
    } finally {
      await bStream.stop();
    }
    const resumed = await api.fetch('/tail', { token: A, headers: { 'last-event-id': bEventId! } });
    expect(resumed.status).toBe(400);
    assertNoB(await resumed.text(), 'tail resume');
  });

  it('exports: CSV, async export status and download links are bound to the org', async () => {
    const csv = await api.fetch(`/export.csv?${orgParams}&range=1h`, {
      token: A,
      headers: { 'x-activity-request': '1' },
    });
    expect(csv.status).toBe(200);
    const csvText = await csv.text();
    assertNoB(csvText, 'csv');

    // B starts an async export (past the threshold of 20) and waits for the signed link.
    const started = await api.fetch('/exports?range=all', { method: 'POST', token: 'b-admin' });
    expect(started.status).toBe(202);
    const { exportId } = (await started.json()) as { exportId: string };
    const done = await waitFor(async () => {
      const s = (await (await api.fetch(`/exports/${exportId}`, { token: 'b-admin' })).json()) as {
        status: string;
        url?: string;
      };
      return s.url ? s : undefined;
    }, 15_000);
    const link = new URL(done.url!);
    expect(link.pathname).toBe(`/api/activity/exports/${exportId}/download`);
    // B itself can download it: proves the link works, so A's refusals below are isolation, not breakage.
    const own = await fetch(link, { headers: { authorization: 'Bearer b-admin' } });
    expect(own.status).toBe(200);
    expect(await own.text()).toContain(B_MARKER);

    const status = await api.fetch(`/exports/${exportId}?${orgParams}`, { token: A });
    expect(status.status).toBe(404);
    assertNoB(await status.text(), 'export status');
    const download = await fetch(link, { headers: { authorization: `Bearer ${A}` } });
    expect(download.status).toBe(404);
    assertNoB(await download.text(), 'download');
    const anonymous = await fetch(link);
    expect(anonymous.status).toBe(401);
    const tokenOnly = await api.fetch(`/exports/${exportId}/download`, { token: A });
    expect(tokenOnly.status).toBe(400);
  });

  it('async export started by A with org parameters contains only A', async () => {
    // Over the threshold a GET is refused (409); the async export is a POST (the client does this itself).
    const refused = await api.fetch(`/export.csv?range=all&${orgParams}`, {
      token: A,
      headers: { 'x-activity-request': '1' },
    });
    expect(refused.status).toBe(409);
    const started = await api.fetch(`/exports?range=all&${orgParams}`, { method: 'POST', token: A });
    expect(started.status).toBe(202);
    const { exportId } = (await started.json()) as { exportId: string };
    const done = await waitFor(async () => {
      const s = (await (await api.fetch(`/exports/${exportId}`, { token: A })).json()) as { url?: string };
      return s.url ? s : undefined;
    }, 15_000);
    const file = await fetch(done.url!, { headers: { authorization: `Bearer ${A}` } });
    expect(file.status).toBe(200);
    const text = await file.text();
    expect(text).toContain(api.seeded.org_a![0]!.id);
    assertNoB(text, 'async export file');
  });
});
