/**
 * ClickHouse figures on the real engine in-process (chdb): SDK ingest vs a direct `client.insert` of the
 * same rows, the first page with and without FINAL, first page with all filters, bytes per entry; and
 * the SQLite bytes per entry of the same fixture for comparison. 2M entries in the full run
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
      directS += await seconds(() =>
        client.insert({ table: 'bench_direct.entries', values: batch.map(directRow), format: 'JSONEachRow' }),
      );
      await sqlite.append(batch);
    }
    const orgId = orgIds[0] as string;
    const where = 'org_id = {org:String}';
    const page = (final: string, extra = '') =>
      timings(async () => {
        const rs = await client.query({
          query: `SELECT doc FROM bench_sdk.entries ${final} WHERE ${where} ${extra} ORDER BY occurred_at DESC, occurred_ms DESC, id DESC LIMIT 51`,
          query_params: { org: orgId },
          format: 'JSONEachRow',
        });
        await rs.json();
      }, 20);
    const withFinal = median(await page('FINAL'));
    // Without FINAL: the newest version of each id wins (LIMIT 1 BY id over the version order).
    const withoutFinal = median(
      await timings(async () => {
        const rs = await client.query({
          query: `SELECT doc FROM (SELECT doc, occurred_at, occurred_ms, id FROM bench_sdk.entries WHERE ${where}
                  ORDER BY occurred_at DESC, occurred_ms DESC, id DESC, version DESC LIMIT 1 BY id LIMIT 51)`,
          query_params: { org: orgId },
          format: 'JSONEachRow',
        });
        await rs.json();
      }, 20),
    );
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
      query: `SELECT sum(bytes_on_disk) AS n FROM system.parts WHERE active AND database = 'bench_sdk' AND table = 'entries'`,
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
        detail: `store.append ${Math.round(count / sdkS)} rows/s (existence lookups + insert with dedup token), client.insert ${Math.round(count / directS)} rows/s, ${count} entries in batches of ${BATCH}, chdb in-process`,
      },
      {
        name: 'ch-list-vs-final',
        value: round(withoutFinal / withFinal),
        unit: 'ratio',
        target: 'report (aim <= 0.5)',
        detail: `first page of one org: LIMIT 1 BY id ${round(withoutFinal)} ms vs FINAL ${round(withFinal)} ms (medians of 20), ${count} entries`,
      },
      {
        name: 'ch-first-page-p95-ms-all',
        value: round(all, 2),
        unit: 'ms',
        target: 'report',
        detail: `store.query with type, status, actor, entity type and 90 days (FINAL), p95 of 50, ${count} entries`,
      },
      {
        name: 'bytes-per-entry-ch',
        value: Math.round(chBytes / count),
        unit: 'bytes',
        target: 'report',
        detail: `active parts on disk (doc ZSTD(3), LZ4 elsewhere), before merges settle, ${count} fixture entries`,
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
