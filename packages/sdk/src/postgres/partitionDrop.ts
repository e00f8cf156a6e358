/**
 * Retention by whole months: detach and drop monthly partitions holding only entries that may go.
 * The month leaves `entries` at once (one catalog change, whatever its size); its ids and idempotency
 * keys are released from `entry_keys` afterwards, in the background, by joining the detached table on
 * the key's primary key. Until then an append that meets one of those keys finds its entry gone and
 * frees it (ingest.ts), so the ids and keys are free again the moment the month is dropped.
 */
import type pg from 'pg';
import { ActivityError } from '../errors.js';
import { LOCK_NAMESPACE } from './migrations.js';
import {
  listPartitionsSql,
  literal,
  lockPartitions,
  lockPartitionsSql,
  monthPartitions,
} from './partitions.js';
import type { GuardedPool } from './pool.js';
import { distinctOrgsSql } from './rows.js';

/** What {@link dropMonths} removed. */
export interface PartitionDrop {
  /** Dropped partitions, oldest first. */
  partitions: string[];
  /** Entries removed, per org. */
  byOrg: Record<string, number>;
  /** Entries removed in all. */
  entries: number;
}

/**
 * A detached month keeps its name (`entries_p…`, no longer a partition) until its keys are released and
 * it is dropped: renaming it cost a third of the drop's catalog writes (pg_class and both row types,
 * with their indexes). Until then the month cannot be created again (createMonths leaves its entries in
 * DEFAULT, which retention purges per org). Months detached by earlier versions were renamed with this
 * prefix; they are released all the same.
 */
const LEGACY_PREFIX = 'released_';

function failed(what: string, err: unknown): ActivityError {
  const detail = err instanceof Error ? `: ${err.message}` : '';
  return new ActivityError('STORE_FAILED', `postgres store: ${what} failed${detail}`, { cause: err });
}

/**
 * Held (per session, so past the commit) while a drop counts the months it detached: a release waits for
 * it before dropping a detached month, so the count always finds its table.
 */
function countingLock(schemaName: string): [number, string] {
  return [LOCK_NAMESPACE, `counting:${schemaName}`];
}

/** {@link countingLock} as SQL text, to share a round trip with the statement next to it. */
function countingLockSql(fn: 'pg_advisory_lock' | 'pg_advisory_unlock', schemaName: string): string {
  const [space, key] = countingLock(schemaName);
  return `SELECT ${fn}(${space}, hashtext(${literal(key)}))`;
}

/**
 * pg answers a query of several statements (sent without parameters, as one message: one round trip)
 * with one result per statement, and a query of one statement with that result alone.
 */
async function statements(client: pg.PoolClient, sql: string): Promise<pg.QueryResult[]> {
  const answer: unknown = await client.query(sql);
  return (Array.isArray(answer) ? answer : [answer]) as pg.QueryResult[];
}

/** The rows of the `index`-th statement's result. */
function rowsOf<R>(results: pg.QueryResult[], index: number): R[] {
  return (results[index]?.rows ?? []) as R[];
}

/**
 * The orgs of each table, in one query: `(i, org_id)` for the table at index `i`. One loose index scan
 * per table (a few index probes each), whatever the number of entries.
 */
function orgsOfSql(tables: string[]): string {
  return tables
    .map((table, i) => `SELECT ${i} AS i, org_id FROM (${distinctOrgsSql(table)}) o`)
    .join(' UNION ALL ');
}

/**
 * The entries of each table per org, in one query: `(i, org_id, n)`. Each org found by the loose scan is
 * counted by an index-only scan of the one-column `(org_id)` index (migration 7; deduplicated, so a few
 * dozen pages for a month) restricted to that org; on a month long vacuumed no row is read. This is the
 * drop's largest cost (one index entry visited per entry); counting org by org, rather than grouping
 * one scan by org_id, spares the grouping's comparison of every entry with the one before it (3.6–3.8
 * against 4.7–4.9 ms for 81.5k entries of 10 orgs).
 */
function countsSql(tables: string[]): string {
  return tables
    .map(
      (table, i) =>
        `SELECT ${i} AS i, o.org_id, (SELECT count(*)::int FROM ${table} e WHERE e.org_id = o.org_id) AS n
         FROM (${distinctOrgsSql(table)}) o`,
    )
    .join(' UNION ALL ');
}

/**
 * The transaction of {@link dropMonths}: detaches the months that may go, and takes the
 * counting lock before its commit. Each month is checked first without a lock by its orgs alone (a few
 * index probes), so a month that stays is never detached; then detached, which takes the parent's lock
 * before the month's, in the order an append takes them: an append into the month waits, and lands in
 * DEFAULT after the commit (a lock taken on the month first deadlocked with it). The orgs are checked
 * again on the detached month, which nothing else can write now; another org's entry committed in
 * between puts the month back. Statements go several to a query (no parameters, one round trip each):
 * the lock with the list of months, the first check of every month in one query, each month's detach
 * and second check together, the counting lock with the commit. Resolves with the detached months' names.
 */
async function detachMonths(
  client: pg.PoolClient,
  schema: string,
  schemaName: string,
  beforeMs: number,
  allowed: Set<string>,
): Promise<string[]> {
  const listed = await statements(
    client,
    `BEGIN; ${lockPartitionsSql(schemaName)}; ${listPartitionsSql(schema)}`,
  );
  const months = monthPartitions(rowsOf(listed, 2)).filter((p) => p.to.getTime() <= beforeMs);
  const tables = months.map((p) => `${schema}."${p.name}"`);
  const others = new Set<number>();
  if (months.length > 0) {
    const { rows } = await client.query<{ i: number; org_id: string }>(orgsOfSql(tables));
    for (const r of rows) if (!allowed.has(r.org_id)) others.add(r.i);
  }
  const detached: string[] = [];
  for (const [i, part] of months.entries()) {
    const table = tables[i] as string;
    if (others.has(i)) continue;
    const moved = await statements(
      client,
      `SAVEPOINT month; ALTER TABLE ${schema}.entries DETACH PARTITION ${table}; ${orgsOfSql([table])}`,
    );
    if (!rowsOf<{ org_id: string }>(moved, 2).every((r) => allowed.has(r.org_id))) {
      await client.query('ROLLBACK TO SAVEPOINT month');
      continue;
    }
    detached.push(part.name);
  }
  await client.query(
    detached.length > 0 ? `${countingLockSql('pg_advisory_lock', schemaName)}; COMMIT` : 'COMMIT',
  );
  return detached;
}

/**
 * Detaches every monthly partition ending at or before `beforeMs` whose entries all belong to `orgs`
 * (the orgs retention archived and verified), in one transaction under the partition lock, and renames
 * it for {@link releaseMonths}. A partition with an entry of any other org (on hold, failed, not listed)
 * stays. The entries of the detached months are counted per org after the commit, on the detached
 * tables (exactly what was dropped: nothing writes them any more), so the table stays locked against
 * reads and appends only for the catalog change, not for the count. A detached month keeps its name
 * until {@link releaseMonths} drops it.
 */
export async function dropMonths(
  guard: GuardedPool,
  schema: string,
  schemaName: string,
  beforeMs: number,
  orgs: string[],
): Promise<PartitionDrop> {
  const result: PartitionDrop = { partitions: [], byOrg: {}, entries: 0 };
  let dropped: string[] = [];
  try {
    await guard.withClient(async (client) => {
      dropped = await detachMonths(client, schema, schemaName, beforeMs, new Set(orgs));
      if (dropped.length === 0) return;
      // All months in one query, which releases the counting lock in the same round trip; on a failure
      // before that, the client is discarded, and its session's lock ends with it.
      const counted = await statements(
        client,
        `${countsSql(dropped.map((name) => `${schema}."${name}"`))}; ${countingLockSql('pg_advisory_unlock', schemaName)}`,
      );
      for (const r of rowsOf<{ org_id: string; n: number }>(counted, 0)) {
        result.byOrg[r.org_id] = (result.byOrg[r.org_id] ?? 0) + r.n;
        result.entries += r.n;
      }
      result.partitions.push(...dropped);
    });
  } catch (err) {
    // Only the count failed (the connection, most likely): the months are gone, and the error says so.
    if (dropped.length > 0)
      throw failed(`counting the entries of the months dropped (${dropped.join(', ')})`, err);
    throw failed('dropPartitionsBefore', err);
  }
  return result;
}

/**
 * Releases the `entry_keys` rows of every detached month (a table named as a month that is no partition,
 * or renamed by an earlier version; only those whose entry is gone: a key freed and taken again by a new
 * entry stays), then drops the month's table; one transaction per month, so an interrupted run leaves
 * the rest for the next. Resolves with the number of months released.
 */
export async function releaseMonths(guard: GuardedPool, schema: string, schemaName: string): Promise<number> {
  let released = 0;
  try {
    const { rows } = await guard.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT c.relispartition
         AND (c.relname LIKE 'entries\\_p%' OR c.relname LIKE '${LEGACY_PREFIX.replace('_', '\\_')}%')
       ORDER BY 1`,
      [schemaName],
    );
    for (const { name } of rows) {
      const done = await guard.withClient(async (client) => {
        await client.query('BEGIN');
        // One releaser at a time; another may have released this month while we waited.
        await lockPartitions(client, schemaName);
        const table = `${schema}."${name}"`;
        const { rows: found } = await client.query<{ detached: boolean | null; free: boolean }>(
          `SELECT (SELECT NOT relispartition FROM pg_class WHERE oid = to_regclass($1)) AS detached,
                  pg_try_advisory_xact_lock($2, hashtext($3)) AS free`,
          [table, ...countingLock(schemaName)],
        );
        // Gone (released meanwhile; or a month of that name created again and attached), or a drop is
        // still counting the months it detached: the next run.
        if (found[0]?.detached !== true || found[0]?.free === false) {
          await client.query('ROLLBACK');
          return false;
        }
        await client.query(
          `DELETE FROM ${schema}.entry_keys k USING ${table} r
           WHERE k.id = r.id AND k.org_id = r.org_id AND k.occurred_at = r.occurred_at
             AND NOT EXISTS (SELECT 1 FROM ${schema}.entries e
                             WHERE e.org_id = k.org_id AND e.occurred_at = k.occurred_at AND e.id = k.id)`,
        );
        await client.query(`DROP TABLE ${table}`);
        await client.query('COMMIT');
        return true;
      });
      if (done) released++;
    }
  } catch (err) {
    throw failed('releasing the keys of dropped months', err);
  }
  return released;
}
