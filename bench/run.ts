/**
 * Runs every benchmark, writes bench/results.json and docs/benchmarks.md.
 * `pnpm bench` for the real figures, `pnpm bench --quick` for CI's smoke mode.
 * `pnpm bench --only=record,sqlite` runs a subset; `pnpm bench --scale` runs the PostgreSQL and ClickHouse
 * suites at 10M entries.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg?.split(',');
// `--scale`: the PostgreSQL and ClickHouse suites at 10M entries instead of 2M (an explicit BENCH_*_ROWS wins).
if (process.argv.includes('--scale') && !quick) {
  process.env.BENCH_PG_ROWS ??= '10000000';
  process.env.BENCH_CH_ROWS ??= '10000000';
}

const suites: Array<{
  id: string;
  load: () => Promise<{ run: (o: { quick: boolean }) => Promise<BenchResult[]> }>;
}> = [
  { id: 'record', load: () => import('./record.bench.js') },
  { id: 'sqlite', load: () => import('./sqlite.bench.js') },
  { id: 'rss', load: () => import('./rss.bench.js') },
  { id: 'server', load: () => import('./server.bench.js') },
  { id: 'ui', load: () => import('./ui/index.js') },
  { id: 'integrity', load: () => import('./integrity.bench.js') },
  { id: 'pg', load: () => import('./pg.bench.js') },
  { id: 'clickhouse', load: () => import('./clickhouse.bench.js') },
];

const results: BenchResult[] = [];
let failed = false;
for (const suite of suites) {
  if (only && !only.includes(suite.id)) continue;
  const started = Date.now();
  try {
    const mod = await suite.load();
    const out = await mod.run({ quick });
    results.push(...out);
    for (const r of out)
      console.log(
        `${r.name.padEnd(34)} ${String(r.value).padStart(10)} ${r.unit.padEnd(6)} target ${r.target}${r.detail ? `  (${r.detail})` : ''}`,
      );
    console.log(`  [${suite.id}: ${((Date.now() - started) / 1000).toFixed(1)} s]`);
  } catch (error) {
    failed = true;
    console.error(`benchmark suite ${suite.id} failed:`, error);
  }
}

function meets(r: BenchResult): string {
  const m = r.target.match(/^(<=|>=)\s*([\d.]+)/);
  if (!m) return 'report';
  const bound = Number(m[2]);
  return (m[1] === '<=' ? r.value <= bound : r.value >= bound) ? 'yes' : 'NO';
}

if (quick) {
  console.log(`smoke mode: ${results.length} figures computed (results files left unchanged)`);
} else {
  const file = join(here, 'results.json');
  // Keep figures of suites not run this time (--only), replace the ones that were.
  const previous: BenchResult[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  const names = new Set(results.map((r) => r.name));
  const merged = [...previous.filter((r) => !names.has(r.name)), ...results];
  writeFileSync(
    file,
    `${JSON.stringify(
      merged.map(({ name, value, unit, target }) => ({ name, value, unit, target })),
      null,
      2,
    )}\n`,
  );
  // results.json keeps no detail lines; a partial run (--only) takes the other rows' details from the last report.
  const mdFile = join(here, '..', 'docs', 'benchmarks.md');
  const oldDetails = new Map<string, string>();
  if (existsSync(mdFile)) {
    for (const m of readFileSync(mdFile, 'utf8').matchAll(/^\| `([^`]+)` \|(?:[^|]*\|){4} (.*) \|$/gm)) {
      if (m[1] && m[2]) oldDetails.set(m[1], m[2]);
    }
  }
  for (const r of merged) r.detail ??= oldDetails.get(r.name);
  const rows = merged.map(
    (r) => `| \`${r.name}\` | ${r.value} | ${r.unit} | ${r.target} | ${meets(r)} | ${r.detail ?? ''} |`,
  );
  const md = `# Benchmarks

Measured with \`pnpm bench\` on the project's reference machine (2 cores, Node 20). Every figure is a ratio
against a reference measured in the same run (pino, the raw database driver, a bare virtual list) or an
absolute figure where the issue asks for one. CI runs \`pnpm bench --quick\` (tiny sizes) only to prove the
benchmarks still run; targets are never asserted in tests.

Last full run: ${new Date().toISOString()}

| name | value | unit | target | met | detail |
|---|---|---|---|---|---|
${rows.join('\n')}

## What each figure measures
- \`record-vs-pino\`: time of \`record()\` on the caller's path (quick checks, JSON snapshot, enqueue of a typical job event with a ~1 KB metadata object) ÷ pino's \`info()\` of the same object to /dev/null. The deep validation and redaction of each entry run later, at batch time, off the caller's path; their cost is inside \`sqlite-ingest-vs-raw\`.
- \`record-buffered-vs-pino\`: \`record()\` with the disk buffer (\`buffer: { path }\`: one \`write(2)\` of length + CRC-32 + JSON per entry to a segment file) ÷ pino's \`info()\` of the same object to a file with \`pino.destination({ sync: false })\`.
- \`sqlite-ingest-vs-raw\`: SDK ingest throughput through the batching pipeline into SQLite ÷ raw better-sqlite3 prepared inserts of the same rows in one transaction into the same schema and indexes. The detail line splits the SDK's cost per entry (measured on the first 100k entries, stage by stage, bench/ingestProfile.ts): building the entry, record()'s JSON snapshot, validation of the snapshot (its JSON.parse included), redaction, serialisation (only when redaction changed the entry; otherwise the snapshot text is stored as is), and the SQLite store's append against the raw inserts (which build their row and JSON themselves). What is left between the SDK and the raw inserts is the work raw does not do: the snapshot and its re-parse, the schema check and redaction, about half of the SDK's time; the statements themselves cost less than raw's.
- \`sqlite-deep-page-ratio\`: a page at depth 100k (keyset cursor) ÷ the first page, 1M entries in 10 orgs. \`sqlite-deep-vs-offset\`: the same page ÷ OFFSET paging.
- \`sqlite-first-page-p95-ms-*\`: p95 latency of the first page for each filter axis and all five combined, at 1M entries.
- \`record-rss-plateau\`: peak RSS while recording 1M events into a stalled store (it never answers) ÷ peak RSS at 100k, same 16 MiB bound, each in a fresh process: the bound holds whatever the burst. \`record-rss-overhead-mib\`: peak RSS growth at 1M minus the queue bound (the process around the queue: V8 heap of the batch in flight, code, garbage not yet collected). Replaces \`record-rss-bounded\`, which mixed garbage with retention.
- \`export-rss-ratio\`, \`export-rows-per-s\`: RSS after streaming 1M entries to CSV ÷ after 100k, and rows per second.
- \`list-page-bytes-vs-full\`: bytes of a 50-entry \`GET /entries?fields=compact\` page (entry summaries in the compact form the client and the page request) ÷ the same 50 entries with \`fields=full\`, on the fixture mix; the detail gives the default form's ratio too.
- \`http-first-page-vs-store\`: the first page through the HTTP handler over loopback (kept-alive fetch + json) ÷ the same query on the store, at 1M entries.
- \`handler-vs-bare-http\`: the same ÷ a bare node:http server that runs the query and sends the same summaries (what the handler adds: auth, filter parsing, cursor signing, headers).
- \`client-browser-gz-kb\`: gzipped browser bundle of \`@activity/sdk/client\`.
- \`ui-*\`, \`react-bundle-gz-kb\`: measured in headless Chromium; see bench/ui.
- \`pg-ingest-vs-copy\`: \`store.append\` (batches of 1,000) ÷ raw \`COPY FROM STDIN\` (pg-copy-streams, text format as the store sends it, encoding included and overlapped with the server by the stream) of the same rows into the same table and indexes, alternating in chunks of 50k. \`pg-ingest-vs-single-row\`: ÷ an autocommit single-row INSERT loop of 1% more rows of its own, spread over the whole load into COPY's table (so it meets the same table and indexes at the same size; deleted afterwards). Full run 2M entries, 10M with \`pnpm bench --scale\` (\`BENCH_PG_ROWS\` overrides).
- \`pg-deep-page-ratio\`: a page at depth 100k (or the org's size) ÷ the first page. \`pg-first-page-p95-ms-all\`: type, status, actor, entity type and a 90-day range combined.
- \`pg-export-vs-copy\`: CSV export of one org through the exporter's path (\`csvPagesOf\`: the store's \`queryCsvRows\` pages of 1,000, every cell from columns since migration 6, the next page read while one is rendered by the export's CSV writer, csv-stringify) ÷ \`COPY (SELECT …) TO STDOUT WITH CSV\` of the same rows in the same order.
- \`pg-retention-partition-vs-delete\`: purging the oldest full month by the store's retention step (\`dropPartitionsBefore\`: the month's orgs checked, the month detached, then counted per org on its detached table's \`(org_id)\` index) ÷ a \`DELETE\` of the same rows from the COPY-loaded copy of the table, both months vacuumed first; the background release of the month's keys is in the detail, not in the ratio.
- \`ch-ingest-vs-direct\`: a direct \`client.insert\` ÷ \`store.append\` time for the same batches (so higher is better, like the others), chdb in-process. \`ch-list-vs-final\`: the store's first page (no \`FINAL\`: final entries plus the runs in progress, read through time windows) ÷ the same page with \`FINAL\` over one table of every row version. \`ch-first-page-p95-ms-all\`: the store's query with all five filters.
- \`seal-vs-sha256\`: SHA-256 of every entry's RFC 8785 bytes with node:crypto alone (bytes made beforehand) ÷ sealing the same entries, 1M entries in digests of 10,000, on a SQLite store with \`leafHashes\` (docs/integrity.md): each final entry's leaf (RFC 8785 of the entry object + SHA-256) is kept as it is written, so the seal reads the leaves from the sealing index, hashes the RFC 6962 nodes, signs with Ed25519 and writes the seal rows. The detail gives what that moves to the write (µs per entry on append, and write + seal ÷ SHA-256) and parse + RFC 8785 + SHA-256 alone, the least work sealing from the stored JSON must do. \`verify-entries-per-s\`: \`verifyIntegrity\` over the same org (signatures, chain, every entry's leaf and columns).
- \`bytes-per-entry-*\`: on-disk bytes per entry of the fixture mix: SQLite file, PostgreSQL table + TOAST + indexes, ClickHouse active parts. Full run 2M entries, 10M with \`--scale\` (\`BENCH_CH_ROWS\` overrides).
`;
  writeFileSync(join(here, '..', 'docs', 'benchmarks.md'), md);
  console.log(`wrote bench/results.json and docs/benchmarks.md (${merged.length} figures)`);
}
if (failed) process.exit(1);
