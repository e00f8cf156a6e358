/** Schema steps of a single-node ClickHouse store. Versions only grow; a shipped migration is never edited. */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  ENGINE_CLAUSE,
  entryColumns,
  KEYS_COLUMNS,
  KEYS_ENGINE_CLAUSE,
  keysViewSelect,
  ROW_COLUMNS,
  RUNS_ENGINE_CLAUSE,
  runColumns,
} from './schema.js';

/** Quoted names of the store's tables (and the lookup table's views). */
export interface ChTableNames {
  main: string;
  runs: string;
  keys: string;
  keysView: string;
  runsKeysView: string;
}

/** One schema step: statements run in order, each safe to run again (after a crash half-way). */
export interface ClickHouseMigration {
  version: number;
  name: string;
  statements(tables: ChTableNames): string[];
}

const COLUMN_LIST = ROW_COLUMNS.join(', ');

/**
 * Migration 1 keyed the table (org_id, occurred_at, id) as a ReplacingMergeTree: a job update was a new
 * row version read through FINAL. DateTime64 holds only 1900-2299, so `occurred_ms` (epoch ms, Int64,
 * migration 2) is the exact time every filter, sort and bucket uses, and `occurred_at` is that time
 * clamped into DateTime64's range: still a sort and partition key that prunes parts, and ordered like
 * `occurred_ms` (clamping never reorders). Migration 3 moves runs in progress to their own table, so the
 * entries table holds one final row per id and is read without FINAL, and adds the lookup table (fed by
 * a materialized view, filled once from the rows already stored) for `append`'s existence check.
 * Migration 4 feeds the lookup table from the runs table too (a second view, filled once from the runs
 * stored), so the existence check reads one table.
 */
export const MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    version: 1,
    name: 'entries',
    statements: ({ main }) => [
      `CREATE TABLE IF NOT EXISTS ${main} (
        ${entryColumns({ occurredMs: false })}
      )
      ENGINE = ReplacingMergeTree(version)
      ${ENGINE_CLAUSE}
      SETTINGS non_replicated_deduplication_window = 1000`,
    ],
  },
  {
    version: 2,
    name: 'occurred_ms',
    // Rows written before keep their time from occurred_at, which was exact for 1900-2299.
    statements: ({ main }) => [
      `ALTER TABLE ${main} ADD COLUMN IF NOT EXISTS occurred_ms Int64
         DEFAULT toUnixTimestamp64Milli(occurred_at) AFTER occurred_at`,
    ],
  },
  {
    version: 3,
    name: 'runs',
    statements: ({ main, runs, keys, keysView }) => [
      `CREATE TABLE IF NOT EXISTS ${runs} (
        ${runColumns()}
      )
      ENGINE = ReplacingMergeTree(version)
      ${RUNS_ENGINE_CLAUSE}
      SETTINGS non_replicated_deduplication_window = 1000`,
      // The newest version of every run still in progress moves to the runs table (run twice, the copies
      // are one row version: same key, same version)…
      `INSERT INTO ${runs} (${COLUMN_LIST})
       SELECT ${COLUMN_LIST} FROM ${main} FINAL WHERE status = 'IN_PROGRESS'`,
      // …then every IN_PROGRESS row leaves the entries table: each is that run or a version a finished
      // run superseded (a run is IN_PROGRESS until its one final version). One row per id remains.
      `DELETE FROM ${main} WHERE status = 'IN_PROGRESS'`,
      `CREATE TABLE IF NOT EXISTS ${keys} (
        ${KEYS_COLUMNS}
      )
      ENGINE = ReplacingMergeTree
      ${KEYS_ENGINE_CLAUSE}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${keysView} TO ${keys} AS ${keysViewSelect(main)}`,
      // Rows inserted while this runs reach the table twice (view and copy): one key, merged away.
      `INSERT INTO ${keys} ${keysViewSelect(main)}`,
    ],
  },
  {
    version: 4,
    name: 'runs_keys',
    // The view first: a run appended between the two statements reaches the table twice (one key).
    statements: ({ runs, keys, runsKeysView }) => [
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${runsKeysView} TO ${keys} AS ${keysViewSelect(runs)}`,
      `INSERT INTO ${keys} ${keysViewSelect(runs)}`,
    ],
  },
];

/**
 * Creates the database and the migrations table, and applies the migrations not applied yet. Statements
 * are idempotent, so two processes migrating at once both succeed.
 */
export async function applyMigrations(
  client: ClickHouseClient,
  db: string,
  migrationsTable: string,
  tables: ChTableNames,
): Promise<void> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${migrationsTable}
            (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rs = await client.query({ query: `SELECT version FROM ${migrationsTable}`, format: 'JSONEachRow' });
  const applied = new Set((await rs.json<{ version: number | string }>()).map((r) => Number(r.version)));
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    // Mutations wait for their rows; no deduplication: a copy made by a migration is never a retried
    // insert (and chdb keeps a session's last insert_deduplication_token for the statements after it).
    for (const query of m.statements(tables)) {
      await client.command({
        query,
        clickhouse_settings: { lightweight_deletes_sync: '2', mutations_sync: '2', insert_deduplicate: 0 },
      });
    }
    await client.insert({
      table: migrationsTable,
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    });
  }
}
