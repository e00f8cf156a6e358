/** `deleteBefore` of the ClickHouse store: count, then delete from the entries, runs and lookup tables. */
import { toMs } from '../core/storeQuery.js';
import type { ChIo } from './io.js';
import { type ChTables, runningSql } from './reads.js';
import { keyMs } from './rows.js';

/** Where each table's deletes go: the table, or on a cluster its local table `ON CLUSTER`. */
export interface DeleteTargets {
  main: string;
  runs: string;
  keys: string;
}

/** Deletes the entries (of one org, or all) that occurred strictly before `before`; returns how many. */
export async function deleteEntriesBefore(
  io: Pick<ChIo, 'select' | 'remove'>,
  t: ChTables,
  targets: DeleteTargets,
  before: string,
  orgId: string | undefined,
): Promise<number> {
  const cutoff = toMs(before, 'before');
  const params: Record<string, unknown> = { before: cutoff, beforeKey: keyMs(cutoff) };
  const org = orgId === undefined ? '' : 'org_id = {org:String} AND ';
  if (orgId !== undefined) params.org = orgId;
  const where = `${org}occurred_ms < {before:Int64} AND occurred_at <= fromUnixTimestamp64Milli({beforeKey:Int64}, 'UTC')`;
  // Retention is not a hot path: FINAL makes the count exact even with a racing duplicate unmerged.
  const counted = await io.select<{ n: number | string }>(
    'deleteBefore',
    `SELECT count() AS n FROM (SELECT id FROM ${t.main} FINAL WHERE ${where}
       UNION ALL ${runningSql(t, 'id', where, orgId !== undefined)})`,
    params,
  );
  const n = Number(counted[0]?.n ?? 0);
  if (n === 0) return 0;
  await io.remove('deleteBefore', targets.main, where, params);
  await io.remove('deleteBefore', targets.runs, where, params);
  // The deleted entries' ids and keys may be used again, as on the other stores.
  await io.remove('deleteBefore', targets.keys, `${org}occurred_ms < {before:Int64}`, params);
  return n;
}
