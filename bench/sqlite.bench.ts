/**
 * SQLite figures: ingest through the SDK vs raw better-sqlite3, keyset paging depth, first-page latency
 * for each filter axis. Reference and subject run side by side in this process.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createActivity } from '../packages/sdk/src/core/index.js';
import { createSqliteStore } from '../packages/sdk/src/sqlite/index.js';
import { searchText } from '../packages/sdk/src/sqlite/sql.js';
import { generateActivityBatches } from '../packages/sdk/src/testing/index.js';
import type { ActivityEntry, StoreQuery } from '../packages/sdk/src/types.js';
import { describeProfile, profileIngest } from './ingestProfile.js';
import { type BenchOptions, type BenchResult, median, percentile, round, timeMs } from './lib.js';

const tmp = join(import.meta.dirname, '.tmp');
const NOW = new Date('2026-11-01T12:00:00Z');

function rowOf(e: ActivityEntry): unknown[] {
  return [
    e.id,
    e.orgId,
    Date.parse(e.occurredAt),
    e.type,
    e.status,
    e.actor.id,
    e.actor.name ?? null,
    e.entity?.type ?? null,
    e.entity?.id ?? null,
    e.correlationId ?? null,
    e.idempotencyKey ?? null,
    searchText(e),
    JSON.stringify(e),
  ];
}

/** `sqlite-ingest-vs-raw` alone; `count` overrides the event count (an A/B script's smaller run). */
export async function ingest(quick: boolean, count = quick ? 10_000 : 1_000_000): Promise<BenchResult[]> {
  mkdirSync(tmp, { recursive: true });
  const entries: ActivityEntry[] = [];
  for (const batch of generateActivityBatches({
    count,
    batchSize: 10_000,
    orgIds: ['org_ingest'],
    seed: 7,
    now: NOW,
    spanDays: 365,
  })) {
    entries.push(...batch);
  }
  // The SDK receives what a host passes to record(): no id, no timestamps it would generate itself.
  const inputs = entries.map(({ id: _id, recordedAt: _r, schemaVersion: _s, ...rest }) => rest);

  const sdkPath = join(tmp, 'ingest-sdk.db');
  const rawPath = join(tmp, 'ingest-raw.db');

  const runSdk = async (): Promise<number> => {
    rmSync(sdkPath, { force: true });
    const store = createSqliteStore({ path: sdkPath });
    const activity = createActivity({
      store,
      batchSize: 1_000,
      maxQueueBytes: 64 * 1024 * 1024,
      overflow: 'reject',
    });
    const ms = await timeMs(async () => {
      for (let i = 0; i < inputs.length; i++) {
        activity.record(inputs[i] as Parameters<typeof activity.record>[0]);
        // Let the pipeline flush as a host's event loop would; the queue bound is never reached.
        if (i % 5_000 === 4_999) await new Promise((r) => setImmediate(r));
      }
      await activity.flush();
    });
    const stats = activity.stats();
    await activity.shutdown();
    await store.close();
    if (stats.persisted !== count)
      throw new Error(`sdk persisted ${stats.persisted} of ${count}: ${JSON.stringify(stats)}`);
    return ms;
  };

  // Reference: same schema and indexes (created by the store's migrations), one transaction of prepared
  // inserts; building each row (JSON text of the entry, search column) is part of inserting it, as it
  // would be for a host writing the rows by hand.
  const runRaw = async (): Promise<number> => {
    rmSync(rawPath, { force: true });
    createSqliteStore({ path: rawPath }).close();
    const raw = new BetterSqlite3(rawPath);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    const insert = raw.prepare(
      'INSERT INTO activity_entries (id, org_id, occurred_at, type, status, actor_id, actor_name, entity_type, entity_id, correlation_id, idempotency_key, search, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
    );
    const ms = await timeMs(() =>
      raw.transaction(() => {
        for (const e of entries) insert.run(...rowOf(e));
      })(),
    );
    raw.close();
    return ms;
  };

  // Fairness: whichever side runs first pays for a cold JIT and a cold page cache. Both sides run the
  // same count in every round, in alternating order, and each keeps its best round.
  const rounds = quick ? 3 : 2;
  let sdkMs = Number.POSITIVE_INFINITY;
  let rawMs = Number.POSITIVE_INFINITY;
  for (let round_ = 0; round_ < rounds; round_++) {
    if (round_ % 2 === 0) {
      sdkMs = Math.min(sdkMs, await runSdk());
      rawMs = Math.min(rawMs, await runRaw());
    } else {
      rawMs = Math.min(rawMs, await runRaw());
      sdkMs = Math.min(sdkMs, await runSdk());
    }
  }

  const sdkRate = count / (sdkMs / 1000);
  const rawRate = count / (rawMs / 1000);
  const profile = await profileIngest(inputs.slice(0, quick ? 5_000 : 100_000), tmp);
  return [
    {
      name: 'sqlite-ingest-vs-raw',
      value: round(sdkRate / rawRate),
      unit: 'ratio',
      target: '>= 0.8',
      detail: `SDK ${Math.round(sdkRate)} events/s, raw ${Math.round(rawRate)} rows/s, ${count} events, best of ${rounds} alternating rounds; ${describeProfile(profile)}`,
    },
  ];
}

async function paging(quick: boolean): Promise<BenchResult[]> {
  const count = quick ? 20_000 : 1_000_000;
  const depth = quick ? 2_000 : 100_000;
  const path = join(tmp, 'paging.db');
  rmSync(path, { force: true });
  const store = createSqliteStore({ path });
  // 10 orgs, one of them big enough to page 100k deep (the others share the rest).
  const orgIds = [
    'org_big',
    'org_big',
    'org_big',
    'org_big',
    'org_big',
    'org_1',
    'org_2',
    'org_3',
    'org_4',
    'org_5',
    'org_6',
    'org_7',
    'org_8',
    'org_9',
  ];
  for (const batch of generateActivityBatches({
    count,
    batchSize: 20_000,
    orgIds,
    seed: 11,
    now: NOW,
    spanDays: 730,
  })) {
    await store.append(batch);
  }
  await store.optimize();
  const orgId = 'org_big';
  const reps = quick ? 5 : 30;
  const timeQuery = async (q: StoreQuery) => {
    const samples: number[] = [];
    await store.query(q);
    for (let i = 0; i < reps; i++) samples.push(await timeMs(() => store.query(q)));
    return samples;
  };
  const pos = store.db
    .prepare(
      'SELECT occurred_at AS t, id FROM activity_entries WHERE org_id = ? ORDER BY occurred_at DESC, id DESC LIMIT 1 OFFSET ?',
    )
    .get(orgId, depth - 1) as { t: number; id: string };
  const after = { occurredAt: new Date(pos.t).toISOString(), id: pos.id };
  const first = median(await timeQuery({ orgId, limit: 50 }));
  const deep = median(await timeQuery({ orgId, limit: 50, after }));
  const offsetStmt = store.db.prepare(
    'SELECT data FROM activity_entries WHERE org_id = ? ORDER BY occurred_at DESC, id DESC LIMIT 50 OFFSET ?',
  );
  const offsetSamples: number[] = [];
  for (let i = 0; i < reps; i++) {
    offsetSamples.push(
      await timeMs(() => offsetStmt.all(orgId, depth).map((r) => JSON.parse((r as { data: string }).data))),
    );
  }
  const offset = median(offsetSamples);

  const results: BenchResult[] = [
    {
      name: 'sqlite-deep-page-ratio',
      value: round(deep / first),
      unit: 'ratio',
      target: '<= 1.5',
      detail: `depth ${depth}: ${round(deep)} ms vs first page ${round(first)} ms, ${count} entries in 10 orgs`,
    },
    {
      name: 'sqlite-deep-vs-offset',
      value: round(deep / offset),
      unit: 'ratio',
      target: '<= 0.1',
      detail: `keyset ${round(deep)} ms vs OFFSET ${round(offset)} ms`,
    },
  ];

  const user = (
    store.db
      .prepare(
        "SELECT actor_id AS a FROM activity_entries WHERE org_id = ? AND actor_id <> 'system' GROUP BY actor_id ORDER BY count(*) DESC LIMIT 1",
      )
      .get(orgId) as { a: string }
  ).a;
  const from = new Date(NOW.getTime() - 30 * 86_400_000).toISOString();
  const axes: Record<string, Omit<StoreQuery, 'orgId'>> = {
    type: { types: ['BACKGROUND_JOB'] },
    status: { statuses: ['FAILED', 'WARNING'] },
    user: { actorIds: [user] },
    entity: { entityTypes: ['contact'] },
    date: { from, to: NOW.toISOString() },
    all: {
      types: ['USER_ACTION'],
      statuses: ['SUCCESS'],
      actorIds: [user],
      entityTypes: ['contact'],
      from,
      to: NOW.toISOString(),
    },
  };
  for (const [axis, filter] of Object.entries(axes)) {
    const samples = await timeQuery({ orgId, limit: 50, ...filter });
    results.push({
      name: `sqlite-first-page-p95-ms-${axis}`,
      value: round(percentile(samples, 95)),
      unit: 'ms',
      target: 'report (aim < 20)',
      detail: `${count} entries`,
    });
  }
  await store.close();
  return results;
}

export async function run({ quick }: BenchOptions): Promise<BenchResult[]> {
  mkdirSync(tmp, { recursive: true });
  try {
    return [...(await ingest(quick)), ...(await paging(quick))];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
