import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createSealer, generateSigningKey, verifyIntegrity } from '../src/integrity.js';
import { searchText } from '../src/postgres/rows.js';
import { createPostgresStore, type PostgresStore } from '../src/postgres.js';
import { generateActivity } from '../src/testing/index.js';
import type { ActivityEntry } from '../src/types.js';
import { cleanSuite, LONG, T0, type Tamper, tamperSuite } from './integrityHarness.js';

const url = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: url, max: 2 });
const schemas: string[] = [];
const stores: PostgresStore[] = [];

function open(schema = `activity_itest_${randomBytes(5).toString('hex')}`): PostgresStore {
  if (!schemas.includes(schema)) schemas.push(schema);
  const store = createPostgresStore({ connectionString: url, schema });
  stores.push(store);
  return store;
}

afterAll(async () => {
  for (const s of stores) await s.close();
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

const TEXT_COLUMNS = [
  'type',
  'status',
  'actor_id',
  'actor_name',
  'action',
  'entity_type',
  'entity_id',
  'correlation_id',
  'parent_id',
  'retry_of',
  'idempotency_key',
  'search',
];

function tamperOf(store: PostgresStore): Tamper {
  const schema = schemas[schemas.length - 1] as string;
  const t = `"${schema}".entries`;
  const sql = (text: string, params: unknown[]) => admin.query(text, params);
  const set = (expr: string) => async (id: string) => {
    expect((await sql(`UPDATE ${t} SET ${expr} WHERE id = $1`, [id])).rowCount).toBe(1);
  };
  void store;
  return {
    columns: {
      ...Object.fromEntries(TEXT_COLUMNS.map((c) => [c, set(`${c} = COALESCE(${c}, '') || '~'`)])),
      id: set("id = id || '~'"),
      org_id: set("org_id = 'org_b'"),
      occurred_at: set("occurred_at = occurred_at + interval '1 millisecond'"),
      metadata: set(`metadata = COALESCE(metadata, '{}'::jsonb) || '{"approvedBy": "admin"}'::jsonb`),
      doc: set(`doc = (doc::jsonb || '{"summary": "edited by an admin"}'::jsonb)::text`),
    },
    async deleteEntry(id) {
      expect((await sql(`DELETE FROM ${t} WHERE id = $1`, [id])).rowCount).toBe(1);
    },
    async insertRow(e: ActivityEntry) {
      // Every column as the store derives it: a careful forger leaves nothing inconsistent.
      const opt = (v: string | undefined) => (v === undefined || v === '' ? null : v);
      await sql(
        `INSERT INTO ${t} (id, org_id, occurred_at, type, status, actor_id, actor_name, action, entity_type,
           entity_id, correlation_id, parent_id, retry_of, idempotency_key, search, metadata, doc)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
        [
          e.id,
          e.orgId,
          e.occurredAt,
          e.type,
          e.status,
          e.actor.id,
          opt(e.actor.name),
          e.action,
          opt(e.entity?.type),
          opt(e.entity?.id),
          opt(e.correlationId),
          opt(e.parentId),
          opt(e.retryOf),
          null,
          searchText(e),
          e.metadata === undefined ? null : JSON.stringify(e.metadata),
          JSON.stringify({ ...e, idempotencyKey: undefined }),
        ],
      );
    },
    async swapData(a, b) {
      await sql(
        `UPDATE ${t} x SET doc = y.doc FROM ${t} y
         WHERE (x.id = $1 AND y.id = $2) OR (x.id = $2 AND y.id = $1)`,
        [a, b],
      );
    },
    async putDigest(d) {
      await sql(
        `INSERT INTO "${schema}".digests (org_id, sequence, sealed_at, digest) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, sequence) DO UPDATE SET digest = EXCLUDED.digest`,
        [d.orgId, d.sequence, d.sealedAt, JSON.stringify(d)],
      );
    },
    async dropDigests(orgId, from, seals) {
      await sql(`DELETE FROM "${schema}".digests WHERE org_id = $1 AND sequence >= $2`, [orgId, from]);
      if (seals)
        await sql(`DELETE FROM "${schema}".seals WHERE org_id = $1 AND sequence >= $2`, [orgId, from]);
    },
    async addSeal(orgId, id, sequence, leaf) {
      await sql(`INSERT INTO "${schema}".seals (org_id, id, sequence, leaf) VALUES ($1, $2, $3, $4)`, [
        orgId,
        id,
        sequence,
        leaf,
      ]);
    },
  };
}

describe('integrity on PostgreSQL: tamper evidence through direct SQL', () => {
  tamperSuite(async () => {
    const store = open();
    return { store, tamper: tamperOf(store) };
  }, ['id', 'org_id', 'occurred_at', ...TEXT_COLUMNS, 'metadata', 'doc']);
});

describe('integrity on PostgreSQL: no false alarms', () => {
  cleanSuite(async () => open(), LONG ? 30 : 10);
});

describe('integrity on PostgreSQL: concurrent sealers', () => {
  it('two sealers (separate pools) started at once make one chain, never a fork, while entries keep arriving', async () => {
    const schema = `activity_itest_${randomBytes(5).toString('hex')}`;
    const a = open(schema);
    await a.migrate();
    const b = open(schema);
    const key = generateSigningKey();
    let clock = T0.getTime();
    const at = () => new Date(clock);
    const sealers = [a, b].map((store) =>
      createSealer({ store, signingKey: key.privateKeyPem, maxEntriesPerDigest: 7, now: at }),
    );
    const rounds = LONG ? 20 : 6;
    let appended = 0;
    for (let round = 0; round < rounds; round++) {
      clock = T0.getTime() + round * 60_000;
      // Entries of the last minute, as a live app records them.
      const batch = generateActivity({
        count: 30,
        orgIds: ['org_a'],
        seed: 500 + round,
        now: at(),
        spanDays: 0.0005,
      }).filter((e) => e.status !== 'IN_PROGRESS');
      await a.append(batch);
      appended += batch.length;
      // Both at once, several times over: every race between them is a chance to fork.
      await Promise.all([
        sealers[0]?.sealNow('org_a'),
        sealers[1]?.sealNow('org_a'),
        sealers[1]?.sealNow('org_a'),
      ]);
    }
    const digests = await a.listDigests('org_a');
    expect(digests.map((d) => d.sequence)).toEqual(digests.map((_, i) => i + 1));
    expect(digests.reduce((n, d) => n + d.entryCount, 0)).toBe(appended);
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM "${schema}".seals`,
    );
    expect(rows[0]).toEqual({ n: appended, d: appended });
    const result = await verifyIntegrity({
      store: b,
      orgId: 'org_a',
      keys: { [key.keyId]: key.publicKeyPem },
      now: at,
    });
    expect(result).toMatchObject({ ok: true });
  });
});
