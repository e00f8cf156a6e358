/**
 * Poison (issue 8, "Prove it"): a batch of 1,000 entries holding one entry of each hostile class keeps
 * every other entry, exactly once, on SQLite, PostgreSQL and ClickHouse; each bad entry is counted in
 * stats().rejected and reported through onError with its field named.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createClickHouseStore } from '../../src/clickhouse.js';
import { createActivity } from '../../src/core/activity.js';
import type { RecordInput } from '../../src/core/api.js';
import type { ActivityError } from '../../src/errors.js';
import { createPostgresStore } from '../../src/postgres.js';
import { createActivityHandler } from '../../src/server.js';
import { createSqliteStore } from '../../src/sqlite.js';
import type { ActivityEntry, ActivityStore } from '../../src/types.js';

const ORG = 'org_poison';
const BATCH = 1000;
const pgUrl = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: pgUrl, max: 2 });
type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
const chdb: ClickHouseClient = createClient({
  connection: createChdbConnection({ path: ':memory:' }) as unknown as ClientConnection,
});
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await admin.end();
  await chdb.close();
});

function suffix(): string {
  return randomBytes(5).toString('hex');
}

const STORES: Record<string, () => ActivityStore> = {
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), 'poison-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return createSqliteStore({ path: join(dir, 'activity.db') });
  },
  postgres: () => {
    const schema = `activity_poison_${suffix()}`;
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    });
    return createPostgresStore({ connectionString: pgUrl, schema });
  },
  clickhouse: () => {
    const database = `activity_poison_${suffix()}`;
    cleanups.push(async () => {
      await chdb.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    });
    return createClickHouseStore({ client: chdb, database });
  },
};

function sparse(length: number): unknown[] {
  const array: unknown[] = [];
  array.length = length;
  return array;
}

function throwingProxy(): object {
  const fail = () => {
    throw new Error('trap');
  };
  return new Proxy(
    {},
    { get: fail, ownKeys: fail, getOwnPropertyDescriptor: fail, getPrototypeOf: fail, has: fail },
  );
}

const base = (id: string, extra: Record<string, unknown> = {}): RecordInput =>
  ({
    id,
    type: 'USER_ACTION',
    action: 'contact.updated',
    entity: { type: 'contact', id: `c_${id}` },
    metadata: { n: id },
    ...extra,
  }) as RecordInput;

/** One entry of each hostile class, with the field its refusal must name. */
function poison(): { input: RecordInput; field: RegExp }[] {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  const hugeKey = 'k'.repeat(5 * 1024 * 1024);
  return [
    { input: base('evt\u0000nul'), field: /^id$/ },
    { input: base('bad_day', { occurredAt: '2025-02-30T00:00:00Z' }), field: /^occurredAt$/ },
    { input: base('bad_year', { occurredAt: '9999-12-31T23:00:00-05:00' }), field: /^occurredAt$/ },
    { input: base('bad_proxy', { metadata: { p: throwingProxy() } }), field: /^metadata\.p$/ },
    { input: base('bad_sparse', { metadata: { a: sparse(1e8) } }), field: /^metadata\.a$/ },
    { input: base('bad_key', { metadata: { [hugeKey]: 1 } }), field: /^metadata\.k{64}…\(5242880 chars\)$/ },
    { input: base('bad_map', { metadata: { m: new Map([['a', 1]]) } }), field: /^metadata\.m$/ },
    // Past maxStringLength but within the byte budget: deferred, refused by the writer in the batch.
    { input: base('bad_long', { metadata: { note: 'x'.repeat(40_000) } }), field: /^metadata\.note$/ },
    {
      input: base('bad_big', {
        metadata: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`s${i}`, 'y'.repeat(30_000)])),
      }),
      field: /^metadata\.s\d$/,
    },
    { input: base('bad_surrogate', { entity: { type: 'contact', id: 'c\uD800' } }), field: /^entity\.id$/ },
    { input: base('bad_cycle', { metadata: { self: cycle } }), field: /^metadata\.self\.self$/ },
  ];
}

/** Valid entries that have poisoned stores before: they must be stored, cleaned, with the rest. */
function awkward(): RecordInput[] {
  return [
    base('ok_nul_text', { summary: 'NUL\u0000here', metadata: { 'k\u0000': 'v\u0000' } }),
    base('ok_surrogate_text', { summary: 'lone \uD800 high', metadata: { low: '\uDC00' } }),
    base('ok_first_year', { occurredAt: '0001-01-01T00:00:00.000Z' }),
    base('ok_last_moment', { occurredAt: '9999-12-31T23:59:59.999Z' }),
    base('ok_before_1970', { occurredAt: '1969-07-20T20:17:40.000Z' }),
    base('ok_emoji', { entity: { type: 'contact', id: 'c_😀' }, metadata: { e: '😀' } }),
  ];
}

async function allIds(store: ActivityStore): Promise<string[]> {
  const ids: string[] = [];
  let after: { occurredAt: string; id: string } | undefined;
  do {
    const page = await store.query({ orgId: ORG, range: 'all', limit: 500, after });
    ids.push(...page.entries.map((entry) => entry.id));
    after = page.next;
  } while (after !== undefined);
  return ids;
}

describe('poison — one bad entry of each class in a batch of 1,000', () => {
  for (const [name, makeStore] of Object.entries(STORES)) {
    it(`fault 9: keeps the other entries of the batch exactly once, and counts and names each bad one (${name})`, async () => {
      const store = makeStore();
      const append = store.append.bind(store);
      const appends: number[] = [];
      store.append = (entries) => {
        appends.push(entries.length);
        return append(entries);
      };
      const errors: ActivityError[] = [];
      const activity = createActivity({
        store,
        defaultOrgId: ORG,
        batchSize: BATCH,
        flushIntervalMs: 60_000,
        onError: (error) => errors.push(error),
      });
      const bad = poison();
      const extra = awkward();
      const good: RecordInput[] = [...extra];
      for (let i = good.length; i < BATCH - bad.length; i++) good.push(base(`ok_${i}`));
      // The bad entries spread through the batch, not bunched at one end.
      const inputs: RecordInput[] = [...good];
      bad.forEach((entry, i) => {
        inputs.splice(Math.floor(((i + 1) * inputs.length) / (bad.length + 1)), 0, entry.input);
      });
      expect(inputs).toHaveLength(BATCH);
      for (const input of inputs) activity.record(input);
      await activity.shutdown();

      const validIds = good.map((input) => input.id as string);
      // One write of every valid entry: nothing reached the store that made it refuse the batch.
      expect(appends).toEqual([validIds.length]);
      const stored = await allIds(store);
      expect(stored).toHaveLength(validIds.length);
      expect(new Set(stored)).toEqual(new Set(validIds));
      const stats = activity.stats();
      expect(stats.persisted).toBe(validIds.length);
      const rejected = Object.values(stats.rejected).reduce((sum, n) => sum + n, 0);
      expect(rejected).toBe(bad.length);
      // Each bad entry reported once, naming its field.
      expect(errors).toHaveLength(bad.length);
      const fields = errors.map((error) => error.field ?? '(none)');
      for (const { field } of bad) {
        const at = fields.findIndex((f) => field.test(f));
        expect(
          at,
          `an error naming ${field} among ${fields.map((f) => f.slice(0, 90)).join(', ')}`,
        ).toBeGreaterThanOrEqual(0);
        fields.splice(at, 1);
      }
      for (const error of errors) expect(['INVALID_EVENT', 'EVENT_TOO_LARGE']).toContain(error.code);
      // The awkward valid ones are stored cleaned, and read back by the id record() returned.
      const nul = (await store.get(ORG, 'ok_nul_text')) as ActivityEntry;
      expect(nul.summary).toBe('NULhere');
      expect(nul.metadata).toEqual({ k: 'v' });
      expect((await store.get(ORG, 'ok_surrogate_text'))?.summary).toBe('lone \uFFFD high');
      expect((await store.get(ORG, 'ok_first_year'))?.occurredAt).toBe('0001-01-01T00:00:00.000Z');
      expect((await store.get(ORG, 'ok_emoji'))?.entity?.id).toBe('c_😀');
      // A lookup by an id no entry can have answers "not found", never a store error.
      await expect(store.get(ORG, 'evt\u0000nul')).resolves.toBeUndefined();
      await store.close();
    }, 120_000);
  }

  it('fault 9: GET /entries/<id with NUL> answers 404, not 500, on PostgreSQL', async () => {
    const store = STORES.postgres?.() as ActivityStore;
    const handler = createActivityHandler({
      store,
      authorize: () => ({ orgId: ORG, userId: 'u_1', permissions: ['read', 'retry'] }),
    });
    for (const id of ['evt%00nul', 'evt%01x', '%00']) {
      const response = await handler(new Request(`http://app.test/entries/${id}`));
      expect(response.status, id).toBe(404);
    }
    // Straight to the store too: no query error for an id PostgreSQL text cannot hold.
    await expect(store.get(ORG, 'a\u0000b')).resolves.toBeUndefined();
    await store.close();
  });
});
