/**
 * PostgreSQL figures, each against the raw driver in the same run: SDK ingest vs COPY FROM STDIN and vs
 * a single-row INSERT loop, keyset depth, first page with all filters, CSV export vs COPY TO STDOUT,
 * bytes per entry. Rows: 2M in the full run (`BENCH_PG_ROWS` overrides), 5k in --quick.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { copyTextLine } from '../packages/sdk/src/postgres/copyAppend.js';
import { createPostgresStore, type PostgresStore } from '../packages/sdk/src/postgres/index.js';
import { partitionName } from '../packages/sdk/src/postgres/partitions.js';
import { INSERT_COLUMNS, rowOf } from '../packages/sdk/src/postgres/store.js';
import { cellRowsToCsv } from '../packages/sdk/src/server/csv.js';
import { csvPagesOf } from '../packages/sdk/src/server/export.js';
import { generateActivityBatches } from '../packages/sdk/src/testing/index.js';
import type { ActivityEntry, StoreQuery } from '../packages/sdk/src/types.js';
import { PG_URL, pg, pgCopy } from './drivers.js';
import { type BenchOptions, type BenchResult, median, percentile, round } from './lib.js';

const NOW = new Date('2026-11-01T12:00:00Z');
const BATCH = 1_000;

function* batches(count: number, orgIds: string[]): Generator<ActivityEntry[]> {
  yield* generateActivityBatches({ count, batchSize: BATCH, orgIds, seed: 11, now: NOW, spanDays: 730 });
}

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

async function seconds(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function newStore(admin: InstanceType<typeof pg.Pool>, schemas: string[]): Promise<PostgresStore> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  schemas.push(schema);
  const store = createPostgresStore({
    connectionString: PG_URL,
    schema,
    statementTimeoutMs: 0,
    queryTimeoutMs: 0,
  });
  await store.migrate();
  // The fixture reaches two years back: its months exist before the load, as they would have in production.
  await store.maintainPartitions({
    from: new Date(NOW.getTime() - 731 * 86_400_000).toISOString(),
    to: NOW.toISOString(),
  });
  void admin;
  return store;
}

async function ingestFigures(
  admin: InstanceType<typeof pg.Pool>,
  schemas: string[],
  count: number,
  orgIds: string[],
) {
  const sdk = await newStore(admin, schemas);
  const raw = await newStore(admin, schemas);
  const [, rawSchema] = schemas;
  const columns = INSERT_COLUMNS.map(([c]) => c).join(', ');
  const placeholders = INSERT_COLUMNS.map(([, t], i) => `$${i + 1}::${t}`).join(', ');
  const singleCount = Math.max(500, Math.floor(count / 100));
  // The loop's own rows (another seed: ids and keys the other sides never write), spread over the
  // whole load: after each chunk, its share goes into COPY's table, one autocommit INSERT each, so the
  // loop meets the same table and indexes at the same size as the store and COPY. They are deleted
  // again afterwards, so the later figures read the same rows on both sides.
  const loopRows = (function* () {
    for (const b of generateActivityBatches({
      count: singleCount,
      batchSize: BATCH,
      orgIds,
      seed: 12,
      now: NOW,
      spanDays: 730,
    }))
      yield* b;
  })();
  const loopIds: string[] = [];
  const client = await raw.pool.connect();
  let sdkS = 0;
  let copyS = 0;
  let singleS = 0;
  let singleInserted = 0;
  // Rows are generated untimed, in chunks; each chunk goes to the store and to COPY in turn, timed
  // alone, so both sides see the same rows with the same table size and cache state. The side that goes
  // second flushes the first one's dirty buffers and WAL (shared_buffers is smaller than a chunk), so
  // the order alternates from chunk to chunk.
  let chunk: ActivityEntry[][] = [];
  let flushes = 0;
  let loaded = 0;
  const viaStore = async () => {
    sdkS += await seconds(async () => {
      for (const batch of chunk) await sdk.append(batch);
    });
  };
  const viaCopy = async () => {
    copyS += await seconds(async () => {
      const stream = client.query(pgCopy.from(`COPY "${rawSchema}".entries (${columns}) FROM STDIN`));
      // The text format, as the store sends it: cheaper than CSV on both sides for rows of JSON.
      await pipeline(async function* () {
        for (const batch of chunk) yield batch.map((e) => copyTextLine(rowOf(e))).join('');
      }, stream);
    });
  };
  const viaLoop = async () => {
    const quota = Math.ceil((singleCount * loaded) / count) - loopIds.length;
    const rows: ActivityEntry[] = [];
    for (let i = 0; i < quota; i++) {
      const next = loopRows.next();
      if (next.done) break;
      rows.push(next.value);
    }
    singleS += await seconds(async () => {
      for (const e of rows) {
        const r = await raw.pool.query(
          `INSERT INTO "${rawSchema}".entries (${columns}) VALUES (${placeholders}) ON CONFLICT DO NOTHING`,
          rowOf(e),
        );
        singleInserted += r.rowCount ?? 0;
      }
    });
    loopIds.push(...rows.map((e) => e.id));
  };
  const flush = async () => {
    loaded += chunk.reduce((n, b) => n + b.length, 0);
    const sides = flushes++ % 2 === 0 ? [viaStore, viaCopy] : [viaCopy, viaStore];
    for (const side of sides) await side();
    await viaLoop();
    chunk = [];
  };
  for (const batch of batches(count, orgIds)) {
    chunk.push(batch);
    if (chunk.length * BATCH >= 50_000) await flush();
  }
  if (chunk.length) await flush();
  client.release();
  await raw.pool.query(`DELETE FROM "${rawSchema}".entries WHERE id = ANY($1::text[])`, [loopIds]);
  await raw.close();
  const singleDone = loopIds.length;
  const rawTable = `"${rawSchema}".entries`;
  const sdkRate = count / sdkS;
  const copyRate = count / copyS;
  const singleRate = singleDone / singleS;
  return {
    store: sdk,
    rawTable,
    results: [
      {
        name: 'pg-ingest-vs-copy',
        value: round(sdkRate / copyRate),
        unit: 'ratio',
        target: '>= 0.7',
        detail: `store.append (batches of ${BATCH}: keys into entry_keys, then the rows that won them by COPY, text format, ordered by month, org and time, encoded while the server works) ${Math.round(sdkRate)} rows/s, COPY FROM STDIN (text format, rows as they come, encoding included and overlapped) ${Math.round(copyRate)} rows/s, ${count} entries in chunks of 50k, each to both sides in turn (first side alternating), same table and indexes`,
      },
      {
        name: 'pg-ingest-vs-single-row',
        value: round(sdkRate / singleRate),
        unit: 'ratio',
        target: '>= 10',
        detail: `single-row INSERT loop (autocommit, ON CONFLICT DO NOTHING) ${Math.round(singleRate)} rows/s over ${singleDone} rows of their own (${singleInserted} inserted), spread over the load into COPY's table (same table and indexes, at the same size), deleted afterwards`,
      },
    ] satisfies BenchResult[],
  };
}

async function latency(store: PostgresStore, query: StoreQuery, runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const start = process.hrtime.bigint();
    await store.query(query);
    if (i >= 3) out.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return out;
}

async function readFigures(
  store: PostgresStore,
  schema: string,
  count: number,
  orgId: string,
): Promise<BenchResult[]> {
  const table = `"${schema}".entries`;
  const { rows: sized } = await store.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`,
    [orgId],
  );
  const perOrg = sized[0]?.n ?? 0;
  const depth = Math.min(100_000, Math.max(0, perOrg - 100));
  const { rows: at } = await store.pool.query<{ occurred_at: Date; id: string }>(
    `SELECT occurred_at, id FROM ${table} WHERE org_id = $1 ORDER BY occurred_at DESC, id DESC OFFSET ${depth} LIMIT 1`,
    [orgId],
  );
  const row = at[0];
  if (!row) throw new Error(`org ${orgId} has no entry at depth ${depth}`);
  const cursor = { occurredAt: row.occurred_at.toISOString(), id: row.id };
  const first = median(await latency(store, { orgId, limit: 50 }, 30));
  const deep = median(await latency(store, { orgId, limit: 50, after: cursor }, 30));
  // All five filters: the most common value of each axis, the newest 90 days.
  const common = async (column: string) =>
    (
      await store.pool.query<{ v: string }>(
        `SELECT ${column} AS v FROM ${table} WHERE org_id = $1 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`,
        [orgId],
      )
    ).rows[0]?.v as string;
  const all: StoreQuery = {
    orgId,
    limit: 50,
    types: [await common('type')],
    statuses: [await common('status')],
    actorIds: [await common('actor_id')],
    entityTypes: [await common('entity_type')],
    from: new Date(NOW.getTime() - 90 * 86_400_000).toISOString(),
    to: NOW.toISOString(),
  };
  const p95 = percentile(await latency(store, all, 50), 95);

  let exported = 0;
  // The exporter's own path (GET /export streams it, the background job gzips it): pages of cells read
  // by the store's queryCsvRows, rendered as CSV.
  const exportS = await seconds(async () => {
    await pipeline(
      cellRowsToCsv(csvPagesOf(store, { orgId }), {
        onEnd: (n) => (exported = n),
      }) as unknown as AsyncIterable<Uint8Array>,
      sink(),
    );
  });
  const client = await store.pool.connect();
  const copyS = await seconds(async () => {
    // The same rows and order; the org id is a benchmark constant, spliced as a literal (COPY takes no parameters).
    const out = client.query(
      pgCopy.to(
        `COPY (SELECT occurred_at, type, status, actor_name, actor_id, action, entity_type, entity_id, id, doc FROM ${table}
               WHERE org_id = '${orgId}' ORDER BY occurred_at DESC, id DESC) TO STDOUT WITH (FORMAT csv)`,
      ),
    );
    await pipeline(out, sink());
  });
  client.release();
  const { rows: bytes } = await store.pool.query<{ n: string }>(
    `SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree($1::regclass)),
                     pg_total_relation_size($1::regclass))::bigint AS n`,
    [table],
  );
  return [
    {
      name: 'pg-deep-page-ratio',
      value: round(deep / first),
      unit: 'ratio',
      target: '<= 1.5',
      detail: `depth ${depth}: ${round(deep)} ms vs first page ${round(first)} ms (medians of 30), ${perOrg} entries in the org, ${count} in all`,
    },
    {
      name: 'pg-first-page-p95-ms-all',
      value: round(p95, 2),
      unit: 'ms',
      target: 'report (aim < 20)',
      detail: `type, status, actor, entity type and 90 days combined; p95 of 50; ${count} entries`,
    },
    {
      name: 'pg-export-vs-copy',
      value: round(exportS === 0 ? 0 : exported / exportS / (perOrg / copyS)),
      unit: 'ratio',
      target: '>= 0.7',
      detail: `CSV export (the exporter's path: store.queryCsvRows, cells from columns, next page read while one is written) ${Math.round(exported / exportS)} rows/s (${exported} rows, pages of 1000), COPY (SELECT …) TO STDOUT CSV ${Math.round(perOrg / copyS)} rows/s`,
    },
    {
      name: 'bytes-per-entry-pg',
      value: Math.round(Number(bytes[0]?.n ?? 0) / count),
      unit: 'bytes',
      target: 'report',
      detail: `table, TOAST and every index, ${count} fixture entries`,
    },
  ];
}

/**
 * Purging the oldest full months, one at a time: the store drops each month's partition (what retention
 * does) ÷ a DELETE of the same rows from the COPY-loaded copy of the table. One month's DELETE varies by
 * half between runs on this machine (188 to 318 ms at 2M entries), so the ratio sums three months.
 */
async function retentionFigure(
  store: PostgresStore,
  admin: InstanceType<typeof pg.Pool>,
  rawTable: string,
  sdkSchema: string,
  orgIds: string[],
  months: number,
): Promise<BenchResult> {
  const { rows } = await admin.query<{ lo: Date }>(`SELECT min(occurred_at) AS lo FROM ${rawTable}`);
  const lo = rows[0]?.lo as Date;
  const monthStart = (k: number) => new Date(Date.UTC(lo.getUTCFullYear(), lo.getUTCMonth() + k, 1));
  // Only whole months are timed: the older, partial one goes first, untimed, with its keys.
  await store.dropPartitionsBefore(monthStart(1).toISOString(), { orgs: orgIds });
  await store.maintainPartitions();
  let [deleteS, dropS, releaseS, dropped] = [0, 0, 0, 0];
  for (let k = 1; k <= months; k++) {
    const [from, to] = [monthStart(k), monthStart(k + 1)];
    // A month old enough for retention was vacuumed long ago (autovacuum after its inserts); one written
    // minutes ago on a loaded machine may not be yet, and its first reader, the DELETE or the count,
    // would set every row's hint bits. Both sides get the state they have in production.
    const month = partitionName(from);
    for (const schema of [rawTable.split('.')[0], `"${sdkSchema}"`])
      await admin.query(`VACUUM (ANALYZE) ${schema}."${month}"`);
    // Each side starts with no dirty buffers (untimed): otherwise the side going second pays for writing
    // out the first one's (the DELETE dirties every page of its month), as a drop run hours after
    // another job does not.
    await admin.query('CHECKPOINT');
    deleteS += await seconds(async () => {
      await admin.query(`DELETE FROM ${rawTable} WHERE occurred_at >= $1 AND occurred_at < $2`, [from, to]);
    });
    await admin.query('CHECKPOINT');
    // The store's pool closes a connection idle for 10 s, which the VACUUMs, CHECKPOINTs and DELETE in
    // between can exceed on a loaded machine: like the DELETE's, its connection is open before timing.
    await store.pool.query('SELECT 1');
    dropS += await seconds(async () => {
      dropped += (await store.dropPartitionsBefore(to.toISOString(), { orgs: orgIds })).entries;
    });
    // The month's rows in entry_keys go in the background after the drop; maintainPartitions waits for it.
    releaseS += await seconds(() => store.maintainPartitions());
  }
  return {
    name: 'pg-retention-partition-vs-delete',
    value: round(dropS / deleteS, 4),
    unit: 'ratio',
    target: '<= 0.05',
    detail: `${months} whole month(s) one by one (${dropped} entries in all; each side's month vacuumed first, as a month old enough for retention is, and a CHECKPOINT before each side): partition drops (orgs checked, detach, count per org) ${round(dropS * 1000)} ms vs DELETEs ${round(deleteS * 1000)} ms; their keys released and tables dropped afterwards in the background in ${round(releaseS * 1000)} ms (the DELETEs' VACUUM is not counted either)`,
  };
}

/** Runs the PostgreSQL figures; each schema is dropped afterwards. */
export async function run({ quick }: BenchOptions): Promise<BenchResult[]> {
  const count = quick ? 5_000 : Number(process.env.BENCH_PG_ROWS ?? 2_000_000);
  const orgIds = Array.from({ length: quick ? 2 : 10 }, (_, i) => `org_bench_${i}`);
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  const schemas: string[] = [];
  try {
    const { store, results, rawTable } = await ingestFigures(admin, schemas, count, orgIds);
    const reads = await readFigures(store, schemas[0] as string, count, orgIds[0] as string);
    const retention = await retentionFigure(
      store,
      admin,
      rawTable,
      schemas[0] as string,
      orgIds,
      quick ? 1 : 3,
    );
    await store.close();
    return [...results, ...reads, retention];
  } finally {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await admin.end();
  }
}
