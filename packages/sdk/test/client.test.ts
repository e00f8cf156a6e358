import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivityClient, toSummary } from '../src/client/index.js';
import { ActivityError } from '../src/errors.js';
import { type Harness, startApi } from './apiHarness.js';

let api: Harness;

beforeAll(async () => {
  api = await startApi({
    perOrg: 120,
    exports: { secret: 'client-test-secret-0123456789', asyncThreshold: 30 },
    retry: { jobs: { SYNC_SQUARE_STOCK: async () => ({ again: true }) } },
  });
});
afterAll(async () => {
  await api.close();
});

describe('createActivityClient', () => {
  it('lists, pages and gets entries with typed results', async () => {
    const client = api.client('a-reader');
    const first = await client.list({ range: 'all', limit: 10 });
    expect(first.entries).toHaveLength(10);
    const second = await client.list({ range: 'all', limit: 10, cursor: first.nextCursor! });
    expect(second.entries).toHaveLength(10);
    expect(second.entries[0]!.occurredAt <= first.entries[9]!.occurredAt).toBe(true);
    expect(new Set([...first.entries, ...second.entries].map((e) => e.id)).size).toBe(20);
    const one = await client.get(first.entries[0]!.id);
    // The list sends summaries; the entry route the whole entry.
    expect(toSummary(one)).toEqual(first.entries[0]);
  });

  it('serialises filters with serializeFilter, the same format the server parses', async () => {
    const urls: string[] = [];
    const client = createActivityClient({
      baseUrl: `${api.baseUrl}/`,
      headers: { authorization: 'Bearer a-reader' },
      fetch: (input, init) => {
        urls.push(String(input));
        return fetch(input, init);
      },
    });
    const page = await client.list({
      statuses: ['WARNING', 'FAILED'],
      types: ['BACKGROUND_JOB'],
      range: '7d',
      limit: 5,
    });
    expect(urls[0]).toBe(
      `${api.baseUrl}/entries?type=BACKGROUND_JOB&status=FAILED&status=WARNING&range=7d&limit=5&fields=compact`,
    );
    for (const e of page.entries) {
      expect(e.type).toBe('BACKGROUND_JOB');
      expect(['FAILED', 'WARNING']).toContain(e.status);
    }
  });

  it('facets, histogram and catalog', async () => {
    const client = api.client('a-reader');
    const facets = await client.facets({ range: 'all' });
    expect(facets.total).toBe(api.seeded.org_a!.length);
    const histogram = await client.histogram({ range: 'all' }, '1d');
    expect(histogram.bucket).toBe('1d');
    expect(histogram.buckets.reduce((n, b) => n + b.count, 0)).toBe(facets.total);
    const catalog = await client.catalog();
    expect(catalog.statuses.map((s) => s.value)).toEqual(['SUCCESS', 'IN_PROGRESS', 'WARNING', 'FAILED']);
  });

  it('calls a headers function on every request (refreshed tokens)', async () => {
    let calls = 0;
    const client = createActivityClient({
      baseUrl: api.baseUrl,
      headers: async () => {
        calls++;
        return { authorization: 'Bearer a-reader' };
      },
    });
    await client.list({ limit: 1 });
    await client.facets();
    expect(calls).toBe(2);
  });

  it('maps failures to ActivityError codes with status and field', async () => {
    const reader = api.client('a-reader');
    const invalid = await reader.list({ limit: 500 }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ActivityError);
    expect(invalid).toMatchObject({ code: 'INVALID_FILTER', field: 'limit', status: 400 });
    await expect(api.client('nobody').list()).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    await expect(reader.retry(api.seeded.org_a![0]!.id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
    await expect(reader.get('missing')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    const job = api.seeded.org_a!.find((e) => e.type === 'USER_ACTION')!;
    await expect(api.client('a-admin').retry(job.id)).rejects.toMatchObject({
      code: 'NOT_RETRYABLE',
      status: 409,
    });
    const offline = createActivityClient({ baseUrl: 'http://127.0.0.1:9/api' });
    await expect(offline.list()).rejects.toMatchObject({ code: 'NETWORK' });
    const proxy = createActivityClient({
      baseUrl: 'http://x',
      fetch: async () => new Response('<html>bad gateway</html>', { status: 502 }),
    });
    await expect(proxy.list()).rejects.toMatchObject({ code: 'HTTP', status: 502 });
  });

  it('exports: streams small sets, starts a job for large ones, and downloads the link', async () => {
    const client = api.client('a-admin');
    const small = await client.exportCsv({ range: '1h' });
    expect(small.kind).toBe('file');
    if (small.kind !== 'file') return;
    expect(small.filename).toMatch(/\.csv$/);
    const text = await small.response.text();
    expect(text.split('\n')[0]).toMatch(/time/i);

    const large = await client.exportCsv({ range: 'all' });
    expect(large.kind).toBe('started');
    if (large.kind !== 'started') return;
    let state = await client.getExport(large.exportId);
    const deadline = Date.now() + 15_000;
    while (!state.url && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      state = await client.getExport(large.exportId);
    }
    expect(state.status).toBe('SUCCESS');
    const file = await client.download(state.url!);
    expect(await file.text()).toContain(api.seeded.org_a![0]!.id);

    const again = await client.startExport({ types: ['WEBHOOK'] });
    expect(again.exportId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(api.client('a-reader').startExport()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('client.list summaries', () => {
  it('decodes the compact page into the summaries of the full entries, in order', async () => {
    const client = api.client('a-reader');
    // Up to a minute ago: entries the other tests record meanwhile (export jobs) cannot change between reads.
    const to = new Date(Date.now() - 60_000).toISOString();
    const summary = await client.list({ to, limit: 100 });
    const full = await client.list({ to, limit: 100, fields: 'full' });
    expect(summary.entries.length).toBeGreaterThan(50);
    expect(summary.entries).toEqual(full.entries.map((e) => toSummary(e)));
    expect(summary.nextCursor).toEqual(full.nextCursor);
    // Defaults left out on the wire come back, so rows read as before.
    expect(summary.entries.some((e) => e.type === 'USER_ACTION' && e.status === 'SUCCESS')).toBe(true);
    expect(summary.entries.every((e) => typeof e.actor.kind === 'string')).toBe(true);
  });

  it('rejects a page whose rows point past its actors or actions', async () => {
    const client = createActivityClient({
      baseUrl: 'http://fake.test',
      fetch: async () =>
        Response.json({
          orgId: 'org_a',
          entries: [{ id: 'x', occurredAt: 0, actor: 3, action: 0 }],
          actors: [],
          actions: ['a'],
          nextCursor: null,
        }),
    });
    await expect(client.list()).rejects.toMatchObject({ code: 'HTTP' });
  });
});

describe('client.subscribe', () => {
  it('removes its wait listener after each reconnect (regression: one abort listener per reconnect)', async () => {
    let signal: AbortSignal | undefined;
    let connects = 0;
    const client = createActivityClient({
      baseUrl: 'http://fake.test',
      // A stream that ends at once with a 1 ms retry hint: the client waits, then reconnects, again and again.
      fetch: async (_input, init) => {
        signal = init?.signal ?? undefined;
        connects++;
        return new Response('retry: 1\n: connected\n\n', {
          headers: { 'content-type': 'text/event-stream' },
        });
      },
    });
    const unsubscribe = client.subscribe({}, { onEntry: () => undefined });
    try {
      await expect.poll(() => connects, { timeout: 10_000 }).toBeGreaterThanOrEqual(25);
      // At most the wait under way holds one; before the fix every past wait's listener was still there.
      expect(getEventListeners(signal as AbortSignal, 'abort').length).toBeLessThanOrEqual(1);
    } finally {
      unsubscribe();
    }
  });
});

describe('client bundle', () => {
  const src = join(dirname(fileURLToPath(import.meta.url)), '../src');
  it('imports nothing from Node, zod or the server', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      for (const [, spec] of code.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)) {
        if (spec!.startsWith('import type')) continue;
        expect(spec, file).not.toMatch(/^node:|^zod|server|sqlite|^better-sqlite3|^pg$/);
        if (spec!.startsWith('.')) visit(join(dirname(file), spec!.replace(/\.js$/, '.ts')));
      }
    };
    visit(join(src, 'client.ts'));
    expect(seen.size).toBeGreaterThanOrEqual(4);
  });

  it('stays within 6 KB gzipped for the browser', async () => {
    const { build } = await import('vite');
    const result = await build({
      logLevel: 'silent',
      configFile: false,
      build: {
        write: false,
        minify: true,
        lib: { entry: join(src, 'client.ts'), formats: ['es'], fileName: 'client' },
        rollupOptions: { external: [] },
      },
    });
    const outputs = (Array.isArray(result) ? result : [result]) as {
      output: { type: string; code?: string }[];
    }[];
    const code = outputs
      .flatMap((r) => r.output)
      .map((o) => (o.type === 'chunk' ? (o.code ?? '') : ''))
      .join('');
    expect(code).toContain('createActivityClient');
    const kb = gzipSync(code).length / 1024;
    console.info(`client entry: ${kb.toFixed(2)} KB gzipped`);
    expect(kb).toBeLessThanOrEqual(6);
  });
});
