import { randomBytes } from 'node:crypto';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import fc from 'fast-check';
import { uuidv7 } from 'uuidv7';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ClickHouseStore, createClickHouseStore } from '../src/clickhouse.js';
import { runStoreContract } from '../src/testing/index.js';
import type { ActivityEntry } from '../src/types.js';

// The real ClickHouse engine, in-process: chdb plugs into @clickhouse/client as its connection.
// chdb 3.4 types its connection against @clickhouse/client-common 1.23.0 while @clickhouse/client 1.23.1
// bundles its own copy of those types; the runtime contract is the same, only the declarations differ.
type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
const client: ClickHouseClient = createClient({
  connection: createChdbConnection({ path: ':memory:' }) as unknown as ClientConnection,
});
const databases: string[] = [];

/** A fresh database per store, dropped after the run. */
function databaseName(): string {
  const name = `activity_test_${randomBytes(5).toString('hex')}`;
  databases.push(name);
  return name;
}

function entry(overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  const now = new Date().toISOString();
  return {
    id: uuidv7(),
    orgId: 'org_a',
    occurredAt: now,
    recordedAt: now,
    schemaVersion: 1,
    type: 'BACKGROUND_JOB',
    status: 'IN_PROGRESS',
    actor: { kind: 'system', id: 'system', name: 'System' },
    action: 'SYNC_SQUARE_STOCK',
    ...overrides,
  };
}

afterAll(async () => {
  for (const db of databases) await client.command({ query: `DROP DATABASE IF EXISTS \`${db}\`` });
  await client.close();
});

// Every test of the suite gets an empty store in a database of its own, dropped by `cleanup`.
const contractDatabases = new WeakMap<object, string>();
runStoreContract(
  'clickhouse',
  () => {
    const database = databaseName();
    const store = createClickHouseStore({ client, database });
    contractDatabases.set(store, database);
    return store;
  },
  {
    test: { describe, it, expect, beforeEach, afterEach },
    fastCheck: fc,
    cleanup: async (store) => {
      const database = contractDatabases.get(store);
      if (database) await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    },
  },
);

describe('createClickHouseStore', () => {
  let store: ClickHouseStore;
  let database: string;
  beforeAll(() => {
    database = databaseName();
    store = createClickHouseStore({ client, database });
  });
  afterAll(() => store.close());

  it('makes a job update visible in get and query, and keeps a final status final', async () => {
    const job = entry({ metadata: { processed: 0 } });
    await store.append([job]);
    expect(await store.updateJob(job.orgId, job.id, { progress: { processed: 5, total: 10 } })).toBe(true);
    expect((await store.get(job.orgId, job.id))?.progress).toEqual({ processed: 5, total: 10 });

    expect(
      await store.updateJob(job.orgId, job.id, {
        status: 'SUCCESS',
        metadata: { processed: 10 },
        durationMs: 42,
      }),
    ).toBe(true);
    const done = await store.get(job.orgId, job.id);
    expect(done).toMatchObject({ status: 'SUCCESS', metadata: { processed: 10 }, durationMs: 42 });

    const page = await store.query({ orgId: job.orgId, statuses: ['IN_PROGRESS'] });
    expect(page.entries.map((e) => e.id)).not.toContain(job.id);
    const succeeded = await store.query({ orgId: job.orgId, statuses: ['SUCCESS'] });
    expect(succeeded.entries.filter((e) => e.id === job.id)).toHaveLength(1);

    expect(await store.updateJob(job.orgId, job.id, { status: 'FAILED' })).toBe(false);
    expect((await store.get(job.orgId, job.id))?.status).toBe('SUCCESS');
    const facets = await store.facets({ orgId: job.orgId });
    expect(facets.statuses.find((s) => s.value === 'IN_PROGRESS')).toBeUndefined();
  });

  it('stays correct after the engine merges the row versions', async () => {
    const job = entry({ orgId: 'org_merge' });
    await store.append([job]);
    await store.updateJob(job.orgId, job.id, { status: 'WARNING' });
    await client.command({ query: `OPTIMIZE TABLE \`${database}\`.entries FINAL` });
    const { rows } = await countRows(database, job.id);
    expect(rows).toBe(1);
    expect((await store.get(job.orgId, job.id))?.status).toBe('WARNING');
  });

  it('does not let a second org update a job', async () => {
    const job = entry();
    await store.append([job]);
    expect(await store.updateJob('org_b', job.id, { status: 'SUCCESS' })).toBe(false);
    expect((await store.get(job.orgId, job.id))?.status).toBe('IN_PROGRESS');
  });

  it('declares bloom-filter skipping indexes on actor, correlation and entity ids', async () => {
    await store.migrate();
    const rs = await client.query({
      query: `SELECT name, expr, type FROM system.data_skipping_indices
              WHERE database = {db:String} AND table = 'entries' ORDER BY name`,
      query_params: { db: database },
      format: 'JSONEachRow',
    });
    const indexes = await rs.json<{ name: string; expr: string; type: string }>();
    for (const column of ['actor_id', 'correlation_id', 'entity_id']) {
      expect(indexes).toContainEqual(expect.objectContaining({ expr: column, type: 'bloom_filter' }));
    }
  });

  it('round-trips NUL characters and lone surrogates exactly', async () => {
    const e = entry({
      metadata: { nul: 'a\u0000b', lone: 'x\ud800y', 'k\u0000': ['\udc00'] },
      entity: { type: 'contact', id: 'c1', label: 'Al\ud83dex' },
    });
    await store.append([e]);
    expect(JSON.stringify(await store.get(e.orgId, e.id))).toBe(JSON.stringify(e));
  });

  it('skips ids and idempotency keys already stored, and repeats within a batch', async () => {
    const a = entry({ idempotencyKey: 'evt_1' });
    const sameKey = entry({ idempotencyKey: 'evt_1' });
    const otherOrg = entry({ orgId: 'org_b', idempotencyKey: 'evt_1' });
    expect(await store.append([a, sameKey, a, otherOrg])).toEqual({ inserted: 2, duplicates: 2 });
    expect(await store.append([a, entry({ idempotencyKey: 'evt_1' })])).toEqual({
      inserted: 0,
      duplicates: 2,
    });
  });

  it('finds duplicates in batches larger than one lookup slice', async () => {
    const org = `org_${randomBytes(3).toString('hex')}`;
    const batch = Array.from({ length: 2500 }, (_, i) => entry({ orgId: org, idempotencyKey: `k${i}` }));
    expect(await store.append(batch)).toEqual({ inserted: 2500, duplicates: 0 });
    const again = batch.map((e) => ({ ...e, id: uuidv7() }));
    expect(await store.append([...again, entry({ orgId: org })])).toEqual({ inserted: 1, duplicates: 2500 });
    expect((await store.facets({ orgId: org })).total).toBe(2501);
  });

  it('treats q as a literal substring (wildcards and quotes are not syntax)', async () => {
    const org = `org_${randomBytes(3).toString('hex')}`;
    await store.append([
      entry({ orgId: org, action: "discount_100%'\\x", status: 'SUCCESS' }),
      entry({ orgId: org, action: 'discount_1000', status: 'SUCCESS' }),
    ]);
    expect((await store.query({ orgId: org, q: "100%'\\" })).entries.map((e) => e.action)).toEqual([
      "discount_100%'\\x",
    ]);
    expect((await store.query({ orgId: org, q: 'nt_1' })).entries).toHaveLength(2);
    expect((await store.query({ orgId: org, q: 'nt1' })).entries).toHaveLength(0);
  });
});

describe('fault 4 — ClickHouse holds every date of the range, on any server version', () => {
  let store: ClickHouseStore;
  let database: string;
  beforeAll(() => {
    database = databaseName();
    store = createClickHouseStore({ client, database });
  });
  afterAll(() => store.close());

  /** A row as the store writes it, with the key column clamped the way servers before 2026-07 clamp it. */
  const rawRow = (e: ActivityEntry, occurredAt: string, occurredMs?: number) => ({
    org_id: e.orgId,
    occurred_at: occurredAt,
    ...(occurredMs === undefined ? {} : { occurred_ms: occurredMs }),
    id: e.id,
    version: 1,
    type: e.type,
    status: e.status,
    actor_id: e.actor.id,
    actor_name: e.actor.name ?? '',
    action: e.action,
    search: e.action.toLowerCase(),
    doc: JSON.stringify(e),
  });

  it('fault 4: orders, filters and buckets by the exact time where DateTime64 clamps to 1900-2299', async () => {
    await store.migrate();
    const org = `org_${randomBytes(3).toString('hex')}`;
    const at = (iso: string) => entry({ orgId: org, status: 'SUCCESS', occurredAt: iso, recordedAt: iso });
    const year44 = at('0044-03-15T12:00:00.000Z');
    const year1000 = at('1000-01-01T00:00:00.000Z');
    const year9000 = at('9000-01-01T00:00:00.000Z');
    await client.insert({
      table: `\`${database}\`.entries`,
      values: [
        rawRow(year44, '1900-01-01 00:00:00.000', Date.parse(year44.occurredAt)),
        rawRow(year1000, '1900-01-01 00:00:00.000', Date.parse(year1000.occurredAt)),
        rawRow(year9000, '2299-12-31 23:59:59.999', Date.parse(year9000.occurredAt)),
      ],
      format: 'JSONEachRow',
    });
    const page = await store.query({ orgId: org, limit: 1 });
    expect(page.entries.map((e) => e.id)).toEqual([year9000.id]);
    const next = await store.query({ orgId: org, limit: 1, after: page.next });
    expect(next.entries.map((e) => e.id)).toEqual([year1000.id]);
    const from = await store.query({ orgId: org, from: '0500-01-01T00:00:00.000Z', to: '8000-01-01' });
    expect(from.entries.map((e) => e.id)).toEqual([year1000.id]);
    const hist = await store.histogram({ orgId: org, bucketMs: 86_400_000 });
    expect(hist.map((b) => b.start)).toEqual([
      '0044-03-15T00:00:00.000Z',
      '1000-01-01T00:00:00.000Z',
      '9000-01-01T00:00:00.000Z',
    ]);
    expect(await store.deleteBefore('0500-01-01T00:00:00.000Z', org)).toBe(1);
    expect((await store.facets({ orgId: org })).total).toBe(2);
  });

  it('fault 4: rows written before the occurred_ms migration keep their time', async () => {
    await store.migrate();
    const org = `org_${randomBytes(3).toString('hex')}`;
    const old = entry({ orgId: org, status: 'SUCCESS', occurredAt: '2025-06-01T10:00:00.123Z' });
    await client.insert({
      table: `\`${database}\`.entries`,
      values: [rawRow(old, '2025-06-01 10:00:00.123')],
      format: 'JSONEachRow',
    });
    const fresh = entry({ orgId: org, status: 'SUCCESS', occurredAt: '1850-06-01T10:00:00.000Z' });
    await store.append([fresh]);
    const all = await store.query({ orgId: org });
    expect(all.entries.map((e) => e.id)).toEqual([old.id, fresh.id]);
    const hist = await store.histogram({ orgId: org, bucketMs: 1000, from: '2025-06-01T10:00:00.123Z' });
    expect(hist).toEqual([{ start: '2025-06-01T10:00:00.000Z', count: 1, failures: 0 }]);
  });
});

async function countRows(database: string, id: string): Promise<{ rows: number }> {
  const rs = await client.query({
    query: `SELECT count() AS n FROM \`${database}\`.entries WHERE id = {id:String}`,
    query_params: { id },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: number | string }>();
  return { rows: Number(row?.n) };
}
