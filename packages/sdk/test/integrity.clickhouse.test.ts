import { randomBytes } from 'node:crypto';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, describe, expect, it } from 'vitest';
import { type ClickHouseStore, createClickHouseStore } from '../src/clickhouse.js';
import { createSealer, digestHash, generateSigningKey, verifyIntegrity } from '../src/integrity.js';
import { searchText } from '../src/postgres/rows.js';
import { generateActivity } from '../src/testing/index.js';
import type { ActivityEntry } from '../src/types.js';
import { cleanSuite, LONG, T0, type Tamper, tamperSuite } from './integrityHarness.js';

type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
const client: ClickHouseClient = createClient({
  connection: createChdbConnection({ path: ':memory:' }) as unknown as ClientConnection,
});
const databases: string[] = [];

afterAll(async () => {
  for (const db of databases) await client.command({ query: `DROP DATABASE IF EXISTS \`${db}\`` });
  await client.close();
});

function open(): ClickHouseStore {
  const database = `activity_itest_${randomBytes(5).toString('hex')}`;
  databases.push(database);
  return createClickHouseStore({ client, database });
}

const SYNC = { lightweight_deletes_sync: '2', mutations_sync: '2' } as const;
const TEXT_COLUMNS = [
  'org_id',
  'type',
  'status',
  'actor_id',
  'actor_name',
  'action',
  'entity_type',
  'entity_id',
  'correlation_id',
  'parent_id',
  'idempotency_key',
  'search',
];

function tamperOf(): Tamper {
  const db = `\`${databases[databases.length - 1]}\``;
  const t = `${db}.\`entries\``;
  const rowOf = async (id: string) => {
    const rs = await client.query({
      query: `SELECT * FROM ${t} FINAL WHERE id = {id:String}`,
      query_params: { id },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<Record<string, unknown>>();
    if (!row) throw new Error(`no row ${id}`);
    return row;
  };
  const del = (id: string) =>
    client.command({
      query: `DELETE FROM ${t} WHERE id = {id:String}`,
      query_params: { id },
      clickhouse_settings: SYNC,
    });
  // A fresh token: without one the table's deduplication window drops the block on chdb.
  const put = (rows: Record<string, unknown>[]) =>
    client.insert({
      table: t,
      values: rows,
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: randomBytes(8).toString('hex') },
    });
  // ALTER UPDATE cannot touch key columns: an admin deletes the row and writes the changed one.
  const rewrite = (change: (row: Record<string, unknown>) => void) => async (id: string) => {
    const row = await rowOf(id);
    change(row);
    await del(id);
    await put([row]);
  };
  const exec = (query: string, params: Record<string, unknown>) =>
    client.command({ query, query_params: params, clickhouse_settings: SYNC });
  return {
    columns: {
      ...Object.fromEntries(
        TEXT_COLUMNS.map((c) => [
          c,
          rewrite((r) => {
            r[c] = `${String(r[c])}~`;
          }),
        ]),
      ),
      id: rewrite((r) => {
        r.id = `${String(r.id)}~`;
      }),
      occurred_ms: rewrite((r) => {
        r.occurred_ms = String(Number(r.occurred_ms) + 1);
      }),
      occurred_at: rewrite((r) => {
        const ms = Date.parse(`${String(r.occurred_at).replace(' ', 'T')}Z`) + 1000;
        r.occurred_at = new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
      }),
      doc: rewrite((r) => {
        r.doc = JSON.stringify({ ...JSON.parse(String(r.doc)), summary: 'edited by an admin' });
      }),
    },
    deleteEntry: async (id) => void (await del(id)),
    async insertRow(e: ActivityEntry) {
      const ms = Date.parse(e.occurredAt);
      await put([
        {
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
          idempotency_key: '',
          search: searchText(e),
          doc: JSON.stringify({ ...e, idempotencyKey: undefined }),
        },
      ]);
    },
    async swapData(a, b) {
      const [x, y] = [await rowOf(a), await rowOf(b)];
      [x.doc, y.doc] = [y.doc, x.doc];
      await del(a);
      await del(b);
      await put([x, y]);
    },
    async putDigest(d) {
      await exec(
        `DELETE FROM ${db}.\`entries_digests\` WHERE org_id = {org:String} AND sequence = {seq:UInt64}`,
        {
          org: d.orgId,
          seq: d.sequence,
        },
      );
      await client.insert({
        table: `${db}.\`entries_digests\``,
        values: [
          {
            org_id: d.orgId,
            sequence: d.sequence,
            sealed_at: d.sealedAt,
            digest_hash: digestHash(d),
            digest: JSON.stringify(d),
          },
        ],
        format: 'JSONEachRow',
      });
    },
    async dropDigests(orgId, from, seals) {
      const params = { org: orgId, from };
      await exec(
        `DELETE FROM ${db}.\`entries_digests\` WHERE org_id = {org:String} AND sequence >= {from:UInt64}`,
        params,
      );
      if (seals)
        await exec(
          `DELETE FROM ${db}.\`entries_seals\` WHERE org_id = {org:String} AND sequence >= {from:UInt64}`,
          params,
        );
    },
    async addSeal(orgId, id, sequence, leaf) {
      await client.insert({
        table: `${db}.\`entries_seals\``,
        values: [{ org_id: orgId, sequence, id, leaf, digest_hash: '' }],
        format: 'JSONEachRow',
      });
    },
  };
}

describe('integrity on ClickHouse (chdb): tamper evidence through direct SQL', () => {
  // `version` only picks the newest row version FINAL reads; every other column is covered.
  tamperSuite(
    async () => ({ store: open(), tamper: tamperOf() }),
    ['id', 'occurred_at', 'occurred_ms', ...TEXT_COLUMNS, 'doc'],
  );
});

describe('integrity on ClickHouse (chdb): no false alarms', () => {
  cleanSuite(async () => open(), LONG ? 20 : 10);

  it('two sealers at once make one chain (lease row)', async () => {
    const store = open();
    const key = generateSigningKey();
    const entries = generateActivity({
      count: 60,
      orgIds: ['org_a'],
      seed: 77,
      now: T0,
      spanDays: 0.001,
    }).filter((e) => e.status !== 'IN_PROGRESS');
    await store.append(entries);
    const sealers = [0, 1].map(() =>
      createSealer({ store, signingKey: key.privateKeyPem, maxEntriesPerDigest: 9, now: () => T0 }),
    );
    await Promise.all(sealers.map((s) => s.sealNow('org_a')));
    // Whatever a lost lease left unsealed, a later run takes.
    await sealers[0]?.sealNow('org_a');
    const digests = await store.listDigests('org_a');
    expect(digests.map((d) => d.sequence)).toEqual(digests.map((_, i) => i + 1));
    expect(digests.reduce((n, d) => n + d.entryCount, 0)).toBe(entries.length);
    expect(
      await verifyIntegrity({
        store,
        orgId: 'org_a',
        keys: { [key.keyId]: key.publicKeyPem },
        now: () => T0,
      }),
    ).toMatchObject({
      ok: true,
    });
  });
});
