/**
 * The first list page at 1M entries: `list-page-bytes-vs-full` (the summary page's bytes ÷ the same 50
 * entries in full), `http-first-page-vs-store` (through the HTTP handler over loopback, fetch + json ÷ the
 * same query on the store) and `handler-vs-bare-http` (÷ a bare node:http server sending the same bytes);
 * `client-browser-gz-kb`: the gzipped browser bundle of the query client entry.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { resolveFilter } from '../packages/sdk/src/filters.js';
import { createActivityHandler, toNodeHandler } from '../packages/sdk/src/server/index.js';
import { createSqliteStore } from '../packages/sdk/src/sqlite/index.js';
import { summaryWith } from '../packages/sdk/src/summary.js';
import { encodeSummaryPage } from '../packages/sdk/src/summaryPage.js';
import { generateActivityBatches } from '../packages/sdk/src/testing/index.js';
import type { StorePage, SummarySource } from '../packages/sdk/src/types.js';
import { type BenchOptions, type BenchResult, median, round, timeMs } from './lib.js';

const tmp = join(import.meta.dirname, '.tmp-server');

async function firstPage(quick: boolean): Promise<BenchResult[]> {
  const count = quick ? 20_000 : 1_000_000;
  const path = join(tmp, 'handler.db');
  const store = createSqliteStore({ path });
  const now = new Date();
  for (const batch of generateActivityBatches({
    count,
    batchSize: 20_000,
    orgIds: ['org_a', 'org_b', 'org_c', 'org_d', 'org_e', 'org_f', 'org_g', 'org_h', 'org_i', 'org_j'],
    seed: 5,
    now,
    spanDays: 30,
  })) {
    await store.append(batch);
  }
  await store.optimize();
  const handler = createActivityHandler({
    store,
    authorize: () => ({ orgId: 'org_a', userId: 'u_bench', permissions: ['read'] }),
    basePath: '/api/activity',
  });
  // Both servers as a host would run them; fetch (undici) keeps one connection alive, like a browser tab.
  const server = await listen(createServer(toNodeHandler(handler)));
  const query = { orgId: 'org_a', limit: 50, ...resolveFilter({}, now) };
  // The page the client (and so <ActivityLog/>) asks for: summaries in the compact page form.
  const listUrl = `${origin(server)}/api/activity/entries?limit=50`;
  const handlerUrl = `${listUrl}&fields=compact`;
  const handlerBody = new Uint8Array(await (await fetch(handlerUrl)).arrayBuffer());
  const summaryBytes = handlerBody.byteLength;
  const plainSummaryBytes = (await (await fetch(listUrl)).arrayBuffer()).byteLength;
  const fullBytes = (await (await fetch(`${listUrl}&fields=full`)).arrayBuffer()).byteLength;
  // The signed cursor is the handler's work; the bare server sends the same one, so the bytes are equal.
  const { nextCursor } = JSON.parse(new TextDecoder().decode(handlerBody)) as { nextCursor: string | null };
  // What the handler asks the store for a summary page.
  const readSummaries = (): Promise<StorePage<SummarySource>> =>
    store.querySummaries ? store.querySummaries(query) : store.query(query);
  // Second reference: the least any HTTP API can do for this page (the same store call, the same summary
  // page, JSON.stringify, one write), so the ratio isolates what the handler itself adds over the loopback
  // HTTP + JSON cost.
  const bare = await listen(
    createServer((_req, res) => {
      void readSummaries().then((page) => {
        const rows = page.entries.map((e) => summaryWith(e, false));
        const body = JSON.stringify(encodeSummaryPage('org_a', rows, nextCursor));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    }),
  );
  const bareUrl = `${origin(bare)}/api/activity/entries?limit=50`;
  const bareBytes = (await (await fetch(bareUrl)).arrayBuffer()).byteLength;
  if (bareBytes !== summaryBytes)
    throw new Error(`bare server sends ${bareBytes} B, handler ${summaryBytes} B`);
  const reps = quick ? 60 : 300;
  const direct: number[] = [];
  const summaries: number[] = [];
  const http: number[] = [];
  const bareHttp: number[] = [];
  for (let i = 0; i < 20; i++) {
    await store.query(query);
    await readSummaries();
    await (await fetch(handlerUrl)).json();
    await (await fetch(bareUrl)).json();
  }
  // Interleaved, so a burst of load on the machine hits all alike; medians drop the outliers.
  for (let i = 0; i < reps; i++) {
    direct.push(await timeMs(() => store.query(query)));
    summaries.push(await timeMs(() => readSummaries()));
    http.push(await timeMs(async () => (await fetch(handlerUrl)).json()));
    bareHttp.push(await timeMs(async () => (await fetch(bareUrl)).json()));
  }
  await Promise.all([close(server), close(bare)]);
  await store.close();
  const d = median(direct);
  const sm = median(summaries);
  const h = median(http);
  const b = median(bareHttp);
  const detail = `median of ${reps}, ${count} entries, kept-alive fetch + json()`;
  return [
    {
      name: 'list-page-bytes-vs-full',
      value: round(summaryBytes / fullBytes, 3),
      unit: 'ratio',
      target: '<= 0.3',
      detail: `${summaryBytes} B compact summary page (fields=compact, what the client and the page request) vs ${fullBytes} B with fields=full (50 entries, fixture mix); the default summary form (a summary object per row, for API users) ${plainSummaryBytes} B, ratio ${round(plainSummaryBytes / fullBytes, 3)}`,
    },
    {
      name: 'http-first-page-vs-store',
      value: round(h / d),
      unit: 'ratio',
      target: '<= 3',
      detail: `HTTP ${round(h)} ms vs store ${round(d)} ms for the page's entries; the summary read the handler makes ${round(sm)} ms, HTTP ÷ that ${round(h / sm, 2)} (${detail})`,
    },
    {
      name: 'handler-vs-bare-http',
      value: round(h / b),
      unit: 'ratio',
      target: '<= 1.15',
      detail: `handler ${round(h)} ms vs bare node:http sending the same ${summaryBytes} B ${round(b)} ms (${detail})`,
    },
  ];
}

function listen(server: Server): Promise<Server> {
  // A browser keeps its connection open between pages; so does the bench, well past the loop's length.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function origin(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function clientBundle(): Promise<BenchResult> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      lib: {
        entry: join(import.meta.dirname, '..', 'packages/sdk/src/client.ts'),
        formats: ['es'],
        fileName: 'client',
      },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Array<{
    output: Array<{ type: string; code?: string }>;
  }>;
  const code = outputs
    .flatMap((o) => o.output)
    .filter((c) => c.type === 'chunk')
    .map((c) => c.code ?? '')
    .join('\n');
  const gz = gzipSync(code, { level: 9 }).byteLength;
  return {
    name: 'client-browser-gz-kb',
    value: round(gz / 1024, 2),
    unit: 'KiB',
    target: '<= 6',
    detail: `${round(code.length / 1024, 1)} KiB minified`,
  };
}

export async function run({ quick }: BenchOptions): Promise<BenchResult[]> {
  mkdirSync(tmp, { recursive: true });
  try {
    return [...(await firstPage(quick)), await clientBundle()];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
