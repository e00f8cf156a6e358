import type { Database } from 'better-sqlite3';
import type { SqliteDatabase } from './types.js';

/** One schema step. Versions only grow; a shipped migration is never edited. */
export interface SqliteMigration {
  version: number;
  name: string;
  /** SQL run once, inside the migration transaction. */
  up: string;
}

/** The table every store of this package writes. */
export const ENTRIES_TABLE = 'activity_entries';

/** Every migration, in order. */
export const MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'create activity_entries',
    up: `
      CREATE TABLE activity_entries (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        -- epoch milliseconds: sorts and compares as an integer, 8 bytes in every index
        occurred_at INTEGER NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT,
        entity_type TEXT,
        entity_id TEXT,
        correlation_id TEXT,
        idempotency_key TEXT,
        -- lower-cased action, entity label, actor name and summary for the free-text filter
        search TEXT NOT NULL,
        -- the whole entry as JSON; the columns above only serve filters and ordering
        data TEXT NOT NULL,
        UNIQUE (org_id, idempotency_key)
      );
      CREATE INDEX activity_org_time ON activity_entries (org_id, occurred_at DESC, id DESC);
      CREATE INDEX activity_org_type ON activity_entries (org_id, type, occurred_at, id);
      CREATE INDEX activity_org_status ON activity_entries (org_id, status, occurred_at, id);
      CREATE INDEX activity_org_actor ON activity_entries (org_id, actor_id, occurred_at, id);
      CREATE INDEX activity_org_entity_type ON activity_entries (org_id, entity_type, occurred_at, id);
      CREATE INDEX activity_org_entity ON activity_entries (org_id, entity_id, occurred_at, id);
      CREATE INDEX activity_org_correlation ON activity_entries (org_id, correlation_id, occurred_at, id);
    `,
  },
  {
    version: 2,
    name: 'integrity digests and seals',
    // Tamper evidence (docs/integrity.md): signed digests per org, and one seal row per sealed entry
    // (its digest and leaf hash), beside the entries so their stored rows are never rewritten.
    up: `
      CREATE TABLE activity_digests (
        org_id TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        sealed_at TEXT NOT NULL,
        -- the signed digest as JSON
        digest TEXT NOT NULL,
        PRIMARY KEY (org_id, sequence)
      );
      CREATE TABLE activity_seals (
        org_id TEXT NOT NULL,
        id TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        leaf TEXT NOT NULL,
        PRIMARY KEY (org_id, id)
      );
      CREATE INDEX activity_seals_sequence ON activity_seals (org_id, sequence, id);
    `,
  },
  {
    version: 3,
    name: 'integrity leaf per entry',
    // The leaf hash of a final entry, written with it when the store has `leafHashes` on, so sealing
    // reads 32 bytes per entry instead of parsing and canonicalising its JSON. Adding a column rewrites
    // no row; NULL (older rows, the option off) makes the sealer hash the stored JSON as before.
    up: `ALTER TABLE activity_entries ADD COLUMN leaf BLOB;`,
  },
];

/** Applies the migrations not yet recorded in `schema_migrations`; safe to run on every open. */
export function migrate(
  connection: SqliteDatabase,
  migrations: readonly SqliteMigration[] = MIGRATIONS,
): number[] {
  const db = connection as Database;
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const applied = db.prepare('SELECT version FROM schema_migrations');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const run = db.transaction(() => {
    // Read inside the write lock so two processes opening the same file never apply a step twice.
    const done = new Set(applied.all().map((r) => (r as { version: number }).version));
    const ran: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      db.exec(m.up);
      record.run(m.version, m.name, new Date().toISOString());
      ran.push(m.version);
    }
    return ran;
  });
  return run.immediate();
}
