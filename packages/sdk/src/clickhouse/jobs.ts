/**
 * Job updates of the ClickHouse store. A run's versions go to the runs table; its final version goes to
 * the entries table first and then to the runs table, where it ends the run for FINAL. A reader that
 * sees both in between (or after a crash between them) takes the entries table's (see reads.ts).
 */
// Shared with the PostgreSQL store (plain functions, no driver import).
import { applyJobUpdate } from '../postgres/rows.js';
import type { ActivityEntry, JobUpdate } from '../types.js';
import type { ChIo } from './io.js';
import { type ChTables, getSql } from './reads.js';
import { rowValues } from './rows.js';

/** Applies `update` to the run `id` of `orgId` while it is IN_PROGRESS; false otherwise. */
export async function updateRun(
  io: Pick<ChIo, 'select' | 'insert'>,
  t: ChTables,
  orgId: string,
  id: string,
  update: JobUpdate,
): Promise<boolean> {
  const [row] = await io.select<{ doc: string; version: number | string }>('updateJob', getSql(t), {
    org: orgId,
    id,
  });
  if (!row) return false;
  const current = JSON.parse(row.doc) as ActivityEntry;
  if (current.status !== 'IN_PROGRESS') return false;
  const version = Number(row.version) + 1;
  const next = applyJobUpdate(current, update);
  const values = [rowValues(next, version)];
  // Two updates of the same version carry the same token: the server keeps the first.
  const token = `job:${id}:${version}`;
  if (next.status !== 'IN_PROGRESS') await io.insert('updateJob', t.main, values, token);
  await io.insert('updateJob', t.runs, values, token);
  return true;
}
