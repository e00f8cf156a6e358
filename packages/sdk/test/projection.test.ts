/**
 * The list's summary projection (issue 12): `GET /entries` and the live tail send what a row needs;
 * `fields=full` keeps the whole entry; a bad `fields` is a 400 naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_FIELDS, toSummary } from '../src/summary.js';
import type { ActivityEntry } from '../src/types.js';
import { freshEntry, type Harness, readEvents, startApi, waitFor } from './apiHarness.js';

let api: Harness;

beforeAll(async () => {
  api = await startApi({ perOrg: 200 });
});
afterAll(async () => {
  await api.close();
});

const ALLOWED = new Set<string>([...SUMMARY_FIELDS, 'webhook']);

/** An entry as it came over the wire: any keys, checked by the tests. */
type Wire = Partial<ActivityEntry> & Record<string, unknown>;
interface Body {
  entries: Wire[];
  error?: { code: string; field?: string };
}

async function page(query: string): Promise<{ status: number; body: Body; bytes: number }> {
  const response = await api.fetch(`/entries?${query}`, { token: 'a-reader' });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), bytes: new TextEncoder().encode(text).length };
}

describe('GET /entries projection', () => {
  it('sends summaries: only the row fields, no metadata, diffs, bodies or stacks', async () => {
    const { status, body } = await page('range=all&limit=200');
    expect(status).toBe(200);
    const entries = body.entries;
    expect(entries.length).toBeGreaterThan(100);
    for (const e of entries) {
      for (const key of Object.keys(e)) expect(ALLOWED.has(key), key).toBe(true);
      if (e.webhook) expect(Object.keys(e.webhook).sort()).toEqual(['direction', 'eventType', 'provider']);
    }
    // The fixture mix has the bulky parts in full; the summary drops them.
    const full = await page('range=all&limit=200&fields=full');
    const fullEntries = full.body.entries as ActivityEntry[];
    expect(fullEntries.some((e) => e.metadata)).toBe(true);
    expect(fullEntries.some((e) => e.changes?.length)).toBe(true);
    expect(fullEntries.some((e) => e.webhook?.request)).toBe(true);
    expect(fullEntries.some((e) => e.error?.stack)).toBe(true);
    expect(entries.some((e) => e.webhook?.eventType)).toBe(true);
    expect(entries.map((e) => e.id)).toEqual(fullEntries.map((e) => e.id));
    expect(entries).toEqual(fullEntries.map(toSummary));
  });

  it('keeps what the live tail patches on a running job (status, progress), not its lease', async () => {
    const run = api.activity.job('SYNC_SQUARE_STOCK', { orgId: 'org_a', total: 10 });
    run.progress(3, 10);
    await api.activity.flush();
    const { body } = await page('range=1h&type=BACKGROUND_JOB&status=IN_PROGRESS');
    const row = body.entries.find((e) => e.id === run.id);
    expect(row).toMatchObject({ status: 'IN_PROGRESS', progress: { processed: 3, total: 10 } });
    expect(row?.leaseExpiresAt).toBeUndefined();
    const full = (await (
      await api.fetch(`/entries/${run.id}`, { token: 'a-reader' })
    ).json()) as ActivityEntry;
    expect(full.leaseExpiresAt).toEqual(expect.any(String));
    await run.succeed();
  });

  it('fields=full answers today’s shape: each entry as GET /entries/:id returns it', async () => {
    const { body } = await page('range=all&limit=5&fields=full');
    for (const e of body.entries as ActivityEntry[]) {
      const one = await api.fetch(`/entries/${e.id}`, { token: 'a-reader' });
      expect(await one.json()).toEqual(e);
    }
    expect((body.entries as ActivityEntry[])[0]?.schemaVersion).toBe(1);
  });

  it('the client asks for full entries with fields: "full" and gets summaries by default', async () => {
    const client = api.client('a-reader');
    const summary = await client.list({ range: 'all', limit: 3 });
    const full = await client.list({ range: 'all', limit: 3, fields: 'full' });
    expect(summary.entries).toEqual(full.entries.map(toSummary));
    expect(full.entries[0]?.schemaVersion).toBe(1);
  });

  it.each(['everything', 'FULL', '', 'summary,full'])(
    'answers 400 naming fields for fields=%j',
    async (v) => {
      const { status, body } = await page(`range=all&fields=${encodeURIComponent(v)}`);
      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: 'INVALID_FILTER', field: 'fields' });
    },
  );

  it('answers 400 for fields given twice', async () => {
    const { status, body } = await page('fields=full&fields=summary');
    expect(status).toBe(400);
    expect(body.error?.field).toBe('fields');
  });

  it('a 50-entry summary page is well under the bytes of the same entries in full (fixture mix)', async () => {
    const summary = await page('range=all&limit=50');
    const full = await page('range=all&limit=50&fields=full');
    // bench/server.bench.ts reports the exact ratio (list-page-bytes-vs-full); this guards a regression.
    expect(summary.bytes / full.bytes).toBeLessThan(0.6);
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
    expect(((await response.json()) as Body).error?.field).toBe('fields');
  });
});
