/**
 * Applying the PostgreSQL store's pending migrations (migrations.ts lists them) in one transaction under
 * an advisory lock per schema, so app servers booting at once apply each migration exactly once.
 */
import { storeFailed } from './context.js';
import { LOCK_NAMESPACE, MIGRATIONS } from './migrations.js';
import type { GuardedPool } from './pool.js';

/** Creates `schema` and its migration table when missing, then applies every migration not yet recorded. */
export async function runMigrations(guard: GuardedPool, schema: string, schemaName: string): Promise<void> {
  try {
    // On failure the client is discarded, not released: ending its connection rolls the transaction back.
    await guard.withClient(async (client) => {
      await client.query('BEGIN');
      // Concurrent boots serialise here; the loser then sees every migration applied and does nothing.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, schemaName]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
           version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM ${schema}.schema_migrations`,
      );
      const applied = new Set(rows.map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await m.up({ client, schema });
        await client.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
          m.version,
          m.name,
        ]);
      }
      await client.query('COMMIT');
    });
  } catch (err) {
    throw storeFailed('migration', err);
  }
}
