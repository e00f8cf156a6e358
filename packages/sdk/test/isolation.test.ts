/**
 * Tenant isolation: org A's viewer, trying every endpoint and every trick, gets none of org B's data.
 * Assertions are on response bodies: no B entry id (and no B-only text) may appear in anything A reads.
 */
import { UUID } from 'uuidv7';
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
const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

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

/**
 * Deeper pages: first pages alone would not show a leak that starts on page 3. Three orgs' entries share
 * every timestamp, their ids interleaved (A, B, C, A, B, C …), so each page boundary falls inside a group
 * of equal timestamps with foreign rows on both sides of it, on every page of the list and the export.
 */
describe('fault 13: isolation on every page, not only the first', () => {
  const ORGS = ['org_a', 'org_b', 'org_c'] as const;
  /** Entries per org: past two export pages (1,000 each), so the export reads three. */
  const PER_ORG = 2_100;
  /** Entries sharing one timestamp (10 per org); 200-row list pages and 1,000-row export pages split them. */
  const GROUP = 30;
  const MARKER = 'zz-foreign-org-label';
  let deep: Harness;
  let aEntries: ActivityEntry[];
  let foreignIds: Set<string>;

  beforeAll(async () => {
    deep = await startApi({
      perOrg: 5,
      exports: { secret: 'isolation-deep-secret-0123456789', asyncThreshold: 100_000 },
    });
    const now = Date.now();
    const entries: ActivityEntry[] = [];
    for (let i = 0; i < PER_ORG * ORGS.length; i++) {
      const group = Math.floor(i / GROUP);
      const ms = now - 60_000 - group * 1000;
      const orgId = ORGS[i % ORGS.length]!;
      // Same millisecond for the whole group; the counter bits order ids A, B, C, A … inside it.
      const id = UUID.fromFieldsV7(ms, i % GROUP, 0, i).toString();
      const at = new Date(ms).toISOString();
      entries.push(
        freshEntry(orgId, i, {
          id,
          occurredAt: at,
          recordedAt: at,
          entity: { type: 'contact', id: `c_${i}`, label: orgId === 'org_a' ? `A ${i}` : MARKER },
        }),
      );
    }
    for (let i = 0; i < entries.length; i += 1000) await deep.store.append(entries.slice(i, i + 1000));
    aEntries = [...deep.seeded.org_a!, ...entries.filter((e) => e.orgId === 'org_a')];
    foreignIds = new Set(
      [...deep.seeded.org_b!, ...entries.filter((e) => e.orgId !== 'org_a')].map((e) => e.id),
    );
  }, 120_000);
  afterAll(async () => {
    await deep?.close();
  });

  function assertNoForeign(text: string, where: string) {
    expect(text, where).not.toContain(MARKER);
    for (const id of text.match(UUID_RE) ?? []) {
      if (foreignIds.has(id)) throw new Error(`${where}: leaked foreign entry ${id}`);
    }
  }

  /** Follows nextCursor to the end; every page's raw body is checked before it is parsed. */
  async function walk(probe: string, token = A) {
    const ids: string[] = [];
    const cursors: string[] = [];
    let cursor: string | undefined;
    for (let page = 1; ; page++) {
      const path = `/entries?range=all&limit=200${probe ? `&${probe}` : ''}${
        cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
      }`;
      const response = await deep.fetch(path, { token });
      const text = await response.text();
      expect(response.status, `${probe} page ${page}: ${text.slice(0, 200)}`).toBe(200);
      if (token === A) assertNoForeign(text, `list (${probe || 'plain'}) page ${page}`);
      const body = JSON.parse(text) as { entries: ActivityEntry[]; nextCursor?: string | null };
      for (const e of body.entries) ids.push(e.id);
      if (token === A) expect(body.entries.every((e) => e.orgId === 'org_a')).toBe(true);
      if (!body.nextCursor) return { ids, cursors, pages: page };
      cursor = body.nextCursor;
      cursors.push(cursor);
      expect(page, 'the walk ends').toBeLessThan(100);
    }
  }

  /** Probes: org parameters (ignored) and filters; each names which of A's entries it must return. */
  const probes: [string, (e: ActivityEntry) => boolean][] = [
    ['', () => true],
    [orgParams, () => true],
    ['orgId=org_c&org=org_c', () => true],
    ['types=USER_ACTION&statuses=SUCCESS', (e) => e.type === 'USER_ACTION' && e.status === 'SUCCESS'],
    ['entityTypes=contact&orgId=org_b', (e) => e.entity?.type === 'contact'],
  ];
  /** A's entries the probe must return (A's own audit entries, such as exports, may come on top). */
  const expectedFor = (match: (e: ActivityEntry) => boolean) => aEntries.filter(match).map((e) => e.id);

  it.each(probes)(
    'the list, walked to its last page, holds every A entry and nothing else (%s)',
    async (probe, match) => {
      const { ids, pages } = await walk(probe);
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(new Set(ids).size).toBe(ids.length);
      const got = new Set(ids);
      const expected = expectedFor(match);
      expect(expected.length).toBeGreaterThan(2000);
      for (const id of expected) expect(got.has(id), `missing ${id}`).toBe(true);
    },
  );

  it.each(probes)('the CSV export reads every page and holds only A rows (%s)', async (probe, match) => {
    const response = await deep.fetch(`/export.csv?range=all${probe ? `&${probe}` : ''}`, {
      token: A,
      headers: { 'x-activity-request': '1' },
    });
    const text = await response.text();
    expect(response.status, text.slice(0, 200)).toBe(200);
    assertNoForeign(text, `csv (${probe || 'plain'})`);
    // More than two export pages (1,000 rows each) of A rows: the third page was read too.
    const got = new Set(text.match(UUID_RE) ?? []);
    for (const id of expectedFor(match)) expect(got.has(id), `missing ${id}`).toBe(true);
  });

  it("the async export file holds every A entry and nothing else, past the export's page size", async () => {
    const started = await deep.fetch(`/exports?range=all&${orgParams}`, { method: 'POST', token: A });
    expect(started.status).toBe(202);
    const { exportId } = (await started.json()) as { exportId: string };
    const done = await waitFor(async () => {
      const s = (await (await deep.fetch(`/exports/${exportId}`, { token: A })).json()) as { url?: string };
      return s.url ? s : undefined;
    }, 30_000);
    const file = await fetch(done.url!, { headers: { authorization: `Bearer ${A}` } });
    expect(file.status).toBe(200);
    const text = await file.text();
    assertNoForeign(text, 'async export file');
    const got = new Set(text.match(UUID_RE) ?? []);
    for (const e of aEntries) expect(got.has(e.id), `missing ${e.id}`).toBe(true);
  });

  it("refuses A's deeper-page cursors presented by B, and B's presented by A", async () => {
    const a = await walk('');
    const b = await walk('', 'b-admin');
    expect(a.cursors.length).toBeGreaterThanOrEqual(2);
    expect(b.cursors.length).toBeGreaterThanOrEqual(2);
    for (const [cursors, token, owner] of [
      [a.cursors, 'b-admin', 'A'],
      [b.cursors, A, 'B'],
    ] as const) {
      for (const [i, cursor] of cursors.entries()) {
        const response = await deep.fetch(
          `/entries?range=all&limit=200&cursor=${encodeURIComponent(cursor)}`,
          {
            token,
          },
        );
        const text = await response.text();
        expect(response.status, `${owner}'s cursor for page ${i + 2}`).toBe(400);
        expect(JSON.parse(text).error.field).toBe('cursor');
        expect(text).not.toMatch(UUID_RE);
      }
    }
  });
});
