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
import { listPartitions, lockPartitions } from './partitions.js';
import type { GuardedPool } from './pool.js';

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
  const { rows } = await client.query<{ org_id: string }>(
    `WITH RECURSIVE o AS (
       (SELECT org_id FROM ${table} ORDER BY org_id LIMIT 1)
       UNION ALL
       SELECT (SELECT t.org_id FROM ${table} t WHERE t.org_id > o.org_id ORDER BY t.org_id LIMIT 1)
       FROM o WHERE o.org_id IS NOT NULL)
     SELECT org_id FROM o WHERE org_id IS NOT NULL`,
  );
  return rows.map((r) => r.org_id);
}

/**
 * Detaches every monthly partition ending at or before `beforeMs` whose entries all belong to `orgs`
 * (the orgs retention archived and verified), in one transaction under the partition lock, and renames
 * it for {@link releaseMonths}. A partition with an entry of any other org (on hold, failed, not listed)
 * stays.
 *
 * Each month is first checked without a lock by its orgs alone (a few index probes), so a month that
 * stays is never counted. A month that may go is detached first, then counted: the detach takes the
 * parent's lock before the month's, in the order an append takes them, so an append into that month
 * waits (and lands in DEFAULT after the commit) instead of deadlocking with a lock taken on the month
 * first; and what is counted on the detached month is exactly what is dropped. An entry of another org
 * appended between the check and the detach is seen by the count, and the month is put back.
 */
export async function dropMonths(
  guard: GuardedPool,
  schema: string,
  schemaName: string,
  beforeMs: number,
  orgs: string[],
): Promise<PartitionDrop> {
  const result: PartitionDrop = { partitions: [], byOrg: {}, entries: 0 };
  const allowed = new Set(orgs);
  try {
    await guard.withClient(async (client) => {
      await client.query('BEGIN');
      await lockPartitions(client, schemaName);
      for (const part of await listPartitions(client, schema)) {
        if (part.to.getTime() > beforeMs) continue;
        const table = `${schema}."${part.name}"`;
        if (!(await orgsIn(client, table)).every((org) => allowed.has(org))) continue;
        await client.query(`SAVEPOINT month; ALTER TABLE ${schema}.entries DETACH PARTITION ${table}`);
        // An index-only scan of (org_id, occurred_at, id) on a month long vacuumed: no row is read.
        const { rows } = await client.query<{ org_id: string; n: number }>(
          `SELECT org_id, count(*)::int AS n FROM ${table} GROUP BY org_id`,
        );
        if (rows.some((r) => !allowed.has(r.org_id))) {
          await client.query('ROLLBACK TO SAVEPOINT month');
          continue;
        }
        for (const r of rows) {
          result.byOrg[r.org_id] = (result.byOrg[r.org_id] ?? 0) + r.n;
          result.entries += r.n;
        }
        // A unique name: the same month may be dropped again (backdated entries) before its keys are released.
        const released = `${RELEASED_PREFIX}${part.name.replace(/^entries_/, '')}_${randomBytes(4).toString('hex')}`;
        await client.query(`ALTER TABLE ${table} RENAME TO "${released}"`);
        result.partitions.push(part.name);
      }
      await client.query('COMMIT');
    });
  } catch (err) {
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
      await guard.withClient(async (client) => {
        await client.query('BEGIN');
        // One releaser at a time; another may have released this month while we waited.
        await lockPartitions(client, schemaName);
        const table = `${schema}."${name}"`;
        const { rows: found } = await client.query('SELECT to_regclass($1) AS t', [table]);
        if (found[0]?.t === null) {
          await client.query('ROLLBACK');
          return;
        }
        await client.query(
          `DELETE FROM ${schema}.entry_keys k USING ${table} r
           WHERE k.id = r.id AND k.org_id = r.org_id AND k.occurred_at = r.occurred_at
             AND NOT EXISTS (SELECT 1 FROM ${schema}.entries e
                             WHERE e.org_id = k.org_id AND e.occurred_at = k.occurred_at AND e.id = k.id)`,
        );
        await client.query(`DROP TABLE ${table}`);
        await client.query('COMMIT');
      });
      released++;
    }
  } catch (err) {
    throw failed('releasing the keys of dropped months', err);
  }
  return released;
}
