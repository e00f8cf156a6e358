/**
 * The cluster DDL and insert deduplication, checked by the real ClickHouse engine (chdb, in-process).
 * One node has no Keeper and no `remote_servers`, so: every generated statement is parsed by the engine
 * (EXPLAIN AST); the replicated table is created with a single-node substitute (ON CLUSTER dropped, the
 * non-replicated engine of the same family) and compared column by column with the store's own table;
 * and the store in cluster mode runs the conformance suite through a client that applies the same
 * substitution and maps the Distributed table to the local one. What one node cannot show (routing by
 * the sharding key, replication) is described in docs/scaling.md.
 */
import { randomBytes } from 'node:crypto';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import fc from 'fast-check';
import { uuidv7 } from 'uuidv7';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClickHouseClusterDDL, clickhouseClusterDDL, createClickHouseStore } from '../src/clickhouse.js';
import { createSealer, generateSigningKey, verifyIntegrity } from '../src/integrity.js';
import { runStoreContract } from '../src/testing/index.js';
import type { ActivityEntry } from '../src/types.js';

type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
const client: ClickHouseClient = createClient({
  connection: createChdbConnection({ path: ':memory:' }) as unknown as ClientConnection,
});
const databases: string[] = [];
function databaseName(): string {
  const name = `activity_cluster_${randomBytes(5).toString('hex')}`;
  databases.push(name);
  return name;
}

afterAll(async () => {
  for (const db of databases) await client.command({ query: `DROP DATABASE IF EXISTS \`${db}\`` });
  await client.close();
});

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** One node's stand-in for a cluster statement: no ON CLUSTER, no Keeper, no Distributed layer. */
function singleNode(sql: string, ddl: ClickHouseClusterDDL): string | undefined {
  if (/ENGINE = Distributed\(/.test(sql)) return undefined;
  let out = sql
    .replace(/ ON CLUSTER `[A-Za-z0-9_]+`/g, '')
    .replace(/Replicated(\w*MergeTree)\('[^']*', '[^']*'(?:, )?([^)]*)\)/, '$1($2)');
  // Every Distributed table name becomes its local table's (`db`.`x` → `db`.`x_local`).
  for (const local of Object.values(ddl.locals)) out = out.split(local.replace(/_local`$/, '`')).join(local);
  return out;
}

function entry(overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  const now = new Date().toISOString();
  return {
    id: uuidv7(),
    orgId: 'org_a',
    occurredAt: now,
    recordedAt: now,
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_1', name: 'Riley' },
    action: 'contact.updated',
    ...overrides,
  };
}

describe('clickhouseClusterDDL', () => {
  const ddl = clickhouseClusterDDL({ cluster: 'logs', database: 'audit', shards: 3 });
  /** The statement creating `name` (a table or view of the generated DDL). */
  const creating = (name: string) => {
    const found = ddl.statements.find((s) => s.includes(`EXISTS \`audit\`.\`${name}\` ON CLUSTER`));
    if (!found) throw new Error(`no statement creates ${name}`);
    return found;
  };
  const TABLES = [
    'entries',
    'entries_runs',
    'entries_keys',
    'entries_digests',
    'entries_seals',
    'entries_seal_leases',
  ];

  it('generates ON CLUSTER statements: a replicated table per node and a Distributed table sharded by cityHash64(org_id), for every table of the store and of its integrity side', async () => {
    for (const s of ddl.statements) expect(s).toContain('ON CLUSTER `logs`');
    expect(ddl.statements).toHaveLength(1 + TABLES.length * 2 + 2);
    expect(creating('entries_local')).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/audit/entries_local', '{replica}', version)",
    );
    expect(creating('entries_runs_local')).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/audit/entries_runs_local', '{replica}', version)",
    );
    expect(creating('entries_keys_local')).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/audit/entries_keys_local', '{replica}')",
    );
    expect(creating('entries_seals_local')).toContain(
      "ReplicatedMergeTree('/clickhouse/tables/{shard}/audit/entries_seals_local', '{replica}')",
    );
    for (const table of TABLES) {
      expect(creating(table)).toContain(
        `ENGINE = Distributed(\`logs\`, \`audit\`, \`${table}_local\`, cityHash64(org_id))`,
      );
    }
    // The lookup table's view runs on each node, from its local entries to its local lookup table.
    expect(creating('entries_keys_mv')).toMatch(
      /TO `audit`\.`entries_keys_local` AS SELECT[\s\S]*FROM `audit`\.`entries_local`$/,
    );
    expect(creating('entries_runs_keys_mv')).toMatch(
      /TO `audit`\.`entries_keys_local` AS SELECT[\s\S]*FROM `audit`\.`entries_runs_local`$/,
    );
    expect(ddl.localTable).toBe('`audit`.`entries_local`');
    expect(ddl.distributedTable).toBe('`audit`.`entries`');
    expect(ddl.locals.runs).toBe('`audit`.`entries_runs_local`');
  });

  it('gives every replicated table its own Keeper path (a custom path without {table} extends the entries table’s)', () => {
    const custom = clickhouseClusterDDL({
      cluster: 'logs',
      database: 'audit',
      shards: 1,
      keeperPath: '/k/{shard}/e',
    });
    const paths = custom.statements.flatMap((s) =>
      [...s.matchAll(/Replicated\w*MergeTree\('([^']*)'/g)].map((m) => m[1]),
    );
    expect(paths).toHaveLength(TABLES.length);
    expect(new Set(paths).size).toBe(TABLES.length);
    expect(paths).toContain('/k/{shard}/e');
    expect(paths).toContain('/k/{shard}/e_runs');
  });

  it('every statement parses in the real engine (EXPLAIN AST)', async () => {
    const explain = async (sql: string) =>
      (await client.query({ query: `EXPLAIN AST ${sql}`, format: 'TabSeparatedRaw' }))
        .text()
        .then((t) => t.replaceAll('"', ''));
    expect(await explain(ddl.statements[0] as string)).toMatch(/^CreateQuery audit/);
    for (const table of TABLES) {
      const local = await explain(creating(`${table}_local`));
      expect(local).toMatch(new RegExp(`^CreateQuery audit ${table}_local`));
      expect(local).toMatch(/Function Replicated\w*MergeTree/);
      const distributed = await explain(creating(table));
      expect(distributed).toMatch(new RegExp(`^CreateQuery audit ${table} `));
      expect(distributed).toContain('Function Distributed');
      expect(distributed).toContain('Function cityHash64');
    }
    expect(await explain(creating('entries_keys_mv'))).toMatch(/^CreateQuery audit entries_keys_mv/);
    // The engine rejects what it cannot parse: a broken statement fails the same check.
    await expect(explain(`${creating('entries')} ,`)).rejects.toThrow(/Syntax error/);
  });

  it('the replicated tables (single-node substitute) have exactly the columns and keys of the single-node store’s tables, integrity tables included', async () => {
    const database = databaseName();
    const own = databaseName();
    const generated = clickhouseClusterDDL({ cluster: 'logs', database, shards: 2 });
    for (const statement of generated.statements) {
      const sql = singleNode(statement, generated);
      if (sql) await client.command({ query: sql });
    }
    const store = createClickHouseStore({ client, database: own });
    await store.migrate();
    // The integrity side creates its tables on first use.
    await store.listDigests('org_a');
    const describe = (table: string) =>
      rows<{ name: string; type: string; default_expression: string }>(`DESCRIBE TABLE ${table}`).then((r) =>
        r
          .map(({ name, type, default_expression }) => ({ name, type, default_expression }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      );
    const keys = (db: string, table: string) =>
      rows<{ sorting_key: string; partition_key: string; engine: string }>(
        'SELECT sorting_key, partition_key, engine FROM system.tables WHERE database = {db:String} AND name = {t:String}',
        { db, t: table },
      ).then((r) => r.map((x) => ({ ...x, engine: x.engine.replace(/^Replicated/, '') })));
    for (const table of TABLES) {
      expect(await describe(`\`${database}\`.\`${table}_local\``), table).toEqual(
        await describe(`\`${own}\`.\`${table}\``),
      );
      expect(await keys(database, `${table}_local`), table).toEqual(await keys(own, table));
    }
    expect((await keys(database, 'entries_local'))[0]).toMatchObject({
      sorting_key: 'org_id, occurred_at, id',
      partition_key: 'toYYYYMM(occurred_at)',
    });
    await store.close();
  });

  it('shardOfOrg puts every org on one shard in 1..shards and spreads orgs across them', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const [row] = await rows<{ shard_num: number | string }>(ddl.shardOfOrg, { org: `org_${i}` });
      const shard = Number(row?.shard_num);
      expect(shard).toBeGreaterThanOrEqual(1);
      expect(shard).toBeLessThanOrEqual(3);
      seen.add(shard);
    }
    expect(seen.size).toBe(3);
  });

  it('refuses names that are not plain identifiers and a shard count below 1', () => {
    expect(() => clickhouseClusterDDL({ cluster: 'logs; DROP', shards: 1 })).toThrow(/cluster/);
    expect(() => clickhouseClusterDDL({ cluster: 'logs', database: 'a-b', shards: 1 })).toThrow(/database/);
    expect(() => clickhouseClusterDDL({ cluster: 'logs', shards: 0 })).toThrow(/shards/);
  });
});

describe('insert deduplication (insert_deduplication_token)', () => {
  it('a batch inserted twice with the same token is stored once on the store’s table', async () => {
    const database = databaseName();
    const store = createClickHouseStore({ client, database });
    await store.migrate();
    const batch = [entry(), entry(), entry()].map((e) => ({
      org_id: e.orgId,
      occurred_at: e.occurredAt.replace('T', ' ').replace('Z', ''),
      occurred_ms: Date.parse(e.occurredAt),
      id: e.id,
      version: 1,
      type: e.type,
      status: e.status,
      actor_id: e.actor.id,
      action: e.action,
      doc: JSON.stringify(e),
    }));
    const table = `\`${database}\`.\`entries\``;
    for (let i = 0; i < 2; i++) {
      await client.insert({
        table,
        values: batch,
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: 'retry-1' },
      });
    }
    const [count] = await rows<{ n: string }>(`SELECT count() AS n FROM ${table}`);
    expect(Number(count?.n)).toBe(3);
    await store.close();
  });

  it('without non_replicated_deduplication_window a plain MergeTree stores the retry twice (why the table sets it)', async () => {
    const database = databaseName();
    await client.command({ query: `CREATE DATABASE \`${database}\`` });
    const table = `\`${database}\`.plain`;
    await client.command({ query: `CREATE TABLE ${table} (id String) ENGINE = MergeTree ORDER BY id` });
    for (let i = 0; i < 2; i++) {
      await client.insert({
        table,
        values: [{ id: 'a' }, { id: 'b' }],
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: 'retry-1' },
      });
    }
    const [count] = await rows<{ n: string }>(`SELECT count() AS n FROM ${table}`);
    expect(Number(count?.n)).toBe(4);
  });

  it('two writers appending the same batch at the same moment (both pass the existence check) store it once', async () => {
    const database = databaseName();
    // Both writers' inserts wait until both have passed the check: the race docs/stores.md describes.
    let waiting: (() => void)[] = [];
    const racing: ClickHouseClient = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'insert') return Reflect.get(target, prop, receiver);
        return async (params: Parameters<ClickHouseClient['insert']>[0]) => {
          if (!String(params.table).endsWith('_migrations')) {
            await new Promise<void>((resolve) => {
              waiting.push(resolve);
              if (waiting.length === 2) {
                for (const go of waiting) go();
                waiting = [];
              }
            });
          }
          return target.insert(params);
        };
      },
    });
    const setup = createClickHouseStore({ client, database });
    await setup.migrate();
    const a = createClickHouseStore({ client: racing, database, migrate: false });
    const b = createClickHouseStore({ client: racing, database, migrate: false });
    const batch = [entry(), entry(), entry(), entry()];
    const [ra, rb] = await Promise.all([a.append(batch), b.append(batch)]);
    // Each writer believes it inserted the batch; the server kept one copy.
    expect(ra.inserted + rb.inserted).toBe(8);
    const [count] = await rows<{ n: string }>(`SELECT count() AS n FROM \`${database}\`.entries`);
    expect(Number(count?.n)).toBe(4);
    await setup.close();
  });
});

/** The store in cluster mode, on one node: the substitution above applied to everything it sends. */
function singleNodeClient(
  ddl: ClickHouseClusterDDL,
  sent: string[],
  inserts: Array<{ table: string; settings: Record<string, unknown> | undefined }> = [],
  reads: Array<{ query: string; settings: Record<string, unknown> | undefined }> = [],
): ClickHouseClient {
  const map = (sql: string) => singleNode(sql, ddl);
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'command') {
        return async (params: Parameters<ClickHouseClient['command']>[0]) => {
          sent.push(params.query);
          const query = map(params.query);
          return query === undefined ? { query_id: 'skipped' } : target.command({ ...params, query });
        };
      }
      if (prop === 'query') {
        return (params: Parameters<ClickHouseClient['query']>[0]) => {
          reads.push({ query: params.query, settings: params.clickhouse_settings });
          return target.query({ ...params, query: map(params.query) ?? '' });
        };
      }
      if (prop === 'insert') {
        return (params: Parameters<ClickHouseClient['insert']>[0]) => {
          inserts.push({ table: params.table, settings: params.clickhouse_settings });
          return target.insert({ ...params, table: map(params.table) ?? '' });
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  }) as ClickHouseClient;
}

describe('createClickHouseStore({ cluster })', () => {
  it('reads with distributed_product_mode=local, so an IN subquery on a Distributed table is answered per shard', async () => {
    const database = databaseName();
    const ddl = clickhouseClusterDDL({ cluster: 'logs', database, shards: 1 });
    const reads: Array<{ query: string; settings: Record<string, unknown> | undefined }> = [];
    const store = createClickHouseStore({
      client: singleNodeClient(ddl, [], [], reads),
      database,
      cluster: 'logs',
    });
    const run = entry({ type: 'BACKGROUND_JOB', status: 'IN_PROGRESS', action: 'sync.run' });
    await store.append([run, entry()]);
    const page = await store.query({ orgId: 'org_a', limit: 10 });
    expect(page.entries).toHaveLength(2);
    // The page's finished-run check: a subquery on the runs table inside a read of the entries table.
    expect(reads.some((r) => /\bIN \(\s*SELECT/.test(r.query))).toBe(true);
    for (const r of reads) expect(r.settings?.distributed_product_mode, r.query).toBe('local');
    await store.close();
  });

  it('migrates with the cluster DDL, feeds the lookup table on the node, and deletes on the local tables ON CLUSTER', async () => {
    const database = databaseName();
    const ddl = clickhouseClusterDDL({ cluster: 'logs', database, shards: 1 });
    const sent: string[] = [];
    const store = createClickHouseStore({
      client: singleNodeClient(ddl, sent),
      database,
      cluster: 'logs',
    });
    await store.append([entry({ occurredAt: '2020-01-01T00:00:00.000Z' }), entry()]);
    expect(sent.slice(0, ddl.statements.length)).toEqual(ddl.statements);
    const [looked] = await rows<{ n: string }>(`SELECT count() AS n FROM \`${database}\`.entries_keys_local`);
    expect(Number(looked?.n)).toBe(2);
    expect(await store.deleteBefore('2021-01-01T00:00:00.000Z', 'org_a')).toBe(1);
    const deletes = sent.filter((q) => q.startsWith('DELETE'));
    for (const table of ['entries_local', 'entries_runs_local', 'entries_keys_local']) {
      expect(deletes).toContainEqual(
        expect.stringMatching(
          new RegExp(`^DELETE FROM \`${database}\`\\.\`${table}\` ON CLUSTER \`logs\` WHERE`),
        ),
      );
    }
    await store.close();
  });
});

describe('integrity on a cluster', () => {
  it('seals with synchronous inserts and removes an interrupted seal’s rows from the local table ON CLUSTER', async () => {
    const database = databaseName();
    const ddl = clickhouseClusterDDL({ cluster: 'logs', database, shards: 1 });
    const sent: string[] = [];
    const inserts: Array<{ table: string; settings: Record<string, unknown> | undefined }> = [];
    const store = createClickHouseStore({
      client: singleNodeClient(ddl, sent, inserts),
      database,
      cluster: 'logs',
    });
    const key = generateSigningKey();
    const sealer = createSealer({ store, signingKey: key.privateKeyPem });
    await store.append([entry(), entry(), entry()]);
    await sealer.sealNow('org_a');
    // Rows of a seal interrupted before its digest was written: sequence 2, no digest 2.
    await client.insert({
      table: `${database}.entries_seals_local`,
      values: [{ org_id: 'org_a', sequence: 2, id: 'stray', leaf: '00', digest_hash: 'h' }],
      format: 'JSONEachRow',
    });
    await store.append([entry()]);
    await sealer.sealNow('org_a');
    expect(sent).toContainEqual(
      expect.stringMatching(
        new RegExp(`^DELETE FROM \`${database}\`\\.\`entries_seals_local\` ON CLUSTER \`logs\` WHERE`),
      ),
    );
    const integrityInserts = inserts.filter((i) => /_(seals|digests|seal_leases)`?$/.test(i.table));
    expect(integrityInserts.length).toBeGreaterThanOrEqual(4);
    for (const i of integrityInserts) expect(i.settings).toMatchObject({ insert_distributed_sync: 1 });
    expect((await store.listDigests('org_a')).map((d) => [d.sequence, d.entryCount])).toEqual([
      [1, 3],
      [2, 1],
    ]);
    expect(
      await verifyIntegrity({ store, orgId: 'org_a', keys: { [key.keyId]: key.publicKeyPem } }),
    ).toMatchObject({ ok: true });
    await store.close();
  });
});

const contractDatabases = new WeakMap<object, string>();
runStoreContract(
  'clickhouse (cluster mode, single-node substitute)',
  () => {
    const database = databaseName();
    const ddl = clickhouseClusterDDL({ cluster: 'logs', database, shards: 1 });
    const store = createClickHouseStore({
      client: singleNodeClient(ddl, []),
      database,
      cluster: 'logs',
    });
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
