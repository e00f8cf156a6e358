/**
 * ClickHouse figures on the real engine in-process (chdb): SDK ingest vs a direct `client.insert` of the
 * same rows into the same table, the store's first page (no FINAL) vs the same page read with FINAL from
 * one ReplacingMergeTree holding every row version (the design before runs had their own table), first
 * page with all filters, bytes per entry; and the SQLite bytes per entry of the same fixture for
 * comparison. Job runs are written IN_PROGRESS, progress and finish through the store (and as row
 * versions into the FINAL table), so FINAL has versions to resolve. 2M entries in the full run
 * (`BENCH_CH_ROWS` overrides), 5k in --quick.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createClickHouseStore } from '../packages/sdk/src/clickhouse/index.js';
import { createSqliteStore } from '../packages/sdk/src/sqlite/index.js';
import { generateActivityBatches } from '../packages/sdk/src/testing/index.js';
import type { ActivityEntry } from '../packages/sdk/src/types.js';
import { chdbClient } from './drivers.js';
import { type BenchOptions, type BenchResult, median, percentile, round } from './lib.js';

const NOW = new Date('2026-11-01T12:00:00Z');
const BATCH = 1_000;
const tmp = join(import.meta.dirname, '.tmp');

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The row the store writes, built here for the direct insert (same columns and values). */
function directRow(e: ActivityEntry) {
  const ms = Date.parse(e.occurredAt);
  return {
    org_id: e.orgId,
    occurred_at: new Date(ms).toISOString().replace('T', ' ').replace('Z', ''),
    occurred_ms: ms,
    id: e.id,
    version: 1,
    type: e.type,
    status: e.status,
    actor_id: e.actor.id,
    actor_name: e.actor.name ?? '',
    action: e.action,
    entity_type: e.entity?.type ?? '',
    entity_id: e.entity?.id ?? '',
    correlation_id: e.correlationId ?? '',
    parent_id: e.parentId ?? '',
    idempotency_key: e.idempotencyKey ?? '',
    search: [e.action, e.entity?.label, e.actor.name, e.summary].filter(Boolean).join('\u001f').toLowerCase(),
    doc: JSON.stringify(e),
  };
}

/** Job runs near NOW in one org: appended IN_PROGRESS, one progress update, nine in ten finished. */
async function runJobs(
  sdk: ReturnType<typeof createClickHouseStore>,
  client: ReturnType<typeof chdbClient>,
  orgId: string,
  count: number,
): Promise<void> {
  const runs: ActivityEntry[] = Array.from({ length: count }, (_, i) => {
    const at = new Date(NOW.getTime() - 3_600_000 + i * 1000).toISOString();
    return {
      id: `run_${String(i).padStart(6, '0')}`,
      orgId,
      occurredAt: at,
      recordedAt: at,
      schemaVersion: 1,
      type: 'BACKGROUND_JOB',
      status: 'IN_PROGRESS',
      actor: { kind: 'system', id: 'system', name: 'System' },
      action: 'PROCESS_RELEASE_PAYMENTS',
      progress: { processed: 0, total: 100 },
    };
  });
  await sdk.append(runs);
  const versions: ReturnType<typeof directRow>[] = runs.map((r) => directRow(r));
  for (const [i, run] of runs.entries()) {
    const progress = { progress: { processed: 50, total: 100 } };
    await sdk.updateJob(orgId, run.id, progress);
    versions.push({ ...directRow({ ...run, ...progress }), version: 2 });
    if (i % 10 === 9) continue;
    const done = { status: 'SUCCESS' as const, progress: { processed: 100, total: 100 }, durationMs: 900 };
    await sdk.updateJob(orgId, run.id, done);
    versions.push({ ...directRow({ ...run, ...done }), version: 3 });
  }
  await client.insert({
    table: 'bench_direct.entries',
    values: versions,
    format: 'JSONEachRow',
    clickhouse_settings: { insert_deduplication_token: 'bench-runs' },
  });
}

async function timings(fn: () => Promise<unknown>, runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const start = process.hrtime.bigint();
    await fn();
    if (i >= 2) out.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return out;
}

/** Runs the ClickHouse (and SQLite bytes) figures. */
export async function run({ quick }: BenchOptions): Promise<BenchResult[]> {
  const count = quick ? 5_000 : Number(process.env.BENCH_CH_ROWS ?? 2_000_000);
  const orgIds = Array.from({ length: quick ? 2 : 10 }, (_, i) => `org_bench_${i}`);
  const dir = join(tmp, `ch-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const client = chdbClient(join(dir, 'chdb'));
  const sdk = createClickHouseStore({ client, database: 'bench_sdk' });
  const direct = createClickHouseStore({ client, database: 'bench_direct' });
  await sdk.migrate();
  await direct.migrate();
  const sqlitePath = join(dir, 'bytes.db');
  const sqlite = createSqliteStore({ path: sqlitePath });
  let sdkS = 0;
  let directS = 0;
  try {
    for (const batch of generateActivityBatches({
      count,
      batchSize: BATCH,
      orgIds,
      seed: 11,
      now: NOW,
      spanDays: 730,
    })) {
      sdkS += await seconds(() => sdk.append(batch));
      // Its own deduplication token per batch, as the store's insert has: set explicitly, since chdb's
      // session would otherwise carry over the token of the store's last insert.
      directS += await seconds(() =>
        client.insert({
          table: 'bench_direct.entries',
          values: batch.map(directRow),
          format: 'JSONEachRow',
          clickhouse_settings: { insert_deduplication_token: `direct-${(batch[0] as ActivityEntry).id}` },
        }),
      );
      await sqlite.append(batch);
    }
    const orgId = orgIds[0] as string;
    const runCount = quick ? 20 : 500;
    await runJobs(sdk, client, orgId, runCount);
    // The previous design's first page: FINAL over one table holding every row version.
    const finalPage = (window: string) =>
      timings(async () => {
        const rs = await client.query({
          query: `SELECT doc FROM bench_direct.entries FINAL WHERE org_id = {org:String} ${window}
                  ORDER BY occurred_at DESC, occurred_ms DESC, id DESC LIMIT 51`,
          query_params: { org: orgId },
          format: 'JSONEachRow',
        });
        for (const r of await rs.json<{ doc: string }>()) JSON.parse(r.doc);
      }, 20);
    const withFinal = median(await finalPage(''));
    const withFinalDay = median(
      await finalPage(
        `AND occurred_at >= toDateTime64('${new Date(NOW.getTime() - 86_400_000).toISOString().slice(0, 19).replace('T', ' ')}', 3, 'UTC')`,
      ),
    );
    const withoutFinal = median(await timings(() => sdk.query({ orgId, limit: 50 }), 20));
    const all = percentile(
      await timings(
        () =>
          sdk.query({
            orgId,
            limit: 50,
            types: ['BACKGROUND_JOB'],
            statuses: ['SUCCESS'],
            actorIds: ['system'],
            entityTypes: ['release'],
            from: new Date(NOW.getTime() - 90 * 86_400_000).toISOString(),
            to: NOW.toISOString(),
          }),
        50,
      ),
      95,
    );
    const rs = await client.query({
      query: `SELECT sum(bytes_on_disk) AS n FROM system.parts WHERE active AND database = 'bench_sdk'
              AND table IN ('entries', 'entries_runs', 'entries_keys')`,
      format: 'JSONEachRow',
    });
    const chBytes = Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
    sqlite.db.pragma('wal_checkpoint(TRUNCATE)');
    const sqliteBytes = statSync(sqlitePath).size;
    return [
      {
        name: 'ch-ingest-vs-direct',
        value: round(directS / sdkS),
        unit: 'ratio',
        target: '>= 0.8',
        detail: `store.append ${Math.round(count / sdkS)} rows/s (one lookup on entries_keys, which both tables' views feed, rows encoded as TabSeparated while it runs, insert with a dedup token), client.insert ${Math.round(count / directS)} rows/s (JSONEachRow with a dedup token of its own per batch, into the same table and its lookup view), ${count} entries in batches of ${BATCH}, chdb in-process`,
      },
      {
        name: 'ch-list-vs-final',
        value: round(withoutFinal / withFinal),
        unit: 'ratio',
        target: 'report (aim <= 0.5)',
        detail: `first page of one org (50 entries): store.query, no FINAL (entries + runs in progress, read through time windows) ${round(withoutFinal)} ms vs FINAL over one table of every row version ${round(withFinal)} ms (the same FINAL read limited to the last day: ${round(withFinalDay)} ms); medians of 20, ${count} entries + ${runCount} runs (IN_PROGRESS, progress, 9 in 10 finished)`,
      },
      {
        name: 'ch-first-page-p95-ms-all',
        value: round(all, 2),
        unit: 'ms',
        target: 'report',
        detail: `store.query with type, status, actor, entity type and 90 days (no FINAL), p95 of 50, ${count} entries`,
      },
      {
        name: 'bytes-per-entry-ch',
        value: Math.round(chBytes / count),
        unit: 'bytes',
        target: 'report',
        detail: `active parts on disk of entries, entries_runs and entries_keys (doc ZSTD(3), LZ4 elsewhere), before merges settle, ${count} fixture entries`,
      },
      {
        name: 'bytes-per-entry-sqlite',
        value: Math.round(sqliteBytes / count),
        unit: 'bytes',
        target: 'report',
        detail: `file after a WAL checkpoint, table and indexes, ${count} fixture entries`,
      },
    ];
  } finally {
    await sdk.close();
    await direct.close();
    await sqlite.close();
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
