import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/postgres.js';
import { runStoreContract } from '../src/testing/index.js';
import type { ActivityEntry } from '../src/types.js';
import { wireText } from './arbitraries.js';

const url = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: url, max: 2 });
const schemas: string[] = [];

/** A fresh schema name per store, dropped after the run so parallel runs never collide. */
function schemaName(): string {
  const name = `activity_test_${randomBytes(5).toString('hex')}`;
  schemas.push(name);
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
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

// Every test of the suite gets an empty store in a schema of its own, dropped by `cleanup`.
const contractSchemas = new WeakMap<object, string>();
runStoreContract(
  'postgres',
  () => {
    const schema = schemaName();
    const store = createPostgresStore({ connectionString: url, schema });
    contractSchemas.set(store, schema);
    return store;
  },
  {
    test: { describe, it, expect, beforeEach, afterEach },
    fastCheck: fc,
    cleanup: async (store) => {
      const schema = contractSchemas.get(store);
      if (schema) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  },
);

describe('createPostgresStore', () => {
  let store: PostgresStore;
  beforeAll(() => {
    store = createPostgresStore({ connectionString: url, schema: schemaName() });
  });
  afterAll(() => store.close());

  it('round-trips NUL characters and lone surrogates in metadata exactly', async () => {
    const e = entry({
      metadata: {
        nul: 'a\u0000b',
        lone: 'x\ud800y',
        tail: '\udc00',
        'k\u0000ey': ['\u0000', { n: 1.0, big: 1e21 }],
      },
      entity: { type: 'contact', id: 'c\u00001', label: 'Al\ud83dex' },
    });
    expect(await store.append([e])).toEqual({ inserted: 1, duplicates: 0 });
    const back = await store.get(e.orgId, e.id);
    expect(back).toEqual(e);
    expect(JSON.stringify(back)).toBe(JSON.stringify(e));
  });

  it('keeps metadata key order as written (no jsonb reordering)', async () => {
    const e = entry({ metadata: { zeta: 1, alpha: 2, mid: { b: 1, a: 2 } } });
    await store.append([e]);
    const back = await store.get(e.orgId, e.id);
    expect(Object.keys(back?.metadata ?? {})).toEqual(['zeta', 'alpha', 'mid']);
    expect(Object.keys((back?.metadata?.mid as object) ?? {})).toEqual(['b', 'a']);
  });

  it('does not let a second org update a job', async () => {
    const job = entry();
    await store.append([job]);
    expect(await store.updateJob('org_b', job.id, { status: 'SUCCESS' })).toBe(false);
    expect((await store.get(job.orgId, job.id))?.status).toBe('IN_PROGRESS');
    expect(await store.updateJob(job.orgId, job.id, { status: 'FAILED' })).toBe(true);
    expect(await store.updateJob(job.orgId, job.id, { status: 'SUCCESS' })).toBe(false);
    expect((await store.get(job.orgId, job.id))?.status).toBe('FAILED');
  });

  it('counts duplicates by id and by idempotency key, also within one batch', async () => {
    const a = entry({ idempotencyKey: 'evt_1' });
    const sameKey = entry({ idempotencyKey: 'evt_1' });
    const otherOrg = entry({ orgId: 'org_b', idempotencyKey: 'evt_1' });
    expect(await store.append([a, sameKey, a, otherOrg])).toEqual({ inserted: 2, duplicates: 2 });
    expect(await store.append([a])).toEqual({ inserted: 0, duplicates: 1 });
  });

  it('appends a large batch by COPY with the same idempotency rules and exact text', async () => {
    // Past COPY_MIN_ROWS, so the batch goes by COPY (text format); every COPY and CSV special on the way.
    const hostile = ['"quoted" ,comma', 'line\nbreak\r\nCRLF', '\\.', '\\N', '', 'tab\tend\\', '=1+1'];
    const batch = Array.from({ length: 150 }, (_, i) =>
      entry({
        idempotencyKey: i % 10 === 0 ? `copy_key_${i}` : undefined,
        summary: hostile[i % hostile.length],
        actor: { kind: 'user', id: `usr_${i % 7}`, name: hostile[(i + 3) % hostile.length] as string },
        metadata: { text: hostile[i % hostile.length], nul: 'a\u0000b', lone: 'x\ud800y' },
      }),
    );
    const stored = entry({ idempotencyKey: 'copy_key_taken' });
    await store.append([stored]);
    const sameKey = entry({ idempotencyKey: 'copy_key_taken' });
    const inBatchKey = entry({ idempotencyKey: 'copy_key_0' });
    const result = await store.append([...batch, batch[1] as ActivityEntry, sameKey, inBatchKey, stored]);
    expect(result).toEqual({ inserted: 150, duplicates: 4 });
    for (const e of [batch[0], batch[1], batch[6], batch[149]] as ActivityEntry[])
      expect(JSON.stringify(await store.get(e.orgId, e.id))).toBe(JSON.stringify(e));
    expect(await store.get(sameKey.orgId, sameKey.id)).toBeUndefined();
    // The whole batch again: every row a duplicate, by id.
    expect(await store.append(batch)).toEqual({ inserted: 0, duplicates: 150 });
  });

  it('round-trips any text through the COPY path exactly (property)', async () => {
    // COPY's text format escapes backslash, tab, newline and CR; `\\.` and `\\N` must stay data.
    const text = wireText(12);
    // Keys are stored as safe text (NUL dropped, lone surrogates replaced), so these keep to the rest.
    const key = fc.string({
      unit: fc.constantFrom('a', '\\', '\t', '\n', '\r', '\\N', '\\.', '"', 'é'),
      maxLength: 3,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(text, text, text, key), { minLength: 100, maxLength: 110 }),
        async (cells) => {
          // Keys of earlier runs stay in the store: each run's keys are its own.
          const run = randomBytes(4).toString('hex');
          const batch = cells.map(([a, b, c, k]) =>
            entry({
              status: 'SUCCESS',
              summary: a,
              actor: { kind: 'user', id: `usr_${b}`, name: c },
              entity: { type: 'contact', id: b, label: a },
              idempotencyKey: `k_${run}_${k}`,
              metadata: { a, b, c },
            }),
          );
          const fresh = new Map<string, ActivityEntry>();
          for (const e of batch) {
            const dup = [...fresh.values()].some((f) => f.idempotencyKey === e.idempotencyKey);
            if (!dup) fresh.set(e.id, e);
          }
          expect(await store.append(batch)).toEqual({
            inserted: fresh.size,
            duplicates: batch.length - fresh.size,
          });
          for (const e of fresh.values())
            expect(JSON.stringify(await store.get(e.orgId, e.id))).toBe(JSON.stringify(e));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('frees an id and a key whose entry is gone but whose entry_keys row is left (a dropped month)', async () => {
    const schema = schemaName();
    const own = createPostgresStore({ connectionString: url, schema });
    const gone = entry({ idempotencyKey: 'evt_gone' });
    const kept = entry({ idempotencyKey: 'evt_kept' });
    await own.append([gone, kept]);
    // What a partition drop leaves until the background release: the entry gone, its key row still there.
    await admin.query(`DELETE FROM "${schema}".entries WHERE id = $1`, [gone.id]);
    const sameKey = entry({ idempotencyKey: 'evt_gone' });
    const small = [gone, sameKey, kept];
    expect(await own.append(small)).toEqual({ inserted: 1, duplicates: 2 });
    expect(await own.get(gone.orgId, gone.id)).toEqual(gone);
    // By COPY too: a batch past COPY_MIN_ROWS.
    await admin.query(`DELETE FROM "${schema}".entries WHERE id = $1`, [gone.id]);
    const many = Array.from({ length: 120 }, () => entry());
    expect(await own.append([...many, gone, kept])).toEqual({ inserted: 121, duplicates: 1 });
    expect(await own.get(gone.orgId, gone.id)).toEqual(gone);
    await own.close();
  });

  it('appends inside the host transaction: rolled back with it, committed with it', async () => {
    const client = await store.pool.connect();
    try {
      const rolledBack = entry();
      await client.query('BEGIN');
      expect(await store.appendInTransaction(client, [rolledBack])).toEqual({ inserted: 1, duplicates: 0 });
      await client.query('ROLLBACK');
      expect(await store.get(rolledBack.orgId, rolledBack.id)).toBeUndefined();

      const committed = entry();
      await client.query('BEGIN');
      await store.appendInTransaction(client, [committed]);
      // Invisible to other connections until the host commits.
      expect(await store.get(committed.orgId, committed.id)).toBeUndefined();
      await client.query('COMMIT');
      expect(await store.get(committed.orgId, committed.id)).toEqual(committed);
    } finally {
      client.release();
    }
  });

  it('validates entries written in the host transaction, naming the bad field', async () => {
    const client = await store.pool.connect();
    try {
      const bad = { ...entry(), type: 'NOT_A_TYPE' } as unknown as ActivityEntry;
      await expect(store.appendInTransaction(client, [entry(), bad])).rejects.toMatchObject({
        code: 'INVALID_EVENT',
        field: 'type',
      });
    } finally {
      client.release();
    }
  });

  it('escapes LIKE wildcards in q', async () => {
    const org = `org_${randomBytes(3).toString('hex')}`;
    await store.append([
      entry({ orgId: org, action: 'discount_100%', type: 'USER_ACTION', status: 'SUCCESS' }),
      entry({ orgId: org, action: 'discount_1000', type: 'USER_ACTION', status: 'SUCCESS' }),
    ]);
    const page = await store.query({ orgId: org, q: '100%' });
    expect(page.entries.map((e) => e.action)).toEqual(['discount_100%']);
    const underscore = await store.query({ orgId: org, q: 't_1' });
    expect(underscore.entries.map((e) => e.action).sort()).toEqual(['discount_100%', 'discount_1000']);
    const none = await store.query({ orgId: org, q: 'nt1' });
    expect(none.entries).toEqual([]);
  });
});

describe('postgres migrations', () => {
  it('are safe when many stores migrate the same schema at once', async () => {
    const schema = schemaName();
    const stores = Array.from({ length: 4 }, () =>
      createPostgresStore({ connectionString: url, schema, migrate: false }),
    );
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const { rows } = await admin.query<{ version: number; n: number }>(
        `SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations GROUP BY version ORDER BY version`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(2);
      for (const r of rows) expect(r.n).toBe(1);
      const e = entry();
      const first = stores[0];
      if (!first) throw new Error('no store');
      expect(await first.append([e])).toEqual({ inserted: 1, duplicates: 0 });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('creates the keyset indexes per axis, and a trigram index when pg_trgm is available', async () => {
    const schema = schemaName();
    const store = createPostgresStore({ connectionString: url, schema });
    try {
      await store.migrate();
      const { rows } = await admin.query<{ indexname: string; indexdef: string }>(
        'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1',
        [schema],
      );
      const defs = new Map(rows.map((r) => [r.indexname, r.indexdef]));
      expect(defs.get('entries_org_time')).toContain('(org_id, occurred_at DESC, id DESC)');
      for (const column of ['type', 'status', 'actor_id', 'entity_type']) {
        expect([...defs.values()]).toContainEqual(
          expect.stringContaining(`(org_id, ${column}, occurred_at DESC, id DESC)`),
        );
      }
      // Migration 4 moved the idempotency rules to entry_keys (a partitioned table cannot hold them).
      expect([...defs.values()]).toContainEqual(
        expect.stringContaining('UNIQUE INDEX entry_keys_idempotency'),
      );
      const trgm = await admin.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'");
      expect(defs.has('entries_search_trgm')).toBe(trgm.rowCount === 1);
    } finally {
      await store.close();
    }
  });

  it('rejects a schema name that is not a plain identifier, naming the option', () => {
    expect(() => createPostgresStore({ connectionString: url, schema: 'x"; DROP TABLE y; --' })).toThrow(
      expect.objectContaining({ code: 'CONFIG', field: 'schema' }),
    );
  });
});
