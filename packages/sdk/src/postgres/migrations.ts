import type pg from 'pg';
import { partitionEntries } from './partitionMigration.js';

/** What a migration needs: the quoted schema name and a client inside the migration transaction. */
export interface MigrationContext {
  client: pg.PoolClient;
  /** Double-quoted schema identifier, safe to splice into DDL. */
  schema: string;
}

/** One versioned schema change. Versions are applied in order, each once, inside one transaction. */
export interface Migration {
  version: number;
  name: string;
  up(ctx: MigrationContext): Promise<void>;
}

/** Key space of our advisory locks ('actv'), so they cannot collide with the host's own locks. */
export const LOCK_NAMESPACE = 0x61637476;

/**
 * Newest-first pages per org, and the same per filter axis, so the first page of any axis is an index
 * range scan; the id tiebreak makes the keyset order total.
 */
export const ENTRY_INDEXES: readonly [string, string][] = [
  ['entries_org_time', '(org_id, occurred_at DESC, id DESC)'],
  ['entries_org_type', '(org_id, type, occurred_at DESC, id DESC)'],
  ['entries_org_status', '(org_id, status, occurred_at DESC, id DESC)'],
  ['entries_org_actor', '(org_id, actor_id, occurred_at DESC, id DESC)'],
  ['entries_org_entity_type', '(org_id, entity_type, occurred_at DESC, id DESC)'],
  ['entries_org_entity_id', '(org_id, entity_id, occurred_at DESC) WHERE entity_id IS NOT NULL'],
  ['entries_org_correlation', '(org_id, correlation_id, occurred_at DESC) WHERE correlation_id IS NOT NULL'],
  ['entries_parent', '(parent_id) WHERE parent_id IS NOT NULL'],
  // Retention deletes across all orgs by age.
  ['entries_time', '(occurred_at)'],
];

/**
 * The schema, newest last. Never edit an applied migration: add a new one.
 * The entry's canonical JSON lives in `doc` (TEXT) and is the only thing read back; the other columns
 * exist to filter and sort, and `metadata` (jsonb) is a sanitised copy for the host's own SQL.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'entries',
    async up({ client, schema }) {
      await client.query(`
        CREATE TABLE ${schema}.entries (
          id              text COLLATE "C" PRIMARY KEY,
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
          doc             text NOT NULL,
          CONSTRAINT entries_idempotency UNIQUE (org_id, idempotency_key)
        )`);
      const indexes = ENTRY_INDEXES;
      for (const [name, def] of indexes)
        await client.query(`CREATE INDEX ${name} ON ${schema}.entries ${def}`);
    },
  },
  {
    version: 2,
    name: 'trigram search (when pg_trgm is available)',
    async up({ client, schema }) {
      // pg_trgm is optional: without it `q` still works (a sequential scan within the other filters).
      await client.query('SAVEPOINT trgm');
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
        await client.query('RELEASE SAVEPOINT trgm');
      } catch {
        await client.query('ROLLBACK TO SAVEPOINT trgm');
      }
      const { rows } = await client.query<{ nspname: string }>(
        `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
      );
      const ext = rows[0]?.nspname;
      if (ext === undefined) return;
      const opclass = `"${ext.replaceAll('"', '""')}".gin_trgm_ops`;
      await client.query(
        `CREATE INDEX entries_search_trgm ON ${schema}.entries USING gin (search ${opclass})`,
      );
    },
  },
  {
    version: 3,
    name: 'integrity digests and seals',
    // Tamper evidence (docs/integrity.md): signed digests per org, and one seal row per sealed entry (its
    // digest and leaf hash), beside the entries so their rows are never rewritten.
    async up({ client, schema }) {
      await client.query(`
        CREATE TABLE ${schema}.digests (
          org_id    text COLLATE "C" NOT NULL,
          sequence  bigint NOT NULL,
          sealed_at timestamptz NOT NULL,
          digest    text NOT NULL,
          PRIMARY KEY (org_id, sequence)
        )`);
      await client.query(`
        CREATE TABLE ${schema}.seals (
          org_id   text COLLATE "C" NOT NULL,
          id       text COLLATE "C" NOT NULL,
          sequence bigint NOT NULL,
          leaf     text NOT NULL,
          PRIMARY KEY (org_id, id)
        )`);
      await client.query(`CREATE INDEX seals_sequence ON ${schema}.seals (org_id, sequence, id)`);
    },
  },
  {
    version: 4,
    name: 'monthly partitions; ids and idempotency keys in entry_keys',
    up: partitionEntries,
  },
  {
    version: 5,
    name: 'indexes that do not earn their place on ingest',
    // docs/scaling.md has the measurements. No store query reads entries by parent_id. entry_keys by
    // time served the partition drop's key release, which now joins the detached month on the key.
    async up({ client, schema }) {
      await client.query(`DROP INDEX IF EXISTS ${schema}.entries_parent`);
      await client.query(`DROP INDEX IF EXISTS ${schema}.entry_keys_time`);
    },
  },
  {
    version: 6,
    name: 'CSV export cells held only by the doc, as columns',
    // csvRows.ts: the export reads a page without parsing each doc. Nullable, no default: a catalog-only
    // change on the partitioned table whatever its size; NULL marks a row written before (or one whose
    // cells PostgreSQL text cannot hold exactly), which the export reads from its doc.
    async up({ client, schema }) {
      await client.query(
        `ALTER TABLE ${schema}.entries ADD COLUMN csv_label text, ADD COLUMN csv_summary text,
           ADD COLUMN csv_changes text, ADD COLUMN csv_error text`,
      );
    },
  },
  {
    version: 7,
    name: 'org index for the partition drop count',
    // partitionDrop.ts counts a detached month per org. B-tree deduplication keeps one entry per org and
    // page of ids, so an 85k-entry month's count reads 75 index pages instead of the 1,580 of
    // (org_id, occurred_at, id); measured 0.58x the drop's time, ingest within noise (docs/scaling.md).
    async up({ client, schema }) {
      await client.query(`CREATE INDEX IF NOT EXISTS entries_org ON ${schema}.entries (org_id)`);
    },
  },
];
