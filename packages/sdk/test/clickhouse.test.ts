import { randomBytes } from 'node:crypto';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import fc from 'fast-check';
import { uuidv7 } from 'uuidv7';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lookupChunks, lookupSql } from '../src/clickhouse/append.js';
import { MIGRATIONS } from '../src/clickhouse/migrations.js';
import { rowOf } from '../src/clickhouse/rows.js';
import { type ClickHouseStore, createClickHouseStore } from '../src/clickhouse.js';
import { runStoreContract } from '../src/testing/index.js';
import type { ActivityEntry } from '../src/types.js';
import { wireText } from './arbitraries.js';

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

  it('looks up a batch of 1000 entries with idempotency keys in one request', async () => {
    const sent: string[] = [];
    const counted = createClickHouseStore({ client: recording(sent), database });
    const org = `org_${randomBytes(3).toString('hex')}`;
    const batch = Array.from({ length: 1000 }, (_, i) =>
      entry({
        orgId: org,
        status: 'SUCCESS',
        idempotencyKey: `stripe:evt_${i}_${randomBytes(8).toString('hex')}`,
      }),
    );
    await counted.append(batch.slice(0, 10));
    sent.length = 0;
    expect(await counted.append(batch)).toEqual({ inserted: 990, duplicates: 10 });
    expect(sent.filter((sql) => sql.includes('JSONExtract'))).toHaveLength(1);
    await counted.close();
  });

  it('finds duplicates in a batch whose lookup values take several requests', async () => {
    const sent: string[] = [];
    const counted = createClickHouseStore({ client: recording(sent), database });
    const org = `org_${randomBytes(3).toString('hex')}`;
    // Long keys: 2500 of them overflow one request's URL budget.
    const key = (i: number) => `${'é'.repeat(100)}_${i}`;
    const batch = Array.from({ length: 2500 }, (_, i) => entry({ orgId: org, idempotencyKey: key(i) }));
    expect(await counted.append(batch)).toEqual({ inserted: 2500, duplicates: 0 });
    const again = batch.map((e) => ({ ...e, id: uuidv7() }));
    sent.length = 0;
    expect(await counted.append([...again, entry({ orgId: org })])).toEqual({
      inserted: 1,
      duplicates: 2500,
    });
    expect(sent.filter((sql) => sql.includes('JSONExtract')).length).toBeGreaterThan(1);
    expect((await counted.facets({ orgId: org })).total).toBe(2501);
    await counted.close();
  });

  it('splits lookup values into requests within the URL budget, in order, none lost', () => {
    fc.assert(
      fc.property(
        fc.array(wireText(12), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 400 }),
        (values, budget) => {
          const chunks = lookupChunks(values, budget);
          expect(chunks.flatMap((c) => JSON.parse(c) as string[])).toEqual(values);
          for (const c of chunks) {
            const n = (JSON.parse(c) as string[]).length;
            if (n > 1) expect(encodeURIComponent(c).length).toBeLessThanOrEqual(budget);
            expect(n).toBeGreaterThan(0);
          }
        },
      ),
    );
    expect(lookupChunks([])).toEqual(['[]']);
  });

  it('finds stored ids and idempotency keys holding quotes, backslashes, tabs, CR, LF, NUL and emoji', async () => {
    const org = `org_${randomBytes(3).toString('hex')}`;
    // Rows travel as TabSeparated: tab, CR, LF, `\N` and a trailing backslash are its specials.
    const odd = [
      'a"b',
      'c\\d',
      'e\nf',
      'g\u0000h',
      '\u{1F600}',
      "i'j",
      '[1,2]',
      '\\u0000',
      't\tu',
      'v\rw',
      '\\N',
      'x\\',
    ];
    const batch = odd.map((text, i) =>
      entry({ orgId: org, status: 'SUCCESS', id: `id_${text}_${i}`, idempotencyKey: `key_${text}` }),
    );
    expect(await store.append(batch)).toEqual({ inserted: odd.length, duplicates: 0 });
    const sameKeys = batch.map((e) => ({ ...e, id: uuidv7() }));
    expect(await store.append([...batch, ...sameKeys])).toEqual({ inserted: 0, duplicates: 2 * odd.length });
  });

  it('round-trips any text through the insert exactly, and finds it again as a duplicate (property)', async () => {
    const text = wireText(10);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 40 }), async (cells) => {
        const org = `org_${randomBytes(3).toString('hex')}`;
        const batch = cells.map(([a, b], i) =>
          entry({
            orgId: org,
            status: i % 3 === 0 ? 'IN_PROGRESS' : 'SUCCESS',
            summary: a,
            actor: { kind: 'user', id: `usr_${b}`, name: a },
            entity: { type: 'contact', id: b, label: a },
            idempotencyKey: `key_${i}_${b}`,
            metadata: { a, b },
          }),
        );
        expect(await store.append(batch)).toEqual({ inserted: batch.length, duplicates: 0 });
        for (const e of batch) expect(JSON.stringify(await store.get(e.orgId, e.id))).toBe(JSON.stringify(e));
        const sameKeys = batch.map((e) => ({ ...e, id: uuidv7() }));
        expect(await store.append([...batch, ...sameKeys])).toEqual({
          inserted: 0,
          duplicates: 2 * batch.length,
        });
      }),
      { numRuns: 15 },
    );
  });

  it('finds duplicates across many batches at size (ids, keys, runs), reading a few granules of the lookup table', async () => {
    const db = databaseName();
    const big = createClickHouseStore({ client, database: db });
    const org = `org_${randomBytes(3).toString('hex')}`;
    // 30 inserts leave several parts in the lookup table, as a long ingest does between merges.
    const batches = Array.from({ length: 30 }, (_, b) =>
      Array.from({ length: 1000 }, (_, i) =>
        entry({ orgId: org, status: 'SUCCESS', idempotencyKey: i % 10 === 0 ? `evt_${b}_${i}` : undefined }),
      ),
    );
    for (const b of batches) expect(await big.append(b)).toEqual({ inserted: 1000, duplicates: 0 });
    const running = entry({ orgId: org });
    expect(await big.append([running])).toEqual({ inserted: 1, duplicates: 0 });
    const fresh = entry({ orgId: org, status: 'SUCCESS' });
    const stored = [0, 14, 29].flatMap((b) => (batches[b] as ActivityEntry[]).slice(495, 505));
    const retry = [
      ...stored,
      entry({ orgId: org, idempotencyKey: 'evt_7_10' }),
      { ...running, metadata: { retried: true } },
      fresh,
      fresh,
    ];
    expect(await big.append(retry)).toEqual({ inserted: 1, duplicates: stored.length + 3 });
    expect((await big.facets({ orgId: org })).total).toBe(30_002);
    // The existence check goes through the lookup table's primary key, not a scan of every granule.
    const tables = { keys: `\`${db}\`.entries_keys`, runs: `\`${db}\`.entries_runs` };
    const rs = await client.query({
      query: `EXPLAIN indexes = 1 ${lookupSql(tables)}`,
      query_params: { ks: JSON.stringify((batches[14] as ActivityEntry[]).map((e) => `i${e.id}`)) },
      format: 'TabSeparatedRaw',
    });
    const plan = await rs.text();
    const keysPlan = plan.slice(plan.indexOf('entries_keys'));
    const [, read, total] =
      /Granules: (\d+)\/(\d+)/.exec(keysPlan.slice(keysPlan.indexOf('PrimaryKey'))) ?? [];
    expect(Number(total)).toBeGreaterThan(100);
    expect(Number(read) * 4).toBeLessThan(Number(total));
    await big.close();
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

/** Every statement a client sends, for checks on the SQL the store runs. */
function recording(sent: string[]): ClickHouseClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'query' || prop === 'command') {
        return (params: { query: string }) => {
          sent.push(params.query);
          return (Reflect.get(target, prop, receiver) as (p: unknown) => unknown).call(target, params);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  }) as ClickHouseClient;
}

/** Inserts a row version the way the store did before migration 3 (or a writer racing another). */
async function putRow(database: string, e: ActivityEntry, version: number): Promise<void> {
  await client.insert({
    table: `\`${database}\`.entries`,
    values: [rowOf(e, version)],
    format: 'JSONEachRow',
    clickhouse_settings: { insert_deduplication_token: randomBytes(8).toString('hex') },
  });
}

describe('ClickHouse reads without FINAL (runs in entries_runs)', () => {
  let store: ClickHouseStore;
  let database: string;
  const sent: string[] = [];
  beforeAll(() => {
    database = databaseName();
    store = createClickHouseStore({ client: recording(sent), database });
  });
  afterAll(() => store.close());
  const org = () => `org_${randomBytes(3).toString('hex')}`;
  const statuses = async (orgId: string) =>
    Object.fromEntries((await store.facets({ orgId })).statuses.map((s) => [s.value, s.count]));

  it('list, facets and histogram never read the entries table with FINAL', async () => {
    const orgId = org();
    await store.append([entry({ orgId }), entry({ orgId, status: 'SUCCESS' })]);
    sent.length = 0;
    await store.query({ orgId });
    await store.query({ orgId, statuses: ['SUCCESS'], from: '2020-01-01', limit: 1 });
    await store.facets({ orgId });
    await store.histogram({ orgId, bucketMs: 3_600_000 });
    expect(sent.length).toBeGreaterThan(3);
    for (const sql of sent) expect(sql).not.toMatch(new RegExp(`\`${database}\`\\.\`entries\` FINAL`));
    expect(sent.some((sql) => sql.includes('`entries_runs` FINAL'))).toBe(true);
  });

  it('shows a run that progresses and then finishes once, with its newest state, and keeps one row of it in entries', async () => {
    const orgId = org();
    const job = entry({ orgId, progress: { processed: 0, total: 10 } });
    await store.append([job, entry({ orgId, status: 'SUCCESS', action: 'other' })]);
    expect(await countRows(database, job.id)).toEqual({ rows: 0 });
    await store.updateJob(orgId, job.id, { progress: { processed: 5, total: 10 } });
    const running = (await store.query({ orgId })).entries.filter((e) => e.id === job.id);
    expect(running.map((e) => [e.status, e.progress?.processed])).toEqual([['IN_PROGRESS', 5]]);
    expect(await statuses(orgId)).toEqual({ IN_PROGRESS: 1, SUCCESS: 1 });

    await store.updateJob(orgId, job.id, { status: 'FAILED', progress: { processed: 7, total: 10 } });
    const page = await store.query({ orgId });
    expect(page.entries.filter((e) => e.id === job.id).map((e) => [e.status, e.progress?.processed])).toEqual(
      [['FAILED', 7]],
    );
    expect(await statuses(orgId)).toEqual({ FAILED: 1, SUCCESS: 1 });
    const hist = await store.histogram({ orgId, bucketMs: 86_400_000 });
    expect(hist.reduce((n, b) => n + b.count, 0)).toBe(2);
    expect(hist.reduce((n, b) => n + b.failures, 0)).toBe(1);
    expect(await countRows(database, job.id)).toEqual({ rows: 1 });
  });

  it('shows a run once when its finish stopped between the two inserts (final version in entries, run still open)', async () => {
    const orgId = org();
    const job = entry({ orgId });
    await store.append([job]);
    const done = { ...job, status: 'SUCCESS' as const, summary: 'done' };
    await putRow(database, done, 2);
    expect((await store.query({ orgId })).entries).toEqual([done]);
    expect((await store.query({ orgId, statuses: ['IN_PROGRESS'] })).entries).toEqual([]);
    expect(await statuses(orgId)).toEqual({ SUCCESS: 1 });
    expect((await store.histogram({ orgId, bucketMs: 86_400_000 })).map((b) => b.count)).toEqual([1]);
    expect(await store.get(orgId, job.id)).toEqual(done);
    expect(await store.updateJob(orgId, job.id, { status: 'FAILED' })).toBe(false);
    expect(await store.listOrgs()).toContain(orgId);
  });

  it('never shows a duplicate twice: a retried append is skipped, a row two racing writers both stored is read once and pages past it', async () => {
    const orgId = org();
    const batch = [0, 1, 2].map((i) =>
      entry({ orgId, status: 'SUCCESS', occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }),
    );
    expect(await store.append(batch)).toEqual({ inserted: 3, duplicates: 0 });
    expect(await store.append(batch)).toEqual({ inserted: 0, duplicates: 3 });
    // Both writers passed the existence check with different batches: the same row landed twice.
    await putRow(database, batch[1] as ActivityEntry, 1);
    expect(await countRows(database, batch[1]?.id ?? '')).toEqual({ rows: 2 });
    const all = await store.query({ orgId });
    expect(all.entries.map((e) => e.id)).toEqual([batch[2]?.id, batch[1]?.id, batch[0]?.id]);
    const seen: string[] = [];
    let after: { occurredAt: string; id: string } | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await store.query({ orgId, limit: 1, after });
      seen.push(...page.entries.map((e) => e.id));
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual([batch[2]?.id, batch[1]?.id, batch[0]?.id]);
  });

  it('frees the ids and idempotency keys of deleted entries, as the other stores do', async () => {
    const orgId = org();
    const old = entry({
      orgId,
      status: 'SUCCESS',
      occurredAt: '2021-01-01T00:00:00.000Z',
      idempotencyKey: 'evt_1',
    });
    await store.append([old]);
    expect(await store.append([old])).toEqual({ inserted: 0, duplicates: 1 });
    expect(await store.deleteBefore('2022-01-01T00:00:00.000Z', orgId)).toBe(1);
    expect(await store.append([old])).toEqual({ inserted: 1, duplicates: 0 });
  });
});

describe('ClickHouse lookup table (fed by the entries and the runs table)', () => {
  let store: ClickHouseStore;
  let database: string;
  beforeAll(() => {
    database = databaseName();
    store = createClickHouseStore({ client, database });
  });
  afterAll(() => store.close());
  const org = () => `org_${randomBytes(3).toString('hex')}`;
  /** The lookup values of `e` held by the lookup table (what `append`'s check reads, and only that). */
  const looked = async (e: ActivityEntry) => {
    const rs = await client.query({
      query: `SELECT DISTINCT k FROM \`${database}\`.entries_keys WHERE org_id = {org:String} AND id = {id:String} ORDER BY k`,
      query_params: { org: e.orgId, id: e.id },
      format: 'JSONEachRow',
    });
    return (await rs.json<{ k: string }>()).map((r) => r.k);
  };

  it("holds a run's id and idempotency key from its append in progress, beside a final entry of the same batch", async () => {
    const orgId = org();
    const done = entry({ orgId, status: 'SUCCESS', idempotencyKey: 'evt_done' });
    const running = entry({ orgId, idempotencyKey: 'job_1' });
    expect(await store.append([done, running])).toEqual({ inserted: 2, duplicates: 0 });
    expect(await looked(running)).toEqual([`i${running.id}`, `k${orgId}\u0000job_1`]);
    expect(await looked(done)).toEqual([`i${done.id}`, `k${orgId}\u0000evt_done`]);
    expect(
      await store.append([
        { ...running, metadata: { retried: true } },
        entry({ orgId, idempotencyKey: 'job_1' }),
      ]),
    ).toEqual({ inserted: 0, duplicates: 2 });
    // Progress and finish keep one key per value (the table's merges fold the repeats).
    await store.updateJob(orgId, running.id, { progress: { processed: 1, total: 2 } });
    await store.updateJob(orgId, running.id, { status: 'SUCCESS' });
    expect(await looked(running)).toEqual([`i${running.id}`, `k${orgId}\u0000job_1`]);
    expect(await store.append([entry({ orgId, idempotencyKey: 'job_1' })])).toEqual({
      inserted: 0,
      duplicates: 1,
    });
  });

  it("keeps both views' keys of one batch when the lookup table deduplicates inserts, as a replicated one does", async () => {
    // Both inserts of a batch carry one token; each view's block must keep a token of its own.
    const db = databaseName();
    const dedup = createClickHouseStore({ client, database: db });
    await dedup.migrate();
    await client.command({
      query: `ALTER TABLE \`${db}\`.entries_keys MODIFY SETTING non_replicated_deduplication_window = 1000`,
    });
    const orgId = org();
    const done = entry({ orgId, status: 'SUCCESS', idempotencyKey: 'evt_1' });
    const running = entry({ orgId, idempotencyKey: 'job_1' });
    expect(await dedup.append([done, running])).toEqual({ inserted: 2, duplicates: 0 });
    expect(
      await dedup.append([
        entry({ orgId, idempotencyKey: 'job_1' }),
        entry({ orgId, idempotencyKey: 'evt_1' }),
      ]),
    ).toEqual({
      inserted: 0,
      duplicates: 2,
    });
    await dedup.close();
  });

  it('frees the id and idempotency key of a deleted run in progress', async () => {
    const orgId = org();
    const old = entry({ orgId, occurredAt: '2021-01-01T00:00:00.000Z', idempotencyKey: 'job_old' });
    const kept = entry({ orgId, idempotencyKey: 'job_new' });
    await store.append([old, kept]);
    expect(await store.append([entry({ orgId, idempotencyKey: 'job_old' })])).toEqual({
      inserted: 0,
      duplicates: 1,
    });
    expect(await store.deleteBefore('2022-01-01T00:00:00.000Z', orgId)).toBe(1);
    expect(await looked(old)).toEqual([]);
    expect(await looked(kept)).toHaveLength(2);
    expect(await store.append([old])).toEqual({ inserted: 1, duplicates: 0 });
    expect(await store.append([entry({ orgId, idempotencyKey: 'job_new' })])).toEqual({
      inserted: 0,
      duplicates: 1,
    });
  });
});

/** A new database with the store's migrations up to `version` applied, as a store of that time left it. */
async function databaseAfter(version: number) {
  const database = databaseName();
  const db = `\`${database}\``;
  const tables = {
    main: `${db}.\`entries\``,
    runs: `${db}.\`entries_runs\``,
    keys: `${db}.\`entries_keys\``,
    keysView: `${db}.\`entries_keys_mv\``,
    runsKeysView: `${db}.\`entries_runs_keys_mv\``,
  };
  await client.command({ query: `CREATE DATABASE ${db}` });
  await client.command({
    query: `CREATE TABLE ${db}.entries_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  for (const m of MIGRATIONS.filter((m) => m.version <= version)) {
    for (const query of m.statements(tables)) await client.command({ query });
    await client.insert({
      table: `${db}.entries_migrations`,
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    });
  }
  return { database, tables };
}

describe('ClickHouse migration 4 (the runs table feeds the lookup table)', () => {
  it('adds the keys of the runs already stored, and of every run appended after', async () => {
    // The database as the store left it after migration 3, with a run in progress.
    const { database, tables } = await databaseAfter(3);
    const running = entry({ idempotencyKey: 'job_1' });
    await client.insert({ table: tables.runs, values: [rowOf(running, 1)], format: 'JSONEachRow' });

    const store = createClickHouseStore({ client, database });
    expect(await store.append([entry({ idempotencyKey: 'job_1' }), running])).toEqual({
      inserted: 0,
      duplicates: 2,
    });
    const later = entry({ idempotencyKey: 'job_2' });
    expect(await store.append([later])).toEqual({ inserted: 1, duplicates: 0 });
    expect(await store.append([entry({ idempotencyKey: 'job_2' })])).toEqual({ inserted: 0, duplicates: 1 });
    await store.close();
  });
});

describe('ClickHouse migration 3 (runs leave the entries table)', () => {
  it('moves an existing database: runs in progress to entries_runs, one row per id in entries, ids and keys to the lookup table', async () => {
    // The database as the store left it before migration 3.
    const { database, tables } = await databaseAfter(2);
    const born = entry({ status: 'SUCCESS', action: 'born', idempotencyKey: 'stripe:evt_1' });
    const finished = entry({ action: 'finished' });
    const running = entry({ action: 'running' });
    await putRow(database, born, 1);
    await putRow(database, finished, 1);
    await putRow(database, { ...finished, progress: { processed: 1, total: 2 } }, 2);
    await putRow(database, { ...finished, status: 'SUCCESS', progress: { processed: 2, total: 2 } }, 3);
    await putRow(database, running, 1);
    await putRow(database, { ...running, progress: { processed: 1, total: 2 } }, 2);

    const store = createClickHouseStore({ client, database });
    const page = await store.query({ orgId: 'org_a' });
    expect(page.entries.map((e) => [e.action, e.status, e.progress?.processed])).toEqual([
      ['running', 'IN_PROGRESS', 1],
      ['finished', 'SUCCESS', 2],
      ['born', 'SUCCESS', undefined],
    ]);
    const [main] = await (
      await client.query({
        query: `SELECT count() AS n, countIf(status = 'IN_PROGRESS') AS running FROM ${tables.main}`,
        format: 'JSONEachRow',
      })
    ).json<{ n: string; running: string }>();
    expect([Number(main?.n), Number(main?.running)]).toEqual([2, 0]);
    expect(await store.append([born, entry({ idempotencyKey: 'stripe:evt_1' }), running])).toEqual({
      inserted: 0,
      duplicates: 3,
    });
    expect(await store.updateJob('org_a', running.id, { status: 'SUCCESS' })).toBe(true);
    expect((await store.facets({ orgId: 'org_a' })).statuses).toEqual([{ value: 'SUCCESS', count: 3 }]);
    await store.close();
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
