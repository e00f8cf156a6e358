import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityError } from '../src/errors.js';
import type { ActivityEntrySummary } from '../src/summary.js';
import type { ActivityEntry } from '../src/types.js';
import { freshEntry, type Harness, readEvents, startApi, waitFor } from './apiHarness.js';

let api: Harness;

beforeAll(async () => {
  api = await startApi({ perOrg: 50 });
});
afterAll(async () => {
  await api.close();
});

const parse = (data: string) => JSON.parse(data) as ActivityEntry;

describe('GET /tail', () => {
  it('streams new entries of the viewer org as SSE, with ids and heartbeats', async () => {
    const response = await api.fetch('/tail', { token: 'a-reader' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const stream = readEvents(response);
    try {
      await waitFor(() => stream.text().includes(': connected'));
      const mine = freshEntry('org_a', 1);
      const theirs = freshEntry('org_b', 2);
      await api.store.append([mine, theirs]);
      const event = await waitFor(() => stream.events.find((e) => parse(e.data).id === mine.id));
      expect(event.event).toBe('entry');
      expect(event.id).toMatch(/^[\w-]+\.[\w-]+$/);
      expect(parse(event.data).orgId).toBe('org_a');
      await waitFor(() => stream.text().includes(': ping'), 3000);
      expect(stream.text()).not.toContain(theirs.id);
      // Seeded history is not replayed on a fresh connection.
      expect(stream.events.every((e) => parse(e.data).id === mine.id)).toBe(true);
    } finally {
      await stream.stop();
    }
  });

  it("re-sends a job's entry when its progress and status change", async () => {
    const response = await api.fetch('/tail?type=BACKGROUND_JOB', { token: 'a-reader' });
    const stream = readEvents(response);
    try {
      await waitFor(() => stream.text().includes(': connected'));
      const run = api.activity.job('SYNC_SQUARE_STOCK', { orgId: 'org_a', total: 10 });
      const versions = () => stream.events.map((e) => parse(e.data)).filter((e) => e.id === run.id);
      await waitFor(() => versions().some((e) => e.status === 'IN_PROGRESS'));
      run.progress(5, 10);
      await api.activity.flush();
      await waitFor(() => versions().some((e) => e.progress?.processed === 5));
      await run.succeed({ synced: 10 });
      await api.activity.flush();
      const final = await waitFor(() => versions().find((e) => e.status === 'SUCCESS'));
      // The event is a summary: the job's outcome is read from its entry.
      expect(final.metadata).toBeUndefined();
      expect((await api.client('a-reader').get(run.id)).metadata).toMatchObject({ synced: 10 });
      // Updates carry no id of their own: the resume position stays the newest entry's.
      const withId = stream.events.filter((e) => parse(e.data).id === run.id && e.id !== undefined);
      expect(withId).toHaveLength(1);
    } finally {
      await stream.stop();
    }
  });

  it('applies the filter, statuses included, even when a job reaches the status later', async () => {
    const response = await api.fetch('/tail?status=FAILED', { token: 'a-reader' });
    const stream = readEvents(response);
    try {
      await waitFor(() => stream.text().includes(': connected'));
      const ok = freshEntry('org_a', 3);
      await api.store.append([ok]);
      const run = api.activity.job('SYNC_SQUARE_STOCK', { orgId: 'org_a' });
      await api.activity.flush();
      await new Promise((r) => setTimeout(r, 200));
      await run.fail(new Error('rate limited'));
      await api.activity.flush();
      const failed = await waitFor(() =>
        stream.events.map((e) => parse(e.data)).find((e) => e.id === run.id),
      );
      expect(failed.status).toBe('FAILED');
      expect(stream.events.map((e) => parse(e.data).status)).toEqual(['FAILED']);
    } finally {
      await stream.stop();
    }
  });

  it('replays what was missed when resumed with Last-Event-ID (header or parameter)', async () => {
    const first = readEvents(await api.fetch('/tail', { token: 'a-reader' }));
    await waitFor(() => first.text().includes(': connected'));
    const before = freshEntry('org_a', 10);
    await api.store.append([before]);
    const seen = await waitFor(() => first.events.find((e) => parse(e.data).id === before.id));
    await first.stop();
    const missed = [freshEntry('org_a', 11), freshEntry('org_a', 12), freshEntry('org_b', 13)];
    await api.store.append(missed);

    for (const how of ['header', 'param'] as const) {
      const response =
        how === 'header'
          ? await api.fetch('/tail', { token: 'a-reader', headers: { 'last-event-id': seen.id! } })
          : await api.fetch(`/tail?lastEventId=${encodeURIComponent(seen.id!)}`, { token: 'a-reader' });
      expect(response.status).toBe(200);
      const resumed = readEvents(response);
      try {
        // New entries carry an id; id-less events are job updates re-sent by the resume's job catch-up.
        const fresh = () => resumed.events.filter((e) => e.id !== undefined);
        await waitFor(() => fresh().length >= 2);
        await new Promise((r) => setTimeout(r, 150));
        const ids = fresh().map((e) => parse(e.data).id);
        expect(ids, how).toEqual([missed[0]!.id, missed[1]!.id]);
        const updates = resumed.events.filter((e) => e.id === undefined).map((e) => parse(e.data));
        expect(
          updates.every((e) => e.type === 'BACKGROUND_JOB' && e.orgId === 'org_a'),
          how,
        ).toBe(true);
      } finally {
        await resumed.stop();
      }
    }
  });

  it('refuses a malformed Last-Event-ID with a 400 naming it', async () => {
    const response = await api.fetch('/tail', { token: 'a-reader', headers: { 'last-event-id': 'garbage' } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { field: string } }).error.field).toBe('Last-Event-ID');
  });
});

describe('client.subscribe', () => {
  it('delivers entries, reconnects with Last-Event-ID after a drop, and stops polling on unsubscribe', async () => {
    const received: ActivityEntrySummary[] = [];
    const errors: ActivityError[] = [];
    let opens = 0;
    const unsubscribe = api
      .client('a-reader')
      .subscribe(
        { types: ['USER_ACTION'] },
        { onEntry: (e) => received.push(e), onError: (e) => errors.push(e), onOpen: () => opens++ },
      );
    try {
      await waitFor(() => opens === 1);
      await new Promise((r) => setTimeout(r, 100));
      const a = freshEntry('org_a', 20);
      await api.store.append([a, freshEntry('org_a', 21, { type: 'WEBHOOK' })]);
      await waitFor(() => received.some((e) => e.id === a.id));

      // Drop every connection: the client must come back and get what arrived meanwhile.
      api.server.closeAllConnections();
      const during = freshEntry('org_a', 22);
      await api.store.append([during]);
      await waitFor(() => received.some((e) => e.id === during.id), 8000);
      expect(opens).toBeGreaterThanOrEqual(2);
      expect(received.map((e) => e.id)).toEqual([a.id, during.id]);
      expect(received.every((e) => e.type === 'USER_ACTION' && e.orgId === 'org_a')).toBe(true);
    } finally {
      unsubscribe();
    }

    // After unsubscribe the server-side loop must stop querying the store.
    let queries = 0;
    const original = api.store.query.bind(api.store);
    api.store.query = async (q) => {
      queries++;
      return original(q);
    };
    try {
      await new Promise((r) => setTimeout(r, 300));
      const settled = queries;
      await new Promise((r) => setTimeout(r, 400));
      expect(queries).toBe(settled);
    } finally {
      api.store.query = original;
    }
  });

  it('reports auth failures as fatal instead of reconnecting', async () => {
    const errors: [ActivityError, boolean][] = [];
    const unsubscribe = api
      .client('nobody')
      .subscribe({}, { onEntry: () => {}, onError: (e, fatal) => errors.push([e, fatal]) });
    try {
      await waitFor(() => errors.length > 0);
      await new Promise((r) => setTimeout(r, 300));
      expect(errors).toHaveLength(1);
      expect(errors[0]![0].code).toBe('UNAUTHORIZED');
      expect(errors[0]![1]).toBe(true);
    } finally {
      unsubscribe();
    }
  });
});
