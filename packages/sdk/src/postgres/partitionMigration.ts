/**
 * Migration 4: `entries` becomes a table partitioned by month on `occurred_at`. A UNIQUE constraint on a
 * partitioned table must include the partition key, so the two idempotency rules (one entry per id; one
 * per org and idempotency key) move to `entry_keys`, a narrow unpartitioned table every append inserts
 * into first (ON CONFLICT DO NOTHING) in the same statement. Existing rows are copied in the migration's
 * transaction; see docs/scaling.md for tables too large for that.
 */
import { ENTRY_INDEXES, type MigrationContext } from './migrations.js';
import { createMonths, monthStart, monthsAround } from './partitions.js';

/** Columns of `entries` (migration 1's, without its constraints). */
const COLUMNS = `
  id              text COLLATE "C" NOT NULL,
  org_id          text COLLATE "C" NOT NULL,
  occurred_at     timestamptz NOT NULL,
  type            text NOT NULL,
  status          text NOT NULL,
  actor_id        text COLLATE "C" NOT NULL,
  actor_name      text,
  action          text NOT NULL,
  entity_type     text COLLATE "C",
  entity_id       text COLLATE "C",
  correlation_id  text COLLATE "C",
  parent_id       text COLLATE "C",
  retry_of        text COLLATE "C",
  idempotency_key text COLLATE "C",
  search          text NOT NULL,
  metadata        jsonb,
  doc             text NOT NULL`;

const COLUMN_NAMES =
  'id, org_id, occurred_at, type, status, actor_id, actor_name, action, entity_type, entity_id, correlation_id, parent_id, retry_of, idempotency_key, search, metadata, doc';

/** Applies migration 4 (see the module comment). */
export async function partitionEntries({ client, schema }: MigrationContext): Promise<void> {
  await client.query(`ALTER TABLE ${schema}.entries RENAME TO entries_unpartitioned`);

  await client.query(`
    CREATE TABLE ${schema}.entry_keys (
      id              text COLLATE "C" PRIMARY KEY,
      org_id          text COLLATE "C" NOT NULL,
      idempotency_key text COLLATE "C",
      occurred_at     timestamptz NOT NULL,
      CONSTRAINT entry_keys_idempotency UNIQUE (org_id, idempotency_key)
    )`);
  // Partition drops release the keys of a whole month.
  await client.query(`CREATE INDEX entry_keys_time ON ${schema}.entry_keys (occurred_at)`);
  await client.query(`CREATE TABLE ${schema}.entries (${COLUMNS}) PARTITION BY RANGE (occurred_at)`);
  await client.query(`CREATE TABLE ${schema}.entries_default PARTITION OF ${schema}.entries DEFAULT`);
  const { rows: months } = await client.query<{ m: Date }>(
    `SELECT DISTINCT date_trunc('month', occurred_at, 'UTC') AS m FROM ${schema}.entries_unpartitioned`,
  );
  await createMonths(client, schema, [
    ...months.map((r) => monthStart(r.m.getTime())),
    ...monthsAround(Date.now()),
  ]);
  await client.query(
    `INSERT INTO ${schema}.entry_keys (id, org_id, idempotency_key, occurred_at)
     SELECT id, org_id, idempotency_key, occurred_at FROM ${schema}.entries_unpartitioned`,
  );
  await client.query(
    `INSERT INTO ${schema}.entries (${COLUMN_NAMES}) SELECT ${COLUMN_NAMES} FROM ${schema}.entries_unpartitioned`,
  );
  // Dropping the old table frees its index names; building the indexes after the bulk copy is faster.
  await client.query(`DROP TABLE ${schema}.entries_unpartitioned`);
  // The old primary key, as a plain index: reads by id (integrity sealing, lookups) stay index scans.
  // `entries_time (occurred_at)` served retention's delete by age across orgs; whole months are dropped
  // now, and on a partition it only tempted the planner into a scan plus sort for one org's page.
  // The entity id and correlation indexes gain the id tiebreak, so their pages need no sort either.
  const indexes = ENTRY_INDEXES.filter(([name]) => name !== 'entries_time').map(
    ([name, def]) => [name, def.replace('occurred_at DESC)', 'occurred_at DESC, id DESC)')] as const,
  );
  for (const [name, def] of [['entries_id', '(id)'] as const, ...indexes]) {
    await client.query(`CREATE INDEX ${name} ON ${schema}.entries ${def}`);
  }
  const { rows: trgm } = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
  );
  const ext = trgm[0]?.nspname;
  if (ext !== undefined) {
    const opclass = `"${ext.replaceAll('"', '""')}".gin_trgm_ops`;
    await client.query(`CREATE INDEX entries_search_trgm ON ${schema}.entries USING gin (search ${opclass})`);
  }
}
