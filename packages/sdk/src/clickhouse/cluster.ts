/**
 * DDL of the store's tables on a ClickHouse cluster: for each table a replicated table on every node
 * (`<name>_local`) and a `Distributed` table (`<name>`) over it, sharded by `cityHash64(org_id)` so every
 * row of one org (its entries, its runs' versions, its lookup rows, its seals) lives on one shard: one
 * org's page reads one shard, and `FINAL` over the runs and job updates resolve within it. The lookup
 * table's materialized views run on each node, from the local entries and runs tables to the local
 * lookup table.
 * Run the statements once from any node; they are idempotent.
 */
import { ActivityError } from '../errors.js';
import {
  ENGINE_CLAUSE,
  entryColumns,
  KEYS_COLUMNS,
  KEYS_ENGINE_CLAUSE,
  KEYS_SUFFIX,
  keysViewSelect,
  RUNS_ENGINE_CLAUSE,
  RUNS_KEYS_VIEW_SUFFIX,
  RUNS_SUFFIX,
  runColumns,
} from './schema.js';

/** Options of {@link clickhouseClusterDDL}. */
export interface ClickHouseClusterOptions {
  /** Cluster name as in the servers' `remote_servers` configuration. */
  cluster: string;
  /** Database of the tables. @default 'activity' */
  database?: string | undefined;
  /** Name of the Distributed entries table the store reads and writes; the replicated tables are `<name>_local`. @default 'entries' */
  table?: string | undefined;
  /** Number of shards of the cluster (equal weights); used for {@link ClickHouseClusterDDL.shardOfOrg}. */
  shards: number;
  /**
   * Keeper path of the replicated tables; `{shard}` and `{replica}` are the servers' macros, `{table}` is
   * replaced by each local table's name. A path without `{table}` is the entries table's, and each other
   * table's is that path with its suffix appended (`…/entries_local_runs`).
   * @default '/clickhouse/tables/{shard}/<database>/{table}'
   */
  keeperPath?: string | undefined;
  /** Replica name. @default '{replica}' */
  replica?: string | undefined;
}

/** Quoted `` `db`.`name_local` `` names of the replicated tables. */
export interface ClickHouseClusterLocals {
  /** Entries in a final state. */
  entries: string;
  /** Versions of runs in progress. */
  runs: string;
  /** Ids and idempotency keys, for `append`'s existence check. */
  keys: string;
  /** Integrity digests (created here so the integrity side finds its tables distributed). */
  digests: string;
  /** Integrity seal rows. */
  seals: string;
  /** Integrity sealer leases. */
  sealLeases: string;
}

/** What {@link clickhouseClusterDDL} returns. */
export interface ClickHouseClusterDDL {
  /** Statements to run in order (each `… ON CLUSTER …`, `IF NOT EXISTS`). */
  statements: string[];
  /** `` `db`.`table_local` ``: the replicated entries table on every node (deletes and partition drops go here). */
  localTable: string;
  /** `` `db`.`table` ``: the Distributed entries table. */
  distributedTable: string;
  /** Every replicated table (deletes go to these, `ON CLUSTER`). */
  locals: ClickHouseClusterLocals;
  /** `SELECT … AS shard_num` with an `{org:String}` parameter: the shard (1-based) holding an org. */
  shardOfOrg: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function name(value: string, field: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new ActivityError(
      'CONFIG',
      `${field}: "${value}" must be a plain identifier (letters, digits, underscore)`,
      {
        field,
      },
    );
  }
  return `\`${value}\``;
}

function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The integrity side's tables (clickhouse/integrity.ts creates them with `CREATE TABLE IF NOT EXISTS`
 * on a single node; on a cluster they exist already, distributed). Kept equal to integrity.ts's by
 * clickhouseCluster.test.ts, which compares both column by column.
 */
const INTEGRITY_TABLES = [
  {
    suffix: '_digests',
    columns: 'org_id String, sequence UInt64, sealed_at String, digest_hash String, digest String',
    engine: 'MergeTree',
    clause: 'ORDER BY (org_id, sequence)',
  },
  {
    suffix: '_seals',
    columns: `org_id String, sequence UInt64, id String, leaf String, digest_hash String,
          INDEX idx_id id TYPE bloom_filter(0.01) GRANULARITY 4`,
    engine: 'MergeTree',
    clause: 'ORDER BY (org_id, sequence, id)',
  },
  {
    suffix: '_seal_leases',
    columns: 'org_id String, holder String, at_ms Int64, until_ms Int64',
    engine: 'MergeTree',
    clause: 'ORDER BY (org_id, at_ms, holder) TTL toDateTime(intDiv(at_ms, 1000)) + INTERVAL 1 DAY',
  },
];

/**
 * Generates the cluster DDL of the store's tables.
 * @example for (const query of clickhouseClusterDDL({ cluster: 'logs', database: 'activity', shards: 3 }).statements) await client.command({ query });
 */
export function clickhouseClusterDDL(options: ClickHouseClusterOptions): ClickHouseClusterDDL {
  const cluster = name(options.cluster, 'cluster');
  const databaseName = options.database ?? 'activity';
  const tableName = options.table ?? 'entries';
  const db = name(databaseName, 'database');
  if (!Number.isInteger(options.shards) || options.shards < 1) {
    throw new ActivityError('CONFIG', 'shards: must be a whole number ≥ 1', { field: 'shards' });
  }
  const replica = literal(options.replica ?? '{replica}');
  const path = (local: string, suffix: string) => {
    const given = options.keeperPath;
    if (given === undefined) return literal(`/clickhouse/tables/{shard}/${databaseName}/${local}`);
    // A path without {table} names the entries table's (as before there were several); the others extend it.
    return literal(given.includes('{table}') ? given.replaceAll('{table}', local) : `${given}${suffix}`);
  };
  const localOf = (suffix: string) => `${db}.${name(`${tableName}${suffix}_local`, 'table')}`;
  const distributedOf = (suffix: string) => `${db}.${name(`${tableName}${suffix}`, 'table')}`;
  /** A replicated local table and the Distributed table over it (an org's rows on one shard). */
  const pair = (suffix: string, columns: string, engine: string, clause: string, engineArgs = '') => {
    const local = `${tableName}${suffix}_local`;
    const args = [path(local, suffix), replica, ...(engineArgs ? [engineArgs] : [])].join(', ');
    return [
      `CREATE TABLE IF NOT EXISTS ${localOf(suffix)} ON CLUSTER ${cluster} (
        ${columns}
      )
      ENGINE = Replicated${engine}(${args})
      ${clause}`,
      `CREATE TABLE IF NOT EXISTS ${distributedOf(suffix)} ON CLUSTER ${cluster} AS ${localOf(suffix)}
      ENGINE = Distributed(${cluster}, ${db}, ${name(local, 'table')}, cityHash64(org_id))`,
    ];
  };
  return {
    statements: [
      `CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER ${cluster}`,
      ...pair('', entryColumns({ occurredMs: true }), 'ReplacingMergeTree', ENGINE_CLAUSE, 'version'),
      ...pair(RUNS_SUFFIX, runColumns(), 'ReplacingMergeTree', RUNS_ENGINE_CLAUSE, 'version'),
      ...pair(KEYS_SUFFIX, KEYS_COLUMNS, 'ReplacingMergeTree', KEYS_ENGINE_CLAUSE),
      // Each node feeds its own lookup table from its own entries: the rows of an org stay on its shard.
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${name(`${tableName}${KEYS_SUFFIX}_mv`, 'table')} ON CLUSTER ${cluster}
      TO ${localOf(KEYS_SUFFIX)} AS ${keysViewSelect(localOf(''))}`,
      // …and from its own runs (same shard: runs and keys are sharded by org like the entries). A cluster
      // created before this view gets it from these statements, but not the keys of the runs in progress
      // at that moment: copy them once (`INSERT INTO <keys> SELECT … FROM <runs>`, see docs/scaling.md).
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${name(`${tableName}${RUNS_KEYS_VIEW_SUFFIX}`, 'table')} ON CLUSTER ${cluster}
      TO ${localOf(KEYS_SUFFIX)} AS ${keysViewSelect(localOf(RUNS_SUFFIX))}`,
      ...INTEGRITY_TABLES.flatMap((i) => pair(i.suffix, i.columns, i.engine, i.clause)),
    ],
    localTable: localOf(''),
    distributedTable: distributedOf(''),
    locals: {
      entries: localOf(''),
      runs: localOf(RUNS_SUFFIX),
      keys: localOf(KEYS_SUFFIX),
      digests: localOf('_digests'),
      seals: localOf('_seals'),
      sealLeases: localOf('_seal_leases'),
    },
    shardOfOrg: `SELECT cityHash64({org:String}) % ${options.shards} + 1 AS shard_num`,
  };
}
