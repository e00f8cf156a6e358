import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../src/types.js';
import { freshEntry, type Harness, readEvents, startApi, waitFor } from './apiHarness.js';

let api: Harness;

beforeAll(async () => {
  api = await startApi({ perOrg: 20 });
});
afterAll(async () => {
  await api.close();
});

const parse = (data: string) => JSON.parse(data) as ActivityEntry;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

/** A job entry of org_a that started `m` minutes ago and is still running. */
function runningJob(n: number, m: number): ActivityEntry {
  const at = minutesAgo(m);
  return freshEntry('org_a', n, {
    type: 'BACKGROUND_JOB',
    status: 'IN_PROGRESS',
    actor: { kind: 'system', id: 'system' },
    action: 'SYNC_SQUARE_STOCK',
    occurredAt: at,
    recordedAt: at,
    progress: { processed: 0, total: 10 },
  });
}

describe('GET /tail and jobs that started before the connection', () => {
  it('sends the progress and end of a job that was already running when the tail connected', async () => {
    const job = runningJob(1, 30);
    await api.store.append([job]);
    const stream = readEvents(await api.fetch('/tail', { token: 'a-reader' }));
    try {
      await waitFor(() => stream.text().includes(': connected'));
      // Two polls: the running job is known but unchanged, so nothing is sent for it yet.
      await new Promise((r) => setTimeout(r, 150));
      expect(stream.events).toHaveLength(0);
      await api.store.updateJob('org_a', job.id, { progress: { processed: 4, total: 10 } });
      await waitFor(() => stream.events.some((e) => parse(e.data).progress?.processed === 4));
      await api.store.updateJob('org_a', job.id, { status: 'FAILED', completedAt: new Date().toISOString() });
      const ended = await waitFor(() =>
        stream.events.map((e) => parse(e.data)).find((e) => e.status === 'FAILED'),
      );
      expect(ended.id).toBe(job.id);
      // Updates of an old entry never move the resume position.
      expect(stream.events.every((e) => e.id === undefined)).toBe(true);
    } finally {
      await stream.stop();
    }
  });

  it('replays on resume the job updates made while the client was away', async () => {
    const moving = runningJob(2, 20);
    const ending = runningJob(3, 25);
    const quiet = runningJob(4, 26);
    await api.store.append([moving, ending, quiet]);
    const first = readEvents(await api.fetch('/tail', { token: 'a-reader' }));
    await waitFor(() => first.text().includes(': connected'));
    const marker = freshEntry('org_a', 5);
    await api.store.append([marker]);
    const seen = await waitFor(() => first.events.find((e) => parse(e.data).id === marker.id));
    await first.stop();

    // While disconnected: one job moves on, one ends; a job of another org ends too.
    const theirs = { ...runningJob(6, 10), orgId: 'org_b' };
    await api.store.append([theirs]);
    await api.store.updateJob('org_a', moving.id, { progress: { processed: 7, total: 10 } });
    await api.store.updateJob('org_a', ending.id, {
      status: 'SUCCESS',
      completedAt: new Date().toISOString(),
    });
    await api.store.updateJob('org_b', theirs.id, {
      status: 'FAILED',
      completedAt: new Date().toISOString(),
    });

    const resumed = readEvents(
      await api.fetch('/tail', { token: 'a-reader', headers: { 'last-event-id': seen.id! } }),
    );
    try {
      await waitFor(() => resumed.events.length >= 2);
      await new Promise((r) => setTimeout(r, 150));
      const got = resumed.events.map((e) => parse(e.data));
      expect(got.find((e) => e.id === moving.id)?.progress?.processed).toBe(7);
      expect(got.find((e) => e.id === ending.id)?.status).toBe('SUCCESS');
      expect(got.some((e) => e.id === theirs.id || e.orgId !== 'org_a')).toBe(false);
      expect(got.some((e) => e.id === marker.id)).toBe(false);
      // Catch-up events carry no id: Last-Event-ID stays the marker's position.
      expect(resumed.events.every((e) => e.id === undefined)).toBe(true);
      // Still followed after the catch-up.
      await api.store.updateJob('org_a', quiet.id, {
        status: 'WARNING',
        completedAt: new Date().toISOString(),
      });
      await waitFor(() =>
        resumed.events.some((e) => parse(e.data).id === quiet.id && parse(e.data).status === 'WARNING'),
      );
    } finally {
      await resumed.stop();
    }
  });

  it('does not look for jobs when the filter excludes them', async () => {
    const job = runningJob(7, 5);
    await api.store.append([job]);
    const stream = readEvents(await api.fetch('/tail?type=USER_ACTION', { token: 'a-reader' }));
    try {
      await waitFor(() => stream.text().includes(': connected'));
      await api.store.updateJob('org_a', job.id, { status: 'FAILED', completedAt: new Date().toISOString() });
      const user = freshEntry('org_a', 8);
      await api.store.append([user]);
      await waitFor(() => stream.events.some((e) => parse(e.data).id === user.id));
      expect(stream.events.map((e) => parse(e.data).type)).toEqual(['USER_ACTION']);
    } finally {
      await stream.stop();
    }
  });
});

describe('GET /tail and backdated entries', () => {
  it('sends an entry backdated within tailLagMs live, and leaves one backdated beyond it to the list', async () => {
    const wide = await startApi({ perOrg: 5, tailLagMs: 120_000 });
    try {
      const stream = readEvents(await wide.fetch('/tail', { token: 'a-reader' }));
      try {
        await waitFor(() => stream.text().includes(': connected'));
        const late = freshEntry('org_a', 9, { occurredAt: minutesAgo(1) });
        const tooLate = freshEntry('org_a', 10, { occurredAt: minutesAgo(5) });
        await wide.store.append([late, tooLate]);
        await waitFor(() => stream.events.some((e) => parse(e.data).id === late.id));
        await new Promise((r) => setTimeout(r, 150));
        expect(stream.events.some((e) => parse(e.data).id === tooLate.id)).toBe(false);
        const listed = await wide.client('a-reader').list({});
        expect(listed.entries.some((e) => e.id === tooLate.id)).toBe(true);
      } finally {
        await stream.stop();
      }
    } finally {
      await wide.close();
    }
  });
});
