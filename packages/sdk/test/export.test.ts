import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityRecorder } from '../src/core/api.js';
import { createActivity } from '../src/core/index.js';
import { ActivityError } from '../src/errors.js';
import type { ResolvedFilter } from '../src/filters.js';
import { CSV_COLUMNS } from '../src/server/csv.js';
import {
  createExporter,
  EXPORT_ACTION,
  EXPORT_FAILED_MESSAGE,
  EXPORT_JOB_NAME,
  type ExportNotice,
} from '../src/server/export.js';
import { createSqliteStore } from '../src/sqlite/index.js';
import { createMemoryStore, generateActivity } from '../src/testing/index.js';
import type { ActivityStore, Viewer } from '../src/types.js';

/** RFC 4180 reader for the assertions (csv-parse is not installed). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Entry ids of a CSV export (the header is checked and dropped). */
function idsOf(csv: string): string[] {
  const rows = parseCsv(csv.replace(/^\uFEFF/, ''));
  expect(rows[0]).toEqual([...CSV_COLUMNS]);
  return rows.slice(1).map((r) => r[CSV_COLUMNS.indexOf('entry id')] ?? '');
}

const SECRET = 'test-secret-0123456789abcdef';
const NOW = new Date('2026-01-15T12:00:00.000Z');
const viewerA: Viewer = {
  orgId: 'org_a',
  userId: 'usr_riley',
  name: 'Riley Park',
  permissions: ['read', 'export'],
};
const viewerB: Viewer = { orgId: 'org_b', userId: 'usr_bob', name: 'Bob', permissions: ['read', 'export'] };
/** Every seeded entry, none of the entries the tests themselves record (those happen at real "now", after `to`). */
const ALL: ResolvedFilter = { from: '2025-01-01T00:00:00.000Z', to: NOW.toISOString() };
const seed = generateActivity({
  count: 2500,
  orgIds: ['org_a', 'org_b'],
  now: new Date(NOW.getTime() - 1000),
  spanDays: 20,
  seed: 7,
});

const stores: [string, (dir: string) => ActivityStore][] = [
  ['memory store', () => createMemoryStore()],
  ['SQLite store', (dir) => createSqliteStore({ path: join(dir, 'activity.db') })],
];

describe.each(stores)('createExporter on a %s', (_name, makeStore) => {
  let dir: string;
  let store: ActivityStore;
  let activity: ActivityRecorder;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'activity-export-'));
    store = makeStore(dir);
    await store.append(seed);
    // Progress written at once, so the IN_PROGRESS entry can be checked mid-run.
    activity = createActivity({ store, progressIntervalMs: 0 });
  });

  afterEach(async () => {
    await activity.shutdown();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const exporterFor = (over: Partial<Parameters<typeof createExporter>[0]> = {}) =>
    createExporter({ store, activity, secret: SECRET, dir: join(dir, 'exports'), ...over });

  it('refuses a short secret with CONFIG naming the field', () => {
    try {
      createExporter({ store, activity, secret: 'short' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ActivityError);
      expect((e as ActivityError).code).toBe('CONFIG');
      expect((e as ActivityError).field).toBe('secret');
    }
  });

  it('streams every entry of the viewer org across pages, once each', async () => {
    const exporter = exporterFor();
    const ids = idsOf(await readText(exporter.stream(viewerA, ALL)));
    const expected = seed.filter((e) => e.orgId === 'org_a').map((e) => e.id);
    expect(expected.length).toBeGreaterThan(1000);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(expected.sort());
  });

  it('honours the filter and counts the same rows', async () => {
    const exporter = exporterFor();
    const filter: ResolvedFilter = {
      ...ALL,
      types: ['BACKGROUND_JOB', 'WEBHOOK'],
      statuses: ['FAILED', 'WARNING'],
    };
    const expected = seed
      .filter((e) => e.orgId === 'org_a' && ['BACKGROUND_JOB', 'WEBHOOK'].includes(e.type))
      .filter((e) => e.status === 'FAILED' || e.status === 'WARNING')
      .map((e) => e.id);
    expect(expected.length).toBeGreaterThan(0);
    const ids = idsOf(await readText(exporter.stream(viewerA, filter)));
    expect(ids.sort()).toEqual(expected.sort());
    expect(await exporter.count(viewerA, filter)).toBe(expected.length);
  });

  it('exports only the viewer org even when the filter carries another org', async () => {
    const exporter = exporterFor();
    const crafted = { ...ALL, orgId: 'org_b', limit: 1, after: undefined } as unknown as ResolvedFilter;
    const ids = idsOf(await readText(exporter.stream(viewerA, crafted)));
    const orgOf = new Map(seed.map((e) => [e.id, e.orgId]));
    expect(ids.length).toBe(seed.filter((e) => e.orgId === 'org_a').length);
    expect(ids.every((id) => orgOf.get(id) === 'org_a')).toBe(true);
  });

  it('records the export as an audited USER_ACTION with the viewer, filter and rows', async () => {
    const exporter = exporterFor();
    const filter: ResolvedFilter = { ...ALL, types: ['USER_ACTION'] };
    const rows = idsOf(await readText(exporter.stream(viewerA, filter))).length;
    await activity.flush();
    const page = await store.query({
      orgId: 'org_a',
      types: ['USER_ACTION'],
      q: EXPORT_ACTION,
      from: NOW.toISOString(),
    });
    const audit = page.entries.filter((e) => e.action === EXPORT_ACTION);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actor).toMatchObject({ kind: 'user', id: 'usr_riley', name: 'Riley Park' });
    expect(audit[0]?.metadata).toMatchObject({
      rows,
      filter: { types: ['USER_ACTION'], from: ALL.from, to: ALL.to },
    });
    // Nothing leaked into the other org.
    const other = await store.query({ orgId: 'org_b', from: NOW.toISOString() });
    expect(other.entries.filter((e) => e.action === EXPORT_ACTION)).toHaveLength(0);
  });

  it('records an abandoned download as a WARNING export with the rows sent', async () => {
    const exporter = exporterFor();
    const reader = exporter.stream(viewerA, ALL).getReader();
    await reader.read();
    await reader.cancel();
    await activity.flush();
    const audit = (await store.query({ orgId: 'org_a', from: NOW.toISOString() })).entries.filter(
      (e) => e.action === EXPORT_ACTION,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]?.status).toBe('WARNING');
    const rows = Number(audit[0]?.metadata?.rows);
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(seed.filter((e) => e.orgId === 'org_a').length);
  });

  it('refuses a viewer without the export permission', () => {
    const exporter = exporterFor();
    expect(() => exporter.stream({ ...viewerA, permissions: ['read'] }, ALL)).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', field: 'permissions' }),
    );
  });

  it('runs a large export as a job, notifies a signed link and serves the same CSV', async () => {
    let clock = NOW;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const notices: ExportNotice[] = [];
    const exporter = exporterFor({
      now: () => clock,
      asyncThreshold: 100,
      notify: async (n) => {
        notices.push(n);
        await gate;
      },
    });
    expect(exporter.asyncThreshold).toBe(100);
    const filter: ResolvedFilter = { ...ALL, statuses: ['SUCCESS'] };
    const { exportId, jobId } = await exporter.start(
      viewerA,
      filter,
      'https://app.example.com/api/activity/',
    );
    expect(exportId).toMatch(/^[0-9a-f-]{36}$/);

    // While notify is pending the job is still IN_PROGRESS, with its progress recorded.
    await vi.waitFor(() => expect(notices).toHaveLength(1));
    await activity.flush();
    const running = await store.get('org_a', jobId);
    expect(running).toMatchObject({ type: 'BACKGROUND_JOB', action: EXPORT_JOB_NAME, status: 'IN_PROGRESS' });
    expect(running?.actor).toMatchObject({ kind: 'user', id: 'usr_riley' });
    const total = seed.filter((e) => e.orgId === 'org_a' && e.status === 'SUCCESS').length;
    expect(running?.progress).toEqual({ processed: total, total });

    release();
    await vi.waitFor(async () => expect((await exporter.status(viewerA, exportId))?.status).toBe('SUCCESS'));
    await activity.flush();
    const done = await store.get('org_a', jobId);
    expect(done?.status).toBe('SUCCESS');
    expect(done?.metadata).toMatchObject({ rows: total, exportId });
    expect(Number(done?.metadata?.bytes)).toBeGreaterThan(total * 50);

    const notice = notices[0] as ExportNotice;
    expect(notice).toMatchObject({ orgId: 'org_a', userId: 'usr_riley', exportId, rows: total, filter });
    expect(
      notice.url.startsWith(`https://app.example.com/api/activity/exports/${exportId}/download?token=`),
    ).toBe(true);
    expect(Date.parse(notice.expiresAt)).toBe(NOW.getTime() + 86_400_000);
    const status = await exporter.status(viewerA, exportId);
    expect(status).toMatchObject({ exportId, jobId, status: 'SUCCESS', rows: total, url: notice.url });
    // The file name on disk has nothing to do with the export id.
    const files = await readdir(join(dir, 'exports'));
    expect(files.some((f) => f.endsWith('.csv.gz') && !f.includes(exportId))).toBe(true);

    const token = new URL(notice.url).searchParams.get('token') ?? '';
    const opened = await exporter.open(viewerA, token, exportId);
    expect(opened?.filename).toMatch(/^activity-export-2026-01-15-[0-9a-f]{8}\.csv$/);
    const fileCsv = await readText(opened?.stream as ReadableStream<Uint8Array>);
    expect(fileCsv).toBe(await readText(exporter.stream(viewerA, filter)));
    expect(idsOf(fileCsv)).toHaveLength(total);

    // The async export is audited as well, as an export by the viewer linked to its job.
    await activity.flush();
    const audits = (
      await store.query({ orgId: 'org_a', from: NOW.toISOString(), limit: 100 })
    ).entries.filter((e) => e.action === EXPORT_ACTION && e.parentId === jobId);
    expect(audits).toHaveLength(1);
    expect(audits[0]?.metadata).toMatchObject({ rows: total, exportId });

    // Everything wrong gets nothing.
    expect(await exporter.open(viewerB, token, exportId)).toBeUndefined();
    expect(await exporter.status(viewerB, exportId)).toBeUndefined();
    expect(await exporter.open({ ...viewerA, permissions: ['read'] }, token, exportId)).toBeUndefined();
    const [id, expires, sig] = token.split('.') as [string, string, string];
    const flipped = `${sig.slice(0, 5)}${sig[5] === 'A' ? 'B' : 'A'}${sig.slice(6)}`;
    for (const bad of [
      `${id}.${expires}.${flipped}`,
      `${id}.${Number(expires) + 1}.${sig}`,
      `${exportId.replace(/^./, exportId[0] === 'a' ? 'b' : 'a')}.${expires}.${sig}`,
      `../../etc/passwd.${expires}.${sig}`,
      `${token}x`,
      '',
    ]) {
      expect(await exporter.open(viewerA, bad, exportId)).toBeUndefined();
    }
    clock = new Date(NOW.getTime() + 86_400_000 + 1);
    expect(await exporter.open(viewerA, token, exportId)).toBeUndefined();
    expect((await exporter.status(viewerA, exportId))?.url).toBeUndefined();
  });

  it('marks the job FAILED, keeping the error in the job entry and out of the status', async () => {
    let calls = 0;
    const failing: ActivityStore = {
      ...store,
      query: async (q) => {
        calls++;
        if (calls > 1) throw new Error('disk I/O error');
        return store.query(q);
      },
    };
    const exporter = createExporter({ store: failing, activity, secret: SECRET, dir: join(dir, 'exports') });
    const { exportId, jobId } = await exporter.start(viewerA, ALL, 'https://app.example.com');
    await vi.waitFor(async () => expect((await exporter.status(viewerA, exportId))?.status).toBe('FAILED'));
    // The client gets a generic message: a store's own text may name tables or paths.
    expect((await exporter.status(viewerA, exportId))?.error).toBe(EXPORT_FAILED_MESSAGE);
    await activity.flush();
    const job = await store.get('org_a', jobId);
    expect(job?.status).toBe('FAILED');
    expect(job?.error?.message).toBe('disk I/O error');
    // No half-written file is left behind.
    expect((await readdir(join(dir, 'exports'))).filter((f) => f.includes('.csv'))).toEqual([]);
  });

  it('ends with WARNING when notify throws, and keeps the link available', async () => {
    const exporter = exporterFor({
      notify: () => {
        throw new Error('SMTP down');
      },
    });
    const { exportId, jobId } = await exporter.start(
      viewerA,
      { ...ALL, types: ['WEBHOOK'] },
      'https://x.example',
    );
    await vi.waitFor(async () => {
      await activity.flush();
      expect((await store.get('org_a', jobId))?.status).toBe('WARNING');
    });
    expect((await store.get('org_a', jobId))?.summary).toContain('SMTP down');
    expect((await exporter.status(viewerA, exportId))?.url).toContain(`/exports/${exportId}/download?token=`);
  });
});
