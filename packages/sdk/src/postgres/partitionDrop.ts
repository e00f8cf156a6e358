/**
 * Retention by whole months: detach and drop monthly partitions holding only entries that may go.
 * The month leaves `entries` at once (one catalog change, whatever its size); its ids and idempotency
 * keys are released from `entry_keys` afterwards, in the background, by joining the detached table on
 * the key's primary key. Until then an append that meets one of those keys finds its entry gone and
 * frees it (ingest.ts), so the ids and keys are free again the moment the month is dropped.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { ActivityError } from '../errors.js';
import { LOCK_NAMESPACE } from './migrations.js';
import { listPartitions, lockPartitions } from './partitions.js';
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

/** Detached months wait under this prefix until their keys are released; then they are dropped. */
const RELEASED_PREFIX = 'released_';

function failed(what: string, err: unknown): ActivityError {
  const detail = err instanceof Error ? `: ${err.message}` : '';
  return new ActivityError('STORE_FAILED', `postgres store: ${what} failed${detail}`, { cause: err });
}

/** The orgs with an entry in `table`: one index probe per org (a loose scan of `(org_id, …)`). */
async function orgsIn(client: pg.PoolClient, table: string): Promise<string[]> {
  const { rows } = await client.query<{ org_id: string }>(distinctOrgsSql(table));
  return rows.map((r) => r.org_id);
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
  return `SELECT ${fn}(${space}, hashtext('${key.replaceAll("'", "''")}'))`;
}

/** One month detached by {@link detachMonths}: its partition name and its name now. */
interface Detached {
  name: string;
  released: string;
}

/**
 * The transaction of {@link dropMonths}: detaches and renames the months that may go, and takes the
 * counting lock before its commit. Each month is checked first without a lock by its orgs alone (a few
 * index probes), so a month that stays is never detached; then detached, which takes the parent's lock
 * before the month's, in the order an append takes them: an append into the month waits, and lands in
 * DEFAULT after the commit (a lock taken on the month first deadlocked with it). The orgs are checked
 * again on the detached month, which nothing else can write now; another org's entry committed in
 * between puts the month back.
 */
async function detachMonths(
  client: pg.PoolClient,
  schema: string,
  schemaName: string,
  beforeMs: number,
  allowed: Set<string>,
): Promise<Detached[]> {
  const detached: Detached[] = [];
  const mayGo = async (table: string) => (await orgsIn(client, table)).every((org) => allowed.has(org));
  await client.query('BEGIN');
  await lockPartitions(client, schemaName);
  for (const part of await listPartitions(client, schema)) {
    if (part.to.getTime() > beforeMs) continue;
    const table = `${schema}."${part.name}"`;
    if (!(await mayGo(table))) continue;
    await client.query(`SAVEPOINT month; ALTER TABLE ${schema}.entries DETACH PARTITION ${table}`);
    if (!(await mayGo(table))) {
      await client.query('ROLLBACK TO SAVEPOINT month');
      continue;
    }
    // A unique name: the same month may be dropped again (backdated entries) before its keys are released.
    const released = `${RELEASED_PREFIX}${part.name.replace(/^entries_/, '')}_${randomBytes(4).toString('hex')}`;
    await client.query(`ALTER TABLE ${table} RENAME TO "${released}"`);
    detached.push({ name: part.name, released });
  }
  // Several statements in one query (no parameters): one round trip.
  await client.query(
    detached.length > 0 ? `${countingLockSql('pg_advisory_lock', schemaName)}; COMMIT` : 'COMMIT',
  );
  return detached;
}

/**
 * Detaches every monthly partition ending at or before `beforeMs` whose entries all belong to `orgs`
 * (the orgs retention archived and verified), in one transaction under the partition lock, and renames
 * it for {@link releaseMonths}. A partition with an entry of any other org (on hold, failed, not listed)
 * stays. The entries of each detached month are counted per org after the commit, on the detached
 * table (exactly what was dropped: nothing writes it any more), so the table stays locked against reads
 * and appends only for the catalog change, not for the count.
 */
export async function dropMonths(
  guard: GuardedPool,
  schema: string,
  schemaName: string,
  beforeMs: number,
  orgs: string[],
): Promise<PartitionDrop> {
  const result: PartitionDrop = { partitions: [], byOrg: {}, entries: 0 };
  let dropped: Detached[] = [];
  try {
    await guard.withClient(async (client) => {
      const detached = await detachMonths(client, schema, schemaName, beforeMs, new Set(orgs));
      dropped = detached;
      for (const [i, { name, released }] of detached.entries()) {
        // An index-only scan of the one-column (org_id) index (migration 7; deduplicated, so a few dozen
        // pages) on a month long vacuumed: no row is read. The
        // last count releases the counting lock in the same round trip; on a failure before that, the
        // client is discarded, and its session's lock ends with it.
        const count = `SELECT org_id, count(*)::int AS n FROM ${schema}."${released}" GROUP BY org_id`;
        const last = i === detached.length - 1;
        const answer: unknown = await client.query(
          last ? `${count}; ${countingLockSql('pg_advisory_unlock', schemaName)}` : count,
        );
        // pg answers a query of several statements with one result per statement.
        const { rows } = (Array.isArray(answer) ? answer[0] : answer) as pg.QueryResult<{
          org_id: string;
          n: number;
        }>;
        for (const r of rows) {
          result.byOrg[r.org_id] = (result.byOrg[r.org_id] ?? 0) + r.n;
          result.entries += r.n;
        }
        result.partitions.push(name);
      }
    });
  } catch (err) {
    // Only the count failed (the connection, most likely): the months are gone, and the error says so.
    if (dropped.length > 0)
      throw failed(
        `counting the entries of the months dropped (${dropped.map((d) => d.name).join(', ')})`,
        err,
      );
    throw failed('dropPartitionsBefore', err);
  }
  return result;
}

/**
 * Releases the `entry_keys` rows of every detached month (those whose entry is gone: a key freed and
 * taken again by a new entry stays), then drops the month's table; one transaction per month, so an
 * interrupted run leaves the rest for the next. Resolves with the number of months released.
 */
export async function releaseMonths(guard: GuardedPool, schema: string, schemaName: string): Promise<number> {
  let released = 0;
  try {
    const { rows } = await guard.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname LIKE '${RELEASED_PREFIX.replace('_', '\\_')}%'
       ORDER BY 1`,
      [schemaName],
    );
    for (const { name } of rows) {
      const done = await guard.withClient(async (client) => {
        await client.query('BEGIN');
        // One releaser at a time; another may have released this month while we waited.
        await lockPartitions(client, schemaName);
        const table = `${schema}."${name}"`;
        const { rows: found } = await client.query<{ t: string | null; free: boolean }>(
          'SELECT to_regclass($1) AS t, pg_try_advisory_xact_lock($2, hashtext($3)) AS free',
          [table, ...countingLock(schemaName)],
        );
        // Gone (released meanwhile), or a drop is still counting the months it detached: the next run.
        if (found[0]?.t === null || found[0]?.free === false) {
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
