/**
 * PostgreSQL monthly partitions, on the running server: the layout, idempotency kept by entry_keys,
 * the DEFAULT partition for strays, EXPLAIN of every filter axis (partitions pruned, an index used, no
 * sort), dropping whole months for retention, and migrating an existing unpartitioned table.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_NAMESPACE } from '../src/postgres/migrations.js';
import { dropMonths } from '../src/postgres/partitionDrop.js';
import { listPartitions } from '../src/postgres/partitions.js';
import { DEFAULT_DEADLINES, guardPool } from '../src/postgres/pool.js';
import { INSERT_COLUMNS, rowOf } from '../src/postgres/store.js';
import { createPostgresStore, POSTGRES_MIGRATIONS, type PostgresStore } from '../src/postgres.js';
import type { ActivityEntry, StoreQuery } from '../src/types.js';

const url = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: url, max: 2 });
const schemas: string[] = [];
const schemaName = () => {
  const name = `activity_part_${randomBytes(5).toString('hex')}`;
  schemas.push(name);
  return name;
};
afterAll(async () => {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

const DAY = 86_400_000;
function entry(overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  const at = overrides.occurredAt ?? new Date().toISOString();
  return {
    id: uuidv7(),
    orgId: 'org_a',
    occurredAt: at,
    recordedAt: at,
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_1', name: 'Riley' },
    action: 'contact.updated',
    ...overrides,
  };
}

async function partitionsOf(schema: string): Promise<string[]> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [`"${schema}".entries`],
  );
  return rows.map((r) => r.name);
}

/** Tables of the schema named as a month that are no partition: detached months not yet released. */
async function detachedOf(schema: string): Promise<string[]> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT c.relispartition
       AND (c.relname LIKE 'entries%' OR c.relname LIKE 'released%') AND c.relname <> 'entries'
     ORDER BY 1`,
    [schema],
  );
  return rows.map((r) => r.name);
}

describe('PostgreSQL partitions', () => {
  it('creates entries partitioned by month, a DEFAULT partition, and months around now', async () => {
    const schema = schemaName();
    const store = createPostgresStore({ connectionString: url, schema });
    await store.migrate();
    await store.listOrgs();
    const { rows } = await admin.query<{ relkind: string }>(
      'SELECT relkind FROM pg_class WHERE oid = $1::regclass',
      [`"${schema}".entries`],
    );
    expect(rows[0]?.relkind).toBe('p');
    const parts = await partitionsOf(schema);
    expect(parts).toContain('entries_default');
    const now = new Date();
    for (let i = -1; i <= 3; i++) {
      const m = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1));
      expect(parts).toContain(
        `entries_p${m.getUTCFullYear()}${String(m.getUTCMonth() + 1).padStart(2, '0')}`,
      );
    }
    await store.close();
  });

  it('keeps one entry per id and per (org, key) across months, and puts strays in DEFAULT', async () => {
    const schema = schemaName();
    const store = createPostgresStore({ connectionString: url, schema });
    const first = entry({
      occurredAt: new Date(Date.now() - 40 * DAY).toISOString(),
      idempotencyKey: 'hook_1',
    });
    expect(await store.append([first])).toEqual({ inserted: 1, duplicates: 0 });
    // Same id in another month, and the same key in another month: both duplicates.
    const sameId = { ...first, occurredAt: new Date().toISOString(), idempotencyKey: undefined };
    const sameKey = entry({ idempotencyKey: 'hook_1' });
    expect(await store.append([sameId, sameKey])).toEqual({ inserted: 0, duplicates: 2 });
    // Two writers racing the same key: exactly one wins.
    const other = createPostgresStore({ connectionString: url, schema });
    const [a, b] = await Promise.all([
      store.append([entry({ idempotencyKey: 'hook_2' })]),
      other.append([entry({ idempotencyKey: 'hook_2' })]),
    ]);
    expect(a.inserted + b.inserted).toBe(1);
    const stray = entry({ occurredAt: '1950-06-01T00:00:00.000Z' });
    await store.append([stray]);
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM "${schema}".entries_default WHERE id = $1`,
      [stray.id],
    );
    expect(rows[0].n).toBe(1);
    expect(await store.get('org_a', stray.id)).toEqual(stray);
    await store.close();
    await other.close();
  });

  it('lists the months with their bounds without opening any partition (no wait for a partition locked elsewhere)', async () => {
    const schema = schemaName();
    const store = createPostgresStore({ connectionString: url, schema });
    await store.maintainPartitions({ from: '2024-01-01T00:00:00.000Z', to: '2024-03-01T00:00:00.000Z' });
    // Deparsing a bound against its table opens the table (to name its columns), so it waits for any
    // lock on any partition; the bound holds constants only and is deparsed without it.
    const holder = await admin.connect();
    const client = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${schema}".entries_p202402 IN ACCESS EXCLUSIVE MODE`);
      await client.query("SET lock_timeout = '500ms'");
      const months = await listPartitions(client, `"${schema}"`);
      expect(months.slice(0, 3)).toEqual(
        [0, 1, 2].map((m) => ({
          name: `entries_p20240${m + 1}`,
          from: new Date(Date.UTC(2024, m, 1)),
          to: new Date(Date.UTC(2024, m + 1, 1)),
        })),
      );
    } finally {
      await holder.query('ROLLBACK');
      await client.query('RESET lock_timeout');
      holder.release();
      client.release();
    }
    await store.close();
  });
});

/** Captures the SQL and parameters of the store's last query, to EXPLAIN exactly what it runs. */
function capturingPool(): { pool: pg.Pool; last: () => { text: string; values: unknown[] } } {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  let last = { text: '', values: [] as unknown[] };
  const query = pool.query.bind(pool) as (...a: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: unknown }).query = (text: unknown, values?: unknown) => {
    if (typeof text === 'string') last = { text, values: (values as unknown[]) ?? [] };
    return query(text, values);
  };
  return { pool, last: () => last };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}
function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('PostgreSQL list queries (EXPLAIN)', () => {
  const schema = schemaName();
  const { pool, last } = capturingPool();
  let store: PostgresStore;
  const now = Date.now();

  beforeAll(async () => {
    store = createPostgresStore({ pool, schema });
    await store.migrate();
    // A year of months, each its own partition, and enough rows that the planner prefers indexes.
    const months = Array.from({ length: 12 }, (_, i) => new Date(now - i * 30 * DAY));
    const partitionDates = months.map((m) => new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth(), 1)));
    const c = await admin.connect();
    try {
      await c.query('BEGIN');
      for (const d of partitionDates) {
        const next = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
        const name = `entries_p${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
        await c.query(
          `CREATE TABLE IF NOT EXISTS "${schema}"."${name}" PARTITION OF "${schema}".entries FOR VALUES FROM ('${d.toISOString()}') TO ('${next.toISOString()}')`,
        );
      }
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    const types = ['USER_ACTION', 'BACKGROUND_JOB', 'WEBHOOK_RECEIVED', 'SYSTEM_EVENT'];
    const statuses = ['SUCCESS', 'FAILED', 'WARNING', 'IN_PROGRESS'];
    await admin.query(
      `INSERT INTO "${schema}".entries (id, org_id, occurred_at, type, status, actor_id, action, entity_type, entity_id, correlation_id, search, doc)
       SELECT 'id' || g, 'org_' || (g % 4), to_timestamp(($1::bigint - (g::bigint * 155519000 % (360::bigint * 86400000))) / 1000.0),
              ($2::text[])[1 + g % 4], ($3::text[])[1 + (g / 7) % 4], 'usr_' || (g % 5), 'act',
              'ent_' || (g % 3), 'e' || (g % 7), 'corr_' || (g % 9), 'search text ' || g, '{}'
       FROM generate_series(1, 200000) g`,
      [now, types, statuses],
    );
    await admin.query(`ANALYZE "${schema}".entries`);
  }, 120_000);
  afterAll(async () => {
    await store.close();
    await pool.end();
  });

  const base = (): StoreQuery => ({
    orgId: 'org_3',
    limit: 50,
    from: new Date(now - 30 * DAY).toISOString(),
    to: new Date(now + 1).toISOString(),
  });
  const axes: [string, Partial<StoreQuery>][] = [
    ['date range only', {}],
    ['type', { types: ['BACKGROUND_JOB'] }],
    ['status', { statuses: ['FAILED'] }],
    ['actor', { actorIds: ['usr_3'] }],
    ['entity type', { entityTypes: ['ent_3'] }],
    ['entity id', { entityId: 'e3' }],
    ['correlation id', { correlationId: 'corr_3' }],
  ];
  for (const [axis, filter] of axes) {
    // With a handful of matching rows the planner may rightly prefer a bitmap scan and a tiny sort, so
    // the data gives every filter hundreds of matches per month, the case where a sort would hurt.
    it(`${axis}: prunes partitions, uses an index, does not sort`, async () => {
      await store.query({ ...base(), ...filter });
      const { text, values } = last();
      const { rows } = await admin.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
      const plan = nodes(rows[0]['QUERY PLAN'][0].Plan as PlanNode);
      if (process.env.SHOW_PLANS) {
        const text2 = await admin.query(`EXPLAIN ${text}`, values);
        console.log(axis, text, '\n', text2.rows.map((r) => r['QUERY PLAN']).join('\n'));
      }
      const scanned = new Set(
        plan.map((n) => n['Relation Name']).filter((r): r is string => r !== undefined),
      );
      const total = (await partitionsOf(schema)).length;
      expect(scanned.size).toBeGreaterThan(0);
      expect(scanned.size).toBeLessThanOrEqual(2);
      expect(total).toBeGreaterThan(10);
      expect(scanned.has('entries_default')).toBe(false);
      expect(plan.some((n) => /Index/.test(n['Node Type']))).toBe(true);
      expect(plan.filter((n) => /Sort/.test(n['Node Type'])).map((n) => n['Node Type'])).toEqual([]);
    });
  }
});

describe('dropPartitionsBefore', () => {
  it('drops whole months past the cutoff with their keys, keeping a month with an entry of an org not listed', async () => {
    const schema = schemaName();
    const store = createPostgresStore({ connectionString: url, schema });
    const monthAt = (y: number, m: number, org: string, day = 10) =>
      entry({
        orgId: org,
        occurredAt: new Date(Date.UTC(y, m, day)).toISOString(),
        idempotencyKey: `k_${org}_${y}_${m}_${day}`,
      });
    const old = [
      monthAt(2024, 0, 'org_a'),
      monthAt(2024, 0, 'org_b'),
      monthAt(2024, 1, 'org_a'),
      monthAt(2024, 2, 'org_hold'),
    ];
    const recent = [monthAt(2024, 5, 'org_a')];
    await store.append([...old, ...recent]);
    // The migration made a partition for each month present only when it copied rows; create these now.
    const c = await admin.connect();
    try {
      await c.query('BEGIN');
      for (const [y, m] of [
        [2024, 0],
        [2024, 1],
        [2024, 2],
        [2024, 5],
      ] as const) {
        const from = new Date(Date.UTC(y, m, 1)).toISOString();
        const to = new Date(Date.UTC(y, m + 1, 1)).toISOString();
        // Rows already in DEFAULT for the month go to the new partition: detach DEFAULT, move, reattach.
        await c.query(`ALTER TABLE "${schema}".entries DETACH PARTITION "${schema}".entries_default`);
        await c.query(
          `CREATE TABLE "${schema}".p_${y}_${m} PARTITION OF "${schema}".entries FOR VALUES FROM ('${from}') TO ('${to}')`,
        );
        await c.query(
          `INSERT INTO "${schema}".entries SELECT * FROM "${schema}".entries_default WHERE occurred_at >= '${from}' AND occurred_at < '${to}'`,
        );
        await c.query(
          `DELETE FROM "${schema}".entries_default WHERE occurred_at >= '${from}' AND occurred_at < '${to}'`,
        );
        await c.query(`ALTER TABLE "${schema}".entries ATTACH PARTITION "${schema}".entries_default DEFAULT`);
        await c.query(
          `ALTER TABLE "${schema}".p_${y}_${m} RENAME TO entries_p${y}${String(m + 1).padStart(2, '0')}`,
        );
      }
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    // org_hold is not among the orgs that may go (on hold): its month stays.
    const result = await store.dropPartitionsBefore('2024-05-01T00:00:00.000Z', { orgs: ['org_a', 'org_b'] });
    expect(result.partitions).toEqual(['entries_p202401', 'entries_p202402']);
    expect(result.byOrg).toEqual({ org_a: 2, org_b: 1 });
    expect(result.entries).toBe(3);
    const parts = await partitionsOf(schema);
    expect(parts).toContain('entries_p202403');
    expect(parts).not.toContain('entries_p202401');
    expect(await store.get('org_a', (old[0] as ActivityEntry).id)).toBeUndefined();
    expect(await store.get('org_hold', (old[3] as ActivityEntry).id)).toBeDefined();
    expect(await store.get('org_a', (recent[0] as ActivityEntry).id)).toBeDefined();
    // The dropped entries' ids and keys are free again, as after a per-org delete, even before the
    // background release of their entry_keys rows has run.
    expect(await store.append([old[0] as ActivityEntry])).toEqual({ inserted: 1, duplicates: 0 });
    const sameKey = entry({
      orgId: 'org_b',
      occurredAt: '2024-01-20T00:00:00.000Z',
      idempotencyKey: (old[1] as ActivityEntry).idempotencyKey,
    });
    expect(await store.append([sameKey])).toEqual({ inserted: 1, duplicates: 0 });
    // The release drops the detached months and their keys, but not a key taken again since.
    await store.maintainPartitions();
    expect(await detachedOf(schema)).toEqual([]);
    const { rows: keys } = await admin.query<{ id: string }>(
      `SELECT id FROM "${schema}".entry_keys WHERE occurred_at < '2024-03-01' ORDER BY occurred_at`,
    );
    expect(keys.map((k) => k.id)).toEqual([(old[0] as ActivityEntry).id, sameKey.id]);
    expect(await store.append([old[0] as ActivityEntry, sameKey])).toEqual({ inserted: 0, duplicates: 2 });
    await store.close();
  });

  /** A store whose months Jan..Mar 2024 exist; entries of org_a, org_b in January, `more` appended. */
  async function januaryStore(more: ActivityEntry[] = []) {
    const schema = schemaName();
    const store = createPostgresStore({ connectionString: url, schema });
    await store.maintainPartitions({ from: '2024-01-01T00:00:00.000Z', to: '2024-03-01T00:00:00.000Z' });
    const jan = (org: string, i: number) =>
      entry({ orgId: org, occurredAt: new Date(Date.UTC(2024, 0, 1 + (i % 28), i % 24)).toISOString() });
    const seeded = [
      ...Array.from({ length: 137 }, (_, i) => jan('org_a', i)),
      ...Array.from({ length: 59 }, (_, i) => jan('org_b', i)),
      ...more,
    ];
    await store.append(seeded);
    return { schema, store, jan };
  }

  it('counts exactly per org across months, and keeps a month another org has an entry in untouched', async () => {
    const feb = (org: string, day: number) =>
      entry({ orgId: org, occurredAt: `2024-02-${day}T10:00:00.000Z` });
    const { schema, store } = await januaryStore([feb('org_a', 10), feb('org_a', 11), feb('org_b', 12)]);
    await store.append([entry({ orgId: 'org_hold', occurredAt: '2024-03-03T00:00:00.000Z' })]);
    await store.maintainPartitions({ from: '2024-03-01T00:00:00.000Z', to: '2024-03-01T00:00:00.000Z' });
    const result = await store.dropPartitionsBefore('2024-04-01T00:00:00.000Z', { orgs: ['org_a', 'org_b'] });
    expect(result.partitions).toEqual(['entries_p202401', 'entries_p202402']);
    expect(result.byOrg).toEqual({ org_a: 139, org_b: 60 });
    expect(result.entries).toBe(199);
    // March holds org_hold's entry: still a partition of entries, with its row.
    expect(await partitionsOf(schema)).toContain('entries_p202403');
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".entries`);
    expect(rows[0].n).toBe(1);
    await store.close();
  });

  it('gives every month the one-column org index a drop counts from (migration 7)', async () => {
    const { schema, store } = await januaryStore([]);
    await store.maintainPartitions({ from: '2024-03-01T00:00:00.000Z', to: '2024-03-01T00:00:00.000Z' });
    const months = (await partitionsOf(schema)).filter((p) => /^entries_p\d{6}$/.test(p));
    expect(months.length).toBeGreaterThan(1);
    const { rows } = await admin.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%USING btree (org_id)'`,
      [schema],
    );
    const indexed = new Set(rows.map((r) => r.t));
    for (const month of months) expect(indexed.has(month), month).toBe(true);
    await store.close();
  });

  it('keeps a month when an entry of another org is committed while the drop waits for the table', async () => {
    const { schema, store } = await januaryStore();
    // The host's transaction holds an append of org_hold into January when the drop starts: the drop's
    // look at the month's orgs cannot see it, its detach waits for the commit, and its count sees it.
    const host = await admin.connect();
    try {
      await host.query('BEGIN');
      await store.appendInTransaction(host, [
        entry({ orgId: 'org_hold', occurredAt: '2024-01-20T00:00:00.000Z' }),
      ]);
      const dropping = store.dropPartitionsBefore('2024-02-01T00:00:00.000Z', { orgs: ['org_a', 'org_b'] });
      await new Promise((r) => setTimeout(r, 300));
      await host.query('COMMIT');
      const result = await dropping;
      expect(result).toEqual({ partitions: [], byOrg: {}, entries: 0 });
    } finally {
      host.release();
    }
    expect(await partitionsOf(schema)).toContain('entries_p202401');
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".entries_p202401`);
    expect(rows[0].n).toBe(137 + 59 + 1);
    await store.close();
  });

  it('leaves a detached month to the next release while a drop still counts it', async () => {
    const { schema, store } = await januaryStore();
    // dropMonths itself: the store's dropPartitionsBefore would start a release right after.
    const guard = guardPool({ connectionString: url, deadlines: DEFAULT_DEADLINES });
    const result = await dropMonths(guard, `"${schema}"`, schema, Date.UTC(2024, 1, 1), ['org_a', 'org_b']);
    await guard.pool.end();
    expect(result.byOrg).toEqual({ org_a: 137, org_b: 59 });
    const released = async () => (await detachedOf(schema)).length;
    // The lock a drop holds from its commit until its count is done (here held by hand).
    const counting = await admin.connect();
    try {
      await counting.query('SELECT pg_advisory_lock($1, hashtext($2))', [
        LOCK_NAMESPACE,
        `counting:${schema}`,
      ]);
      await store.maintainPartitions();
      expect(await released()).toBe(1);
      await counting.query('SELECT pg_advisory_unlock($1, hashtext($2))', [
        LOCK_NAMESPACE,
        `counting:${schema}`,
      ]);
    } finally {
      counting.release();
    }
    await store.maintainPartitions();
    expect(await released()).toBe(0);
    await store.close();
  });

  it('leaves a detached month under its name until released, and releases months an earlier version renamed', async () => {
    const { schema, store } = await januaryStore();
    const feb = entry({ orgId: 'org_a', occurredAt: '2024-02-03T00:00:00.000Z' });
    await store.append([feb]);
    // February detached and renamed by hand, as an earlier version left a month it had not released yet.
    await admin.query(`ALTER TABLE "${schema}".entries DETACH PARTITION "${schema}".entries_p202402`);
    await admin.query(`ALTER TABLE "${schema}".entries_p202402 RENAME TO released_p202402_0a1b2c3d`);
    // dropMonths itself: the store's dropPartitionsBefore would start a release right after.
    const guard = guardPool({ connectionString: url, deadlines: DEFAULT_DEADLINES });
    const result = await dropMonths(guard, `"${schema}"`, schema, Date.UTC(2024, 1, 1), ['org_a', 'org_b']);
    await guard.pool.end();
    expect(result.partitions).toEqual(['entries_p202401']);
    expect(await detachedOf(schema)).toEqual(['entries_p202401', 'released_p202402_0a1b2c3d']);
    // maintainPartitions creates the months of the range, then releases: January, whose name was still
    // taken, is not created again (February, renamed, is); both detached tables and their keys are gone.
    await store.maintainPartitions({ from: '2024-01-01T00:00:00.000Z', to: '2024-04-01T00:00:00.000Z' });
    expect(await detachedOf(schema)).toEqual([]);
    const parts = await partitionsOf(schema);
    expect(parts).toEqual(expect.arrayContaining(['entries_default', 'entries_p202402', 'entries_p202403']));
    expect(parts).not.toContain('entries_p202401');
    const { rows: keys } = await admin.query(`SELECT id FROM "${schema}".entry_keys`);
    expect(keys).toEqual([]);
    // A January entry now lands in DEFAULT, which retention purges per org.
    const late = entry({ orgId: 'org_a', occurredAt: '2024-01-25T00:00:00.000Z' });
    expect(await store.append([late])).toEqual({ inserted: 1, duplicates: 0 });
    const { rows } = await admin.query(`SELECT id FROM "${schema}".entries_default`);
    expect(rows).toEqual([{ id: late.id }]);
    await store.close();
  });

  it('fails without dropping anything when the query that commits never reaches its COMMIT', async () => {
    const { schema, store } = await januaryStore();
    // Another drop's count holds the counting lock; this drop waits for it before its COMMIT, past its
    // statement timeout.
    const counting = await admin.connect();
    const guard = guardPool({
      connectionString: url,
      deadlines: { ...DEFAULT_DEADLINES, statementTimeoutMs: 300 },
    });
    try {
      await counting.query('SELECT pg_advisory_lock($1, hashtext($2))', [
        LOCK_NAMESPACE,
        `counting:${schema}`,
      ]);
      await expect(
        dropMonths(guard, `"${schema}"`, schema, Date.UTC(2024, 1, 1), ['org_a', 'org_b']),
      ).rejects.toThrow(/dropPartitionsBefore failed/);
    } finally {
      await counting.query('SELECT pg_advisory_unlock($1, hashtext($2))', [
        LOCK_NAMESPACE,
        `counting:${schema}`,
      ]);
      counting.release();
      await guard.pool.end();
    }
    expect(await partitionsOf(schema)).toContain('entries_p202401');
    expect(await detachedOf(schema)).toEqual([]);
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".entries_p202401`);
    expect(rows[0].n).toBe(137 + 59);
    await store.close();
  });

  it('lets an append into the month being dropped wait and succeed (no deadlock), counting what was dropped', async () => {
    const { schema, store } = await januaryStore();
    const held = entry({ orgId: 'org_a', occurredAt: '2024-01-20T00:00:00.000Z' });
    const late = entry({ orgId: 'org_a', occurredAt: '2024-01-21T00:00:00.000Z' });
    // The host's open append holds the month when the drop starts; a second append arrives while the drop
    // waits. Taking the month's lock before the table's (as the drop once did) deadlocked that second append.
    const host = await admin.connect();
    let result: Awaited<ReturnType<PostgresStore['dropPartitionsBefore']>>;
    try {
      await host.query('BEGIN');
      await store.appendInTransaction(host, [held]);
      const dropping = store.dropPartitionsBefore('2024-02-01T00:00:00.000Z', { orgs: ['org_a', 'org_b'] });
      await new Promise((r) => setTimeout(r, 200));
      const appending = store.append([late]);
      await new Promise((r) => setTimeout(r, 200));
      await host.query('COMMIT');
      [result] = await Promise.all([
        dropping,
        appending.then((r) => expect(r).toEqual({ inserted: 1, duplicates: 0 })),
      ]);
    } finally {
      host.release();
    }
    expect(result.partitions).toEqual(['entries_p202401']);
    // The held entry was committed before the detach: dropped and counted. The late one normally waits
    // for the drop's commit and goes to DEFAULT; on a slow machine it may get in before the detach, and
    // is then dropped and counted too. Either way the count is exactly what left.
    const lateKept = (await store.get('org_a', late.id)) !== undefined;
    expect(result.byOrg).toEqual({ org_a: lateKept ? 138 : 139, org_b: 59 });
    expect(await store.get('org_a', held.id)).toBeUndefined();
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".entries`);
    expect(rows[0].n).toBe(lateKept ? 1 : 0);
    await store.close();
  });
});

describe('migrating an unpartitioned table (migration 4)', () => {
  it('keeps every entry, their ids and keys, and leaves a partitioned table', async () => {
    const schema = schemaName();
    // The store as it was before migration 4: migrations 1-3 only, entries written by its INSERT.
    const c = await admin.connect();
    const entries = Array.from({ length: 300 }, (_, i) =>
      entry({
        orgId: `org_${i % 3}`,
        occurredAt: new Date(Date.UTC(2025, i % 14, 1 + (i % 27), 12)).toISOString(),
        idempotencyKey: i % 2 === 0 ? `key_${i}` : undefined,
      }),
    );
    try {
      await c.query('BEGIN');
      await c.query(`CREATE SCHEMA "${schema}"`);
      await c.query(
        `CREATE TABLE "${schema}".schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version < 4)) {
        await m.up({ client: c, schema: `"${schema}"` });
        await c.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES ($1, $2)`, [
          m.version,
          m.name,
        ]);
      }
      const rows = entries.map(rowOf);
      // The columns a version-3 table has (later migrations add the csv_ ones).
      const v3 = INSERT_COLUMNS.map((col, i) => [col, i] as const).filter(([[n]]) => !n.startsWith('csv_'));
      await c.query(
        `INSERT INTO "${schema}".entries (${v3.map(([[n]]) => n).join(', ')})
         SELECT * FROM unnest(${v3.map(([[, t]], i) => `$${i + 1}::${t}[]`).join(', ')})`,
        v3.map(([, i]) => rows.map((r) => r[i] ?? null)),
      );
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    const store = createPostgresStore({ connectionString: url, schema });
    await store.migrate();
    const { rows: kind } = await admin.query('SELECT relkind FROM pg_class WHERE oid = $1::regclass', [
      `"${schema}".entries`,
    ]);
    expect(kind[0].relkind).toBe('p');
    const parts = await partitionsOf(schema);
    expect(parts).toContain('entries_p202501');
    expect(parts).toContain('entries_p202602');
    const { rows: count } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".entries_default`);
    expect(count[0].n).toBe(0);
    for (const e of entries.slice(0, 20)) expect(await store.get(e.orgId, e.id)).toEqual(e);
    expect((await store.facets({ orgId: 'org_1' })).total).toBe(100);
    // Old ids and keys are still taken.
    const again = entries.slice(0, 10);
    expect(await store.append(again)).toEqual({ inserted: 0, duplicates: 10 });
    const sameKey = entry({ orgId: 'org_0', idempotencyKey: 'key_0' });
    expect(await store.append([sameKey])).toEqual({ inserted: 0, duplicates: 1 });
    const { rows: versions } = await admin.query(
      `SELECT max(version)::int AS v FROM "${schema}".schema_migrations`,
    );
    expect(versions[0].v).toBe(Math.max(...POSTGRES_MIGRATIONS.map((m) => m.version)));
    await store.close();
  });
});

describe('retention on monthly partitions', () => {
  it('archives every org, then drops whole months; a month with an org on legal hold is kept and purged per org', async () => {
    const { createRetention } = await import('../src/server/retention.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const schema = schemaName();
    const store = createPostgresStore({ connectionString: url, schema });
    await store.migrate();
    // Months as the store would have created them ahead when they were current.
    for (const m of [0, 1, 2]) {
      const from = new Date(Date.UTC(2023, m, 1)).toISOString();
      const to = new Date(Date.UTC(2023, m + 1, 1)).toISOString();
      await admin.query(
        `CREATE TABLE "${schema}".entries_p2023${String(m + 1).padStart(2, '0')} PARTITION OF "${schema}".entries FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
    }
    const at = (m: number, day: number) => new Date(Date.UTC(2023, m, day)).toISOString();
    const seeded = [
      entry({ orgId: 'org_a', occurredAt: at(0, 5) }),
      entry({ orgId: 'org_b', occurredAt: at(0, 6) }),
      entry({ orgId: 'org_a', occurredAt: at(1, 5) }),
      entry({ orgId: 'org_hold', occurredAt: at(1, 6) }),
      entry({ orgId: 'org_a', occurredAt: at(2, 5) }),
      entry({ orgId: 'org_a' }),
    ];
    await store.append(seeded);
    const dir = mkdtempSync(join(tmpdir(), 'activity-part-retention-'));
    try {
      const retention = createRetention({
        store,
        dir,
        defaultPolicy: { keepDays: 365 },
        legalHolds: ['org_hold'],
      });
      const report = await retention.run();
      const by = (org: string) => report.orgs.find((o) => o.orgId === org);
      expect(by('org_a')).toMatchObject({ archived: 3, purged: 3 });
      expect(by('org_b')).toMatchObject({ archived: 1, purged: 1 });
      expect(by('org_hold')).toMatchObject({ skipped: true, purged: 0 });
      const parts = await partitionsOf(schema);
      // January held only archived orgs: dropped whole. February has org_hold's entry: kept, org_a's row
      // deleted from it. March: dropped.
      expect(parts).not.toContain('entries_p202301');
      expect(parts).toContain('entries_p202302');
      expect(parts).not.toContain('entries_p202303');
      const { rows } = await admin.query(`SELECT org_id FROM "${schema}".entries_p202302`);
      expect(rows.map((r) => r.org_id)).toEqual(['org_hold']);
      expect(await store.get('org_a', (seeded[5] as ActivityEntry).id)).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await store.close();
    }
  });
});
