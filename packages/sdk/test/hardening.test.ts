/**
 * Regression tests for the security review of the server: CSRF on state-changing routes, SSE tail
 * backpressure and connection caps, export file lifetime and paths, the Host header in emailed links,
 * and internal error text in export status.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityRecorder } from '../src/core/api.js';
import { createActivity } from '../src/core/index.js';
import { ActivityError } from '../src/errors.js';
import { createExporter, EXPORT_ACTION, EXPORT_JOB_NAME, type ExportNotice } from '../src/server/export.js';
import { createActivityHandler } from '../src/server/handler.js';
import { createPositionCodec } from '../src/server/http.js';
import { signExportToken } from '../src/server/signing.js';
import { createTailStream } from '../src/server/tail.js';
import { createMemoryStore, generateActivity } from '../src/testing/index.js';
import type { ActivityStore, Viewer } from '../src/types.js';
import { freshEntry, type Harness, startApi, waitFor } from './apiHarness.js';

const SECRET = 'hardening-test-secret-0123456789';

/** Count of an action's entries in org_a (optionally narrowed), after the recorder has written what it holds. */
async function countAction(
  api: Harness,
  action: string,
  where: (metadata: Record<string, unknown> | undefined) => boolean = () => true,
): Promise<number> {
  await api.activity.flush();
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const page = await api.store.query({ orgId: 'org_a', from, limit: 1000 });
  return page.entries.filter((e) => e.action === action && where(e.metadata)).length;
}
/** Streamed (not background) exports: background jobs of earlier tests finish in their own time. */
const streamed = (metadata: Record<string, unknown> | undefined) => metadata?.async === false;

describe('CSRF on state-changing requests', () => {
  let api: Harness;
  const notices: ExportNotice[] = [];
  beforeAll(async () => {
    api = await startApi({
      perOrg: 40,
      allowedOrigins: ['https://admin.example.com'],
      exports: { secret: SECRET, asyncThreshold: 5, notify: (n) => void notices.push(n) },
    });
  });
  afterAll(async () => {
    await api.close();
  });

  it('refuses same-site POSTs (a sibling subdomain), not only cross-site ones', async () => {
    const response = await api.fetch('/exports?range=all', {
      method: 'POST',
      token: 'a-admin',
      headers: { 'sec-fetch-site': 'same-site', origin: 'https://user-content.example.com' },
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
  });

  it('refuses a POST from a foreign Origin even without Sec-Fetch-Site (older browsers)', async () => {
    const before = await countAction(api, EXPORT_JOB_NAME);
    const response = await api.fetch('/exports?range=all', {
      method: 'POST',
      token: 'a-admin',
      headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { field: string } }).error.field).toBe('Origin');
    const nullOrigin = await api.fetch('/exports?range=all', {
      method: 'POST',
      token: 'a-admin',
      headers: { origin: 'null' },
    });
    expect(nullOrigin.status).toBe(403);
    expect(await countAction(api, EXPORT_JOB_NAME)).toBe(before);
  });

  it("accepts POSTs from the server's own origin, from allowedOrigins, and from non-browser clients", async () => {
    const own = new URL(api.baseUrl).origin;
    for (const headers of [
      { origin: own, 'sec-fetch-site': 'same-origin' },
      // Behind a TLS-terminating proxy: the browser's https Origin, the handler's http URL.
      { origin: own.replace(/^http:/, 'https:'), 'sec-fetch-site': 'same-origin' },
      { origin: 'https://admin.example.com', 'sec-fetch-site': 'same-site' },
      {},
    ] as Record<string, string>[]) {
      const response = await api.fetch('/exports?range=1h', { method: 'POST', token: 'a-admin', headers });
      expect(response.status, JSON.stringify(headers)).toBe(202);
    }
  });

  it('refuses a GET /export.csv a cross-site link could trigger, and records no export', async () => {
    const before = await countAction(api, EXPORT_ACTION, streamed);
    // A top-level navigation from another site: Lax cookies ride along, but no custom header can.
    for (const headers of [
      {},
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ] as Record<string, string>[]) {
      const response = await api.fetch('/export.csv?range=1h&type=WEBHOOK', { token: 'a-admin', headers });
      expect(response.status, JSON.stringify(headers)).toBe(403);
      await response.body?.cancel();
    }
    // The marker header does not help a cross-site request that got through (a lax CORS set-up).
    const marked = await api.fetch('/export.csv?range=1h&type=WEBHOOK', {
      token: 'a-admin',
      headers: { 'x-activity-request': '1', 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    });
    expect(marked.status).toBe(403);
    expect(await countAction(api, EXPORT_ACTION, streamed)).toBe(before);

    // The client's header, or the browser's word that this origin (or the user) asked, is enough.
    for (const headers of [
      { 'x-activity-request': '1' },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
    ] as Record<string, string>[]) {
      const response = await api.fetch('/export.csv?range=1h&type=WEBHOOK', { token: 'a-admin', headers });
      expect(response.status, JSON.stringify(headers)).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      await response.text();
    }
  });

  it('does not start a background export from a GET; the client POSTs /exports instead', async () => {
    const jobsBefore = await countAction(api, EXPORT_JOB_NAME);
    const response = await api.fetch('/export.csv?range=all', {
      token: 'a-admin',
      headers: { 'x-activity-request': '1' },
    });
    expect(response.status).toBe(409);
    const body = (await response.json()) as { error: { code: string; message: string; count: number } };
    expect(body.error.code).toBe('CONFLICT');
    expect(body.error.message).toMatch(/POST \/exports/);
    expect(body.error.count).toBeGreaterThan(5);
    expect(await countAction(api, EXPORT_JOB_NAME)).toBe(jobsBefore);

    const result = await api.client('a-admin').exportCsv({ range: 'all' });
    expect(result.kind).toBe('started');
    if (result.kind !== 'started') return;
    await api.activity.flush();
    const job = await api.store.get('org_a', result.jobId);
    expect(job?.action).toBe(EXPORT_JOB_NAME);
  });

  it('fails at construction on a malformed allowedOrigins or publicBaseUrl', () => {
    const base = { store: createMemoryStore(), authorize: () => null };
    expect(() => createActivityHandler({ ...base, allowedOrigins: ['admin.example.com'] })).toThrow(
      expect.objectContaining({ code: 'CONFIG', field: 'allowedOrigins' }),
    );
    expect(() => createActivityHandler({ ...base, publicBaseUrl: 'javascript:alert(1)' })).toThrow(
      expect.objectContaining({ code: 'CONFIG', field: 'publicBaseUrl' }),
    );
  });
});

describe('SSE tail backpressure', () => {
  const codec = createPositionCodec('k'.repeat(32));
  const bulk = async (store: ActivityStore, batches: number, offset = 0) => {
    for (let i = 0; i < batches; i++) {
      await store.append(
        Array.from({ length: 100 }, (_, j) =>
          freshEntry('o', offset + i * 100 + j, { summary: 'x'.repeat(1000) }),
        ),
      );
      await new Promise((r) => setTimeout(r, 15));
    }
  };

  it('stops polling the store while the client is not reading', async () => {
    const store = createMemoryStore();
    let queries = 0;
    const counted: ActivityStore = {
      ...store,
      query: (q) => {
        queries++;
        return store.query(q);
      },
    };
    const ac = new AbortController();
    const stream = createTailStream({
      store: counted,
      orgId: 'o',
      filter: {},
      codec,
      pollMs: 10,
      highWaterMarkBytes: 16_384,
      maxBacklogBytes: 10_000_000,
      signal: ac.signal,
    });
    const reader = stream.getReader();
    try {
      await reader.read();
      await bulk(store, 2);
      // The first batch alone fills the queue past its high-water mark; then the loop must wait.
      await new Promise((r) => setTimeout(r, 150));
      const stalled = queries;
      await new Promise((r) => setTimeout(r, 300));
      // At 10 ms a poll, a loop ignoring backpressure would have queried ~30 more times.
      expect(queries - stalled).toBeLessThanOrEqual(2);
      // Reading again resumes polling.
      for (let i = 0; i < 400; i++) {
        const r = await Promise.race([
          reader.read(),
          new Promise<null>((res) => setTimeout(() => res(null), 30)),
        ]);
        if (!r || r.done) break;
      }
      await vi.waitFor(() => expect(queries - stalled).toBeGreaterThan(5));
    } finally {
      ac.abort();
      await reader.cancel();
    }
  });

  it("closes the stream once a stalled client's backlog passes the cap, ending on a resumable id", async () => {
    const store = createMemoryStore();
    const ac = new AbortController();
    const cap = 64 * 1024;
    // A pinned opening instant before every entry (fault 12): whichever poll sees the first batch sends all
    // of it (~120 kB, past the cap). With the real clock, a batch landing in the opening millisecond was
    // partly taken as already seen, leaving under the cap queued and the stream stalled (1 run in 4).
    const opened = new Date(Date.now() - 1000);
    const stream = createTailStream({
      store,
      orgId: 'o',
      filter: {},
      codec,
      pollMs: 10,
      highWaterMarkBytes: 8_192,
      maxBacklogBytes: cap,
      signal: ac.signal,
      now: () => opened,
      // Whole entries, so each event keeps its 1 kB summary (a summary event clips it to 160 characters).
      fields: 'full',
    });
    const reader = stream.getReader();
    try {
      await reader.read();
      // ~4 MB of events while the consumer reads nothing (the probe queued all of them).
      await bulk(store, 30);
      await new Promise((r) => setTimeout(r, 100));
      let bytes = 0;
      let text = '';
      const decoder = new TextDecoder();
      for (;;) {
        const r = await Promise.race([
          reader.read(),
          new Promise<null>((res) => setTimeout(() => res(null), 5000)),
        ]);
        expect(r, 'the stream should end on its own').not.toBeNull();
        if (!r || r.done) break;
        bytes += r.value.byteLength;
        text += decoder.decode(r.value, { stream: true });
      }
      // One event past the cap at most (the one that crossed it).
      expect(bytes).toBeLessThan(cap + 4096);
      const ids = [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1] ?? '');
      expect(ids.length).toBeGreaterThan(10);
      const last = await codec.decode('o', ids.at(-1) ?? '', 'Last-Event-ID');

      // Resuming from the last id delivered replays what came after it.
      const resumed = createTailStream({
        store,
        orgId: 'o',
        filter: {},
        codec,
        pollMs: 10,
        resumeFrom: last,
      });
      const r2 = resumed.getReader();
      await r2.read();
      const next = await r2.read();
      await r2.cancel();
      expect(new TextDecoder().decode(next.value)).toMatch(/^event: entry\nid: /);
    } finally {
      ac.abort();
      await reader.cancel().catch(() => undefined);
    }
  });

  it('releases the timers of aborted tail connections, including ones aborted before they started', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const store = createMemoryStore();
    const baseline = timers();
    const closed: number[] = [];
    const open = (signal: AbortSignal, i: number) =>
      createTailStream({
        store,
        orgId: 'o',
        filter: {},
        codec,
        pollMs: 60_000,
        heartbeatMs: 60_000,
        signal,
        onClose: () => closed.push(i),
      });
    const readers = [];
    for (let i = 0; i < 10; i++) {
      const ac = new AbortController();
      // Half are aborted before the stream exists (the client left while authorize() ran).
      if (i % 2 === 0) ac.abort();
      const reader = open(ac.signal, i).getReader();
      readers.push({ ac, reader });
    }
    await new Promise((r) => setTimeout(r, 50));
    for (const { ac } of readers) ac.abort();
    await vi.waitFor(() => expect(closed).toHaveLength(10));
    expect(timers()).toBeLessThanOrEqual(baseline);
    // Each stream has ended: whatever was queued before the abort is followed by the end.
    for (const { reader } of readers) {
      let r = await reader.read();
      while (!r.done) r = await reader.read();
      expect(r.done).toBe(true);
    }
  });
});

describe('maxTailConnections', () => {
  const viewers: Record<string, Viewer> = {
    a: { orgId: 'org_a', userId: 'u1', permissions: ['read'] },
    b: { orgId: 'org_b', userId: 'u2', permissions: ['read'] },
  };
  const handler = createActivityHandler({
    store: createMemoryStore(),
    authorize: (req) => viewers[req.headers.get('authorization') ?? ''] ?? null,
    maxTailConnections: { perOrg: 2, total: 3 },
    tailPollMs: 20,
  });
  const tail = async (who: string) => {
    const ac = new AbortController();
    const response = await handler(
      new Request('http://h/tail', { headers: { authorization: who }, signal: ac.signal }),
    );
    return { response, close: () => ac.abort() };
  };

  it('answers 429 with a clear error past the per-org and global caps, and frees slots on disconnect', async () => {
    const a1 = await tail('a');
    const a2 = await tail('a');
    expect([a1.response.status, a2.response.status]).toEqual([200, 200]);
    const a3 = await tail('a');
    expect(a3.response.status).toBe(429);
    const body = (await a3.response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(body.error.message).toMatch(/too many live tail connections for this organization/);
    expect(a3.response.headers.get('retry-after')).toBe('30');

    const b1 = await tail('b');
    expect(b1.response.status).toBe(200);
    const b2 = await tail('b');
    expect(b2.response.status).toBe(429);
    expect(((await b2.response.json()) as { error: { message: string } }).error.message).toMatch(
      /on this server/,
    );

    a1.close();
    await vi.waitFor(async () => {
      const again = await tail('a');
      if (again.response.status === 200) again.close();
      expect(again.response.status).toBe(200);
    });
    a2.close();
    b1.close();
  });

  it('refuses a non-positive cap at construction', () => {
    expect(() =>
      createActivityHandler({
        store: createMemoryStore(),
        authorize: () => null,
        maxTailConnections: { perOrg: 0 },
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG', field: 'maxTailConnections.perOrg' }));
  });
});

describe('export files', () => {
  const NOW = new Date('2026-01-15T12:00:00.000Z');
  const viewer: Viewer = { orgId: 'org_a', userId: 'usr_riley', permissions: ['read', 'export'] };
  let dir: string;
  let store: ActivityStore;
  let activity: ActivityRecorder;
  let clock: Date;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'activity-hardening-'));
    store = createMemoryStore();
    await store.append(generateActivity({ count: 60, orgIds: ['org_a'], now: NOW, spanDays: 2, seed: 3 }));
    activity = createActivity({ store });
    clock = NOW;
  });
  afterEach(async () => {
    await activity.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  const finished = async (exporter: ReturnType<typeof createExporter>, exportId: string) =>
    vi.waitFor(async () => {
      const s = await exporter.status(viewer, exportId);
      expect(s?.status).toBe('SUCCESS');
      return s;
    });

  it('deletes the file and manifest of an export once its link has expired', async () => {
    const exportsDir = join(dir, 'exports');
    const exporter = createExporter({
      store,
      activity,
      secret: SECRET,
      dir: exportsDir,
      linkTtlMs: 1000,
      now: () => clock,
    });
    const { exportId } = await exporter.start(viewer, {}, 'https://app.example.com/api/activity');
    await finished(exporter, exportId);
    const kept = await exporter.start(viewer, { types: ['WEBHOOK'] }, 'https://app.example.com/api/activity');
    await finished(exporter, kept.exportId);
    expect((await readdir(exportsDir)).filter((f) => f.endsWith('.csv.gz'))).toHaveLength(2);

    // Still valid: nothing is removed.
    expect(await exporter.sweep()).toBe(0);
    clock = new Date(NOW.getTime() + 1001);
    expect(await exporter.sweep()).toBe(2);
    expect(await readdir(exportsDir)).toEqual([]);
    expect(await exporter.status(viewer, exportId)).toBeUndefined();
  });

  it('sweeps expired exports on its own when an export is opened', async () => {
    const exportsDir = join(dir, 'exports');
    const exporter = createExporter({
      store,
      activity,
      secret: SECRET,
      dir: exportsDir,
      linkTtlMs: 1000,
      now: () => clock,
    });
    const { exportId } = await exporter.start(viewer, {}, 'https://app.example.com/api/activity');
    const status = await finished(exporter, exportId);
    const token = new URL(status?.url ?? '').searchParams.get('token') ?? '';
    // Past the link lifetime and the minute between automatic sweeps.
    clock = new Date(NOW.getTime() + 61_000);
    expect(await exporter.open(viewer, token, exportId)).toBeUndefined();
    await vi.waitFor(async () => expect(await readdir(exportsDir)).toEqual([]));
  });

  it('refuses a manifest whose file is not a generated name (path traversal)', async () => {
    const exportsDir = join(dir, 'exports');
    await mkdir(exportsDir, { mode: 0o700 });
    const outside = join(dir, 'secret.csv.gz');
    await writeFile(outside, gzipSync('SECRET-ROW\r\n'));
    const exportId = '0b0e1f6a-1111-4222-8333-444455556666';
    const expiresAt = NOW.getTime() + 3_600_000;
    await writeFile(
      join(exportsDir, `${exportId}.json`),
      JSON.stringify({
        exportId,
        jobId: 'j',
        orgId: 'org_a',
        userId: 'usr_riley',
        status: 'SUCCESS',
        filter: {},
        file: '../secret.csv.gz',
        createdAt: NOW.toISOString(),
        expiresAt: new Date(expiresAt).toISOString(),
      }),
    );
    const exporter = createExporter({ store, activity, secret: SECRET, dir: exportsDir, now: () => clock });
    const token = signExportToken({ exportId, orgId: 'org_a', expiresAt }, SECRET);
    expect(await exporter.open(viewer, token, exportId)).toBeUndefined();
    expect(await exporter.status(viewer, exportId)).toBeUndefined();
    // Nor does a sweep delete what such a manifest names.
    clock = new Date(expiresAt + 120_000);
    await exporter.sweep();
    expect((await stat(outside)).isFile()).toBe(true);
  });

  describe('default folder', () => {
    const saved = process.env.TMPDIR;
    const uid = process.getuid?.() ?? 0;
    beforeEach(() => {
      process.env.TMPDIR = dir;
    });
    afterEach(() => {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    });

    it('creates the default folder with mode 0700', async () => {
      const exporter = createExporter({ store, activity, secret: SECRET, now: () => clock });
      const { exportId } = await exporter.start(viewer, {}, 'https://app.example.com');
      await finished(exporter, exportId);
      const info = await stat(join(dir, `activity-exports-${uid}`));
      expect(info.mode & 0o777).toBe(0o700);
    });

    it('refuses a default folder others can read or that another user owns', async () => {
      const taken = join(dir, `activity-exports-${uid}`);
      await mkdir(taken, { mode: 0o755 });
      const exporter = createExporter({ store, activity, secret: SECRET, now: () => clock });
      const refused = await exporter.start(viewer, {}, 'https://app.example.com').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ActivityError);
      expect(refused).toMatchObject({ code: 'CONFIG', field: 'dir' });
      expect((refused as Error).message).toMatch(/pass exports\.dir/);
    });
  });
});

describe('Host header in emailed links', () => {
  let api: Harness;
  const notices: ExportNotice[] = [];
  beforeAll(async () => {
    api = await startApi({
      perOrg: 20,
      publicBaseUrl: 'https://app.example.com/api/activity',
      exports: { secret: SECRET, asyncThreshold: 5, notify: (n) => void notices.push(n) },
    });
  });
  afterAll(async () => {
    await api.close();
  });

  const rawPost = (host: string) => {
    const url = new URL(api.baseUrl);
    return new Promise<number>((resolve, reject) => {
      const rq = httpRequest(
        {
          host: '127.0.0.1',
          port: url.port,
          method: 'POST',
          path: '/api/activity/exports?range=all',
          headers: { host, authorization: 'Bearer a-admin' },
        },
        (r) => {
          r.resume();
          r.on('end', () => resolve(r.statusCode ?? 0));
        },
      );
      rq.on('error', reject);
      rq.end();
    });
  };

  it('builds the download link from publicBaseUrl, whatever Host the request carried', async () => {
    expect(await rawPost('attacker.example')).toBe(202);
    await waitFor(() => notices.length >= 1, 15_000);
    const link = new URL(notices[0]?.url ?? '');
    expect(link.origin).toBe('https://app.example.com');
    expect(link.pathname).toMatch(/^\/api\/activity\/exports\/[0-9a-f-]{36}\/download$/);
  });

  it('does not answer 500 to a malformed Host header', async () => {
    expect(await rawPost('bad host/..\\x')).toBe(202);
  });
});

describe('internal error text', () => {
  const secretText = 'relation "activity_secret_table" does not exist at /var/lib/pg/data';
  const viewer: Viewer = { orgId: 'o', userId: 'u', permissions: ['read'] };

  it("answers a store failure with a generic 500, never the store's message", async () => {
    const failing: ActivityStore = {
      ...createMemoryStore(),
      query: async () => {
        throw new Error(secretText);
      },
      get: async () => {
        throw new Error(secretText);
      },
      querySummaries: async () => {
        throw new Error(secretText);
      },
      facets: async () => {
        throw new Error(secretText);
      },
    };
    const handler = createActivityHandler({ store: failing, authorize: () => viewer });
    for (const path of ['/entries', '/entries/e1', '/facets']) {
      const response = await handler(new Request(`http://h${path}`));
      const text = await response.text();
      expect(response.status, path).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: { code: 'HTTP', message: 'internal error' } });
      expect(text).not.toContain('activity_secret_table');
    }
  });

  it("reports a failed tail poll without the store's message", async () => {
    const failing: ActivityStore = {
      ...createMemoryStore(),
      query: async () => {
        throw new Error(secretText);
      },
    };
    const ac = new AbortController();
    const stream = createTailStream({
      store: failing,
      orgId: 'o',
      filter: {},
      codec: createPositionCodec('k'.repeat(32)),
      pollMs: 10,
      signal: ac.signal,
    });
    const reader = stream.getReader();
    let text = '';
    try {
      while (!text.includes('event: error')) {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain('"code":"STORE_FAILED"');
      expect(text).not.toContain('activity_secret_table');
    } finally {
      ac.abort();
      await reader.cancel().catch(() => undefined);
    }
  });
});
