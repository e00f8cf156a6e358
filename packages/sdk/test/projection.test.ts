/**
 * The list's summary projection (issue 12): `GET /entries` sends what a row needs, in a compact page
 * (the org once, actors and actions once, times in ms, defaults left out); the live tail sends summaries;
 * `fields=full` keeps the whole entry; a bad `fields` is a 400 naming it. Stores that can read only a
 * row's fields do (`querySummaries`); the others' full entries are projected by the server, to the same page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivityHandler } from '../src/server/handler.js';
import { createSqliteStore } from '../src/sqlite/index.js';
import { type ActivityEntrySummary, SUMMARY_MAX_CHARS, toSummary } from '../src/summary.js';
import { decodeSummaryPage, encodeSummaryPage, type SummaryPage } from '../src/summaryPage.js';
import { createMemoryStore, generateActivity } from '../src/testing/index.js';
import type { ActivityEntry, ActivityStore, StoreQuery } from '../src/types.js';
import { freshEntry, type Harness, readEvents, startApi, waitFor } from './apiHarness.js';

let api: Harness;

beforeAll(async () => {
  api = await startApi({ perOrg: 200 });
});
afterAll(async () => {
  await api.close();
});

const PAGE_KEYS = ['actions', 'actors', 'entries', 'nextCursor', 'orgId'];
const ROW_KEYS = new Set([
  'id',
  'occurredAt',
  'type',
  'status',
  'actor',
  'action',
  'entity',
  'summary',
  'progress',
  'retryable',
  'eventType',
]);

interface ErrorBody {
  error?: { code: string; field?: string };
}

async function raw(query: string): Promise<{ status: number; text: string; bytes: number }> {
  const response = await api.fetch(`/entries?${query}`, { token: 'a-reader' });
  const text = await response.text();
  return { status: response.status, text, bytes: new TextEncoder().encode(text).length };
}

async function summaryPage(query: string): Promise<SummaryPage> {
  const { status, text } = await raw(`${query}&fields=compact`);
  expect(status).toBe(200);
  return JSON.parse(text) as SummaryPage;
}

async function fullPage(query: string): Promise<ActivityEntry[]> {
  return (JSON.parse((await raw(`${query}&fields=full`)).text) as { entries: ActivityEntry[] }).entries;
}

describe('GET /entries projection', () => {
  it('sends the summaries of the full entries: only row fields, no metadata, diffs, bodies or stacks', async () => {
    const page = await summaryPage('range=all&limit=200');
    expect(Object.keys(page).sort()).toEqual(PAGE_KEYS);
    expect(page.orgId).toBe('org_a');
    expect(page.entries.length).toBeGreaterThan(100);
    for (const row of page.entries) {
      for (const key of Object.keys(row)) expect(ROW_KEYS.has(key), key).toBe(true);
    }
    // The fixture mix has the bulky parts in full; the summary drops them.
    const full = await fullPage('range=all&limit=200');
    expect(full.some((e) => e.metadata)).toBe(true);
    expect(full.some((e) => e.changes?.length)).toBe(true);
    expect(full.some((e) => e.webhook?.request)).toBe(true);
    expect(full.some((e) => e.error?.stack)).toBe(true);
    const decoded = decodeSummaryPage(page);
    expect(decoded.entries.some((e) => e.webhook?.eventType)).toBe(true);
    expect(decoded.entries.map((e) => e.id)).toEqual(full.map((e) => e.id));
    expect(decoded.entries).toEqual(full.map((e) => toSummary(e)));
  });

  it('sends a summary object per row by default (fields=summary), the same summaries the compact page carries', async () => {
    const { status, text } = await raw('range=all&limit=200');
    expect(status).toBe(200);
    const page = JSON.parse(text) as { entries: ActivityEntrySummary[]; nextCursor: string | null };
    expect(Object.keys(page).sort()).toEqual(['entries', 'nextCursor']);
    expect(page.entries.length).toBeGreaterThan(100);
    for (const e of page.entries) {
      expect(e.orgId).toBe('org_a');
      expect(typeof e.action).toBe('string');
      expect(e.actor).toEqual(expect.objectContaining({ kind: expect.any(String), id: expect.any(String) }));
      expect(new Date(e.occurredAt).toISOString()).toBe(e.occurredAt);
    }
    const full = await fullPage('range=all&limit=200');
    expect(page.entries).toEqual(full.map((e) => toSummary(e)));
    expect(decodeSummaryPage(await summaryPage('range=all&limit=200')).entries).toEqual(page.entries);
    // The compact form is the smaller of the two: what the client and the page request.
    expect((await raw('range=all&limit=200&fields=compact')).bytes).toBeLessThan(text.length);
  });

  it('says each actor and action once, and leaves out defaults and absent fields instead of sending null', async () => {
    const { text } = await raw('range=all&limit=200&fields=compact');
    const page = JSON.parse(text) as SummaryPage;
    const rows = JSON.stringify(page.entries);
    expect(rows).not.toContain('null');
    expect(rows).not.toContain('"retryable":false');
    expect(rows).not.toContain('"status":"SUCCESS"');
    expect(rows).not.toContain('"type":"USER_ACTION"');
    expect(new Set(page.actors.map((a) => JSON.stringify(a))).size).toBe(page.actors.length);
    expect(new Set(page.actions).size).toBe(page.actions.length);
    // Every actor and action listed is used, and every row's index points at one.
    const usedActors = new Set(page.entries.map((r) => r.actor));
    expect(usedActors.size).toBe(page.actors.length);
    for (const r of page.entries) {
      expect(page.actions[r.action], r.id).toEqual(expect.any(String));
      expect(typeof r.occurredAt).toBe('number');
    }
    expect(page.actors.length).toBeLessThan(page.entries.length / 4);
  });

  it('keeps what the live tail patches on a running job (status, progress), not its lease', async () => {
    const run = api.activity.job('SYNC_SQUARE_STOCK', { orgId: 'org_a', total: 10 });
    run.progress(3, 10);
    await api.activity.flush();
    const page = decodeSummaryPage(await summaryPage('range=1h&type=BACKGROUND_JOB&status=IN_PROGRESS'));
    const row = page.entries.find((e) => e.id === run.id);
    expect(row).toEqual(
      expect.objectContaining({ status: 'IN_PROGRESS', progress: { processed: 3, total: 10 } }),
    );
    expect((row as Record<string, unknown>).leaseExpiresAt).toBeUndefined();
    const full = (await (
      await api.fetch(`/entries/${run.id}`, { token: 'a-reader' })
    ).json()) as ActivityEntry;
    expect(full.leaseExpiresAt).toEqual(expect.any(String));
    await run.succeed();
    await api.activity.flush();
    // Once the job has finished its progress is the detail view's: the row no longer carries it.
    const done = decodeSummaryPage(await summaryPage('range=1h&type=BACKGROUND_JOB'));
    const finished = done.entries.find((e) => e.id === run.id);
    expect(finished?.status).toBe('SUCCESS');
    expect(finished?.progress).toBeUndefined();
  });

  it('clips a long summary, and sends a time recorded with an offset as the same instant in UTC', async () => {
    const long = 'Imported 4,000 contacts from the Spring list; '.repeat(10);
    const entry = freshEntry('org_a', 3, {
      summary: long,
      occurredAt: '2026-01-02T10:00:00+02:00',
      recordedAt: '2026-01-02T08:00:00.000Z',
    });
    await api.store.append([entry]);
    const page = decodeSummaryPage(await summaryPage('from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z'));
    const row = page.entries.find((e) => e.id === entry.id);
    expect(row?.summary).toHaveLength(SUMMARY_MAX_CHARS);
    expect(row?.summary?.endsWith('…')).toBe(true);
    expect(long.startsWith(row?.summary?.slice(0, -1) ?? '-')).toBe(true);
    expect(row?.occurredAt).toBe('2026-01-02T08:00:00.000Z');
    const full = await api.client('a-reader').get(entry.id);
    expect(full.summary).toBe(long);
  });

  it('fields=full answers today’s shape: each entry as GET /entries/:id returns it', async () => {
    const entries = await fullPage('range=all&limit=5');
    for (const e of entries) {
      const one = await api.fetch(`/entries/${e.id}`, { token: 'a-reader' });
      expect(await one.json()).toEqual(e);
    }
    expect(entries[0]?.schemaVersion).toBe(1);
  });

  it('the client asks for full entries with fields: "full" and gets summaries by default', async () => {
    const client = api.client('a-reader');
    const summary = await client.list({ range: 'all', limit: 3 });
    const full = await client.list({ range: 'all', limit: 3, fields: 'full' });
    expect(summary.entries).toEqual(full.entries.map((e) => toSummary(e)));
    expect(full.entries[0]?.schemaVersion).toBe(1);
  });

  it.each(['everything', 'FULL', '', 'summary,full'])(
    'answers 400 naming fields for fields=%j',
    async (v) => {
      const { status, text } = await raw(`range=all&fields=${encodeURIComponent(v)}`);
      expect(status).toBe(400);
      expect((JSON.parse(text) as ErrorBody).error).toMatchObject({
        code: 'INVALID_FILTER',
        field: 'fields',
      });
    },
  );

  it('answers 400 for fields given twice', async () => {
    const { status, text } = await raw('fields=full&fields=summary');
    expect(status).toBe(400);
    expect((JSON.parse(text) as ErrorBody).error?.field).toBe('fields');
  });

  it('a 50-entry compact summary page is under a third of the bytes of the same entries in full (fixture mix)', async () => {
    const summary = await raw('range=all&limit=50&fields=compact');
    const full = await raw('range=all&limit=50&fields=full');
    // bench/server.bench.ts reports the exact ratio (list-page-bytes-vs-full, target 0.3); this guards a regression.
    expect(summary.bytes / full.bytes).toBeLessThan(1 / 3);
  });
});

/** The store without its summary read, as the PostgreSQL and ClickHouse stores are today. */
function withoutSummaries(store: ActivityStore): ActivityStore {
  return { ...store, querySummaries: undefined };
}

describe('store summary reads', () => {
  const now = new Date('2026-06-01T12:00:00.000Z');
  const entries = generateActivity({ count: 1200, orgIds: ['org_a', 'org_b'], seed: 17, now, spanDays: 5 });
  let dir: string;
  let sqlite: ActivityStore;
  let memory: ActivityStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'activity-projection-'));
    sqlite = createSqliteStore({ path: join(dir, 'p.db') });
    memory = createMemoryStore();
    await sqlite.append(entries);
    await memory.append(entries);
  });
  afterAll(async () => {
    await sqlite.close();
    await memory.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const queries: Array<[string, Omit<StoreQuery, 'orgId'>]> = [
    ['everything', { limit: 200 }],
    ['jobs', { types: ['BACKGROUND_JOB'], limit: 50 }],
    ['webhooks that failed', { types: ['WEBHOOK'], statuses: ['FAILED', 'WARNING'], limit: 50 }],
    ['text', { q: 'alex', limit: 30 }],
    ['a day', { from: '2026-05-30T00:00:00.000Z', to: '2026-05-31T00:00:00.000Z', limit: 100 }],
  ];

  it.each(queries)(
    'the memory store’s querySummaries pages like query (%s), with only a row’s fields',
    async (_n, q) => {
      let after: StoreQuery['after'];
      for (let i = 0; i < 3; i++) {
        const query = { ...q, orgId: 'org_a', after };
        const full = await memory.query(query);
        const summaries = await memory.querySummaries!(query);
        expect(summaries.next).toEqual(full.next);
        expect(summaries.entries.map((e) => toSummary(e))).toEqual(
          full.entries.map((e) => toSummary({ ...e, retryable: false })),
        );
        // Only the source fields: nothing bulky is copied out.
        for (const e of summaries.entries) {
          expect((e as Partial<ActivityEntry>).metadata).toBeUndefined();
          expect((e as Partial<ActivityEntry>).changes).toBeUndefined();
          if (e.webhook) expect(Object.keys(e.webhook).sort()).toEqual(['eventType', 'provider']);
        }
        if (!full.next) break;
        after = full.next;
      }
    },
  );

  it('pages projected by the server from full entries (SQLite, PostgreSQL, ClickHouse) equal pages read as summaries', async () => {
    // SQLite keeps these fields only in the entry's JSON; it has no querySummaries, as the other two.
    expect(sqlite.querySummaries).toBeUndefined();
    const options = {
      authorize: () => ({ orgId: 'org_a', userId: 'u', permissions: ['read' as const] }),
      cursorSecret: 'projection-test-secret',
      now: () => now,
    };
    const handlers = [
      createActivityHandler({ ...options, store: memory }),
      createActivityHandler({ ...options, store: withoutSummaries(memory) }),
      createActivityHandler({ ...options, store: sqlite }),
    ];
    let cursor = '';
    for (let i = 0; i < 3; i++) {
      const path = `http://x/entries?range=7d&limit=80&fields=compact${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const [a, b, c] = await Promise.all(handlers.map(async (h) => (await h(new Request(path))).text()));
      expect(b).toBe(a);
      expect(c).toBe(a);
      const page = JSON.parse(a ?? '') as SummaryPage;
      expect(page.entries.length).toBeGreaterThan(0);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
  });
});

describe('GET /tail projection', () => {
  it('sends summaries by default and full entries with fields=full', async () => {
    const plain = readEvents(await api.fetch('/tail?type=USER_ACTION', { token: 'a-reader' }));
    const full = readEvents(await api.fetch('/tail?type=USER_ACTION&fields=full', { token: 'a-reader' }));
    try {
      await waitFor(() => plain.text().includes(': connected') && full.text().includes(': connected'));
      await new Promise((r) => setTimeout(r, 100));
      const entry = freshEntry('org_a', 1, {
        metadata: { note: 'x'.repeat(500) },
        changes: [{ path: 'email', kind: 'changed', before: 'a@x.com', after: 'b@x.com' }],
      });
      await api.store.append([entry]);
      const got = await waitFor(() => plain.events.find((e) => JSON.parse(e.data).id === entry.id));
      const gotFull = await waitFor(() => full.events.find((e) => JSON.parse(e.data).id === entry.id));
      const summary = JSON.parse(got.data);
      expect(summary.metadata).toBeUndefined();
      expect(summary.changes).toBeUndefined();
      expect(summary).toEqual(toSummary({ ...entry, retryable: false }));
      expect(JSON.parse(gotFull.data).changes).toEqual(entry.changes);
    } finally {
      await plain.stop();
      await full.stop();
    }
  });

  it('answers 400 naming fields for a bad fields value', async () => {
    const response = await api.fetch('/tail?fields=all', { token: 'a-reader' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error?.field).toBe('fields');
  });
});

describe('summary page encoding', () => {
  it('keeps an actor that appears under two names apart (a renamed team member)', () => {
    const base = freshEntry('org_a', 1);
    const before = { ...base, id: 'e1', actor: { kind: 'user' as const, id: 'usr_jo', name: 'Jo Lee' } };
    const after = { ...base, id: 'e2', actor: { kind: 'user' as const, id: 'usr_jo', name: 'Jo Smith' } };
    const nameless = { ...base, id: 'e3', actor: { kind: 'user' as const, id: 'usr_jo' } };
    const rows = [after, before, nameless, after].map((e) => toSummary(e));
    const page = encodeSummaryPage('org_a', rows, null);
    expect(page.actors).toHaveLength(3);
    expect(decodeSummaryPage(JSON.parse(JSON.stringify(page))).entries).toEqual(rows);
  });

  it('refuses to put another org’s entry on a page', () => {
    const entry = toSummary(freshEntry('org_b', 1));
    expect(() => encodeSummaryPage('org_a', [entry], null)).toThrow(/not of org org_a/);
  });
});
