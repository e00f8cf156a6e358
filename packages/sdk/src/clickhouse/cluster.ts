/**
 * DDL of the entries table on a ClickHouse cluster: a `ReplicatedReplacingMergeTree` on every node
 * (`<table>_local`), and a `Distributed` table (`<table>`) over it, sharded by `cityHash64(org_id)` so
 * every row version of one org lives on one shard (one org's page reads one shard, and FINAL / job
 * updates resolve within it). Run the statements once from any node; they are idempotent.
 */
import { ActivityError } from '../errors.js';
import { ENGINE_CLAUSE, entryColumns } from './schema.js';

/** Options of {@link clickhouseClusterDDL}. */
export interface ClickHouseClusterOptions {
  /** Cluster name as in the servers' `remote_servers` configuration. */
  cluster: string;
  /** Database of both tables. @default 'activity' */
  database?: string | undefined;
  /** Name of the Distributed table the store reads and writes; the replicated tables are `<table>_local`. @default 'entries' */
  table?: string | undefined;
  /** Number of shards of the cluster (equal weights); used for {@link ClickHouseClusterDDL.shardOfOrg}. */
  shards: number;
  /**
   * Keeper path of the replicated table; `{shard}` and `{replica}` are the servers' macros.
   * @default '/clickhouse/tables/{shard}/<database>/<table>_local'
   */
  keeperPath?: string | undefined;
  /** Replica name. @default '{replica}' */
  replica?: string | undefined;
}

/** What {@link clickhouseClusterDDL} returns. */
export interface ClickHouseClusterDDL {
  /** Statements to run in order (each `… ON CLUSTER …`, `IF NOT EXISTS`). */
  statements: string[];
  /** `` `db`.`table_local` ``: the replicated table on every node (deletes and partition drops go here). */
  localTable: string;
  /** `` `db`.`table` ``: the Distributed table. */
  distributedTable: string;
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
 * Generates the cluster DDL of the entries table.
 * @example for (const query of clickhouseClusterDDL({ cluster: 'logs', database: 'activity', shards: 3 }).statements) await client.command({ query });
 */
export function clickhouseClusterDDL(options: ClickHouseClusterOptions): ClickHouseClusterDDL {
  const cluster = name(options.cluster, 'cluster');
  const databaseName = options.database ?? 'activity';
  const tableName = options.table ?? 'entries';
  const db = name(databaseName, 'database');
  const local = `${db}.${name(`${tableName}_local`, 'table')}`;
  const distributed = `${db}.${name(tableName, 'table')}`;
  if (!Number.isInteger(options.shards) || options.shards < 1) {
    throw new ActivityError('CONFIG', 'shards: must be a whole number ≥ 1', { field: 'shards' });
  }
  const path = options.keeperPath ?? `/clickhouse/tables/{shard}/${databaseName}/${tableName}_local`;
  const replica = options.replica ?? '{replica}';
  return {
    statements: [
      `CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER ${cluster}`,
      `CREATE TABLE IF NOT EXISTS ${local} ON CLUSTER ${cluster} (
        ${entryColumns({ occurredMs: true })}
      )
      ENGINE = ReplicatedReplacingMergeTree(${literal(path)}, ${literal(replica)}, version)
      ${ENGINE_CLAUSE}`,
      // The sharding key routes every version of an org's rows to one shard: FINAL and job updates
      // resolve there, and a page of one org is served by one shard.
      `CREATE TABLE IF NOT EXISTS ${distributed} ON CLUSTER ${cluster} AS ${local}
      ENGINE = Distributed(${cluster}, ${db}, ${name(`${tableName}_local`, 'table')}, cityHash64(org_id))`,
    ],
    localTable: local,
    distributedTable: distributed,
    shardOfOrg: `SELECT cityHash64({org:String}) % ${options.shards} + 1 AS shard_num`,
  };
}
