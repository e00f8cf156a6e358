/** Retention by whole months: detach and drop monthly partitions holding only entries that may go. */
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

/**
 * Drops every monthly partition ending at or before `beforeMs` whose entries all belong to `orgs` (the
 * orgs retention archived and verified), with the partition's keys in `entry_keys`, in one transaction
 * under the partition lock. A partition with an entry of any other org (on hold, failed, not listed) stays.
 */
export async function dropMonths(
  guard: GuardedPool,
  schema: string,
  schemaName: string,
  beforeMs: number,
  orgs: string[],
): Promise<PartitionDrop> {
  const result: PartitionDrop = { partitions: [], byOrg: {}, entries: 0 };
  try {
    await guard.withClient(async (client) => {
      await client.query('BEGIN');
      await lockPartitions(client, schemaName);
      for (const part of await listPartitions(client, schema)) {
        if (part.to.getTime() > beforeMs) continue;
        const table = `${schema}."${part.name}"`;
        // SHARE blocks writes into the month until COMMIT, so what is counted here is what is dropped.
        await client.query(`LOCK TABLE ${table} IN SHARE MODE`);
        const { rows } = await client.query<{ org_id: string; n: number }>(
          `SELECT org_id, count(*)::int AS n FROM ${table} GROUP BY org_id`,
        );
        if (rows.some((r) => !orgs.includes(r.org_id))) continue;
        for (const r of rows) {
          result.byOrg[r.org_id] = (result.byOrg[r.org_id] ?? 0) + r.n;
          result.entries += r.n;
        }
        await client.query(`DELETE FROM ${schema}.entry_keys WHERE occurred_at >= $1 AND occurred_at < $2`, [
          part.from,
          part.to,
        ]);
        await client.query(`ALTER TABLE ${schema}.entries DETACH PARTITION ${table}`);
        await client.query(`DROP TABLE ${table}`);
        result.partitions.push(part.name);
      }
      await client.query('COMMIT');
    });
  } catch (err) {
    const detail = err instanceof Error ? `: ${err.message}` : '';
    throw new ActivityError('STORE_FAILED', `postgres store: dropPartitionsBefore failed${detail}`, {
      cause: err,
    });
  }
  return result;
}
