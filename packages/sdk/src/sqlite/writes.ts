/**
 * The SQLite store's writes, each one transaction: appending a batch of entries (duplicates by id or
 * idempotency key skipped) and moving a running job on. A read-only store refuses both.
 */
import type { Database } from 'better-sqlite3';
import { parseInstant } from '../core/isoDate.js';
import { applyJobUpdate } from '../core/jobUpdate.js';
import { ActivityError } from '../errors.js';
import { type ActivityEntry, type AppendResult, ENTRY_JSON, type JobUpdate } from '../types.js';
import { leafOnWrite } from './integrity.js';
import { searchText } from './sql.js';

const COLUMNS =
  'id, org_id, occurred_at, type, status, actor_id, actor_name, entity_type, entity_id, correlation_id, idempotency_key, search, data';

/** The write transactions, prepared once. */
export interface SqliteWrites {
  append(entries: ActivityEntry[]): AppendResult;
  updateJob(orgId: string, id: string, update: JobUpdate): boolean;
}

/** Prepares the writes on `db`; with `leafHashes`, each written entry's integrity leaf is stored too. */
export function sqliteWrites(
  db: Database,
  options: { readonly?: boolean | undefined; leafHashes?: boolean | undefined },
): SqliteWrites {
  const insert = options.readonly
    ? undefined
    : db.prepare(
        `INSERT INTO activity_entries (${COLUMNS}, leaf) VALUES (${COLUMNS.split(',')
          .map(() => '?')
          .join(', ')}, ?) ON CONFLICT DO NOTHING`,
      );

  const append = db.transaction((entries: ActivityEntry[]): AppendResult => {
    if (!insert) throw new ActivityError('CONFIG', 'sqlite: the store is read-only', { field: 'readonly' });
    // The recorder's JSON of each entry, when it passed its own array: serialising again is the
    // largest cost of an append after the insert itself.
    const hint = (entries as { [ENTRY_JSON]?: readonly string[] })[ENTRY_JSON];
    const texts = hint !== undefined && hint.length === entries.length ? hint : undefined;
    let inserted = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as ActivityEntry;
      const time = parseInstant(String(e.occurredAt));
      if (!time.ok) {
        throw new ActivityError('INVALID_EVENT', `entries.${i.toString()}.occurredAt: ${time.reason}`, {
          field: `entries.${i.toString()}.occurredAt`,
        });
      }
      const ms = time.ms;
      const info = insert.run(
        e.id,
        e.orgId,
        ms,
        e.type,
        e.status,
        e.actor.id,
        e.actor.name ?? null,
        e.entity?.type ?? null,
        e.entity?.id ?? null,
        e.correlationId ?? null,
        e.idempotencyKey ?? null,
        searchText(e),
        texts?.[i] ?? JSON.stringify(e),
        options.leafHashes ? leafOnWrite(e) : null,
      );
      inserted += info.changes;
    }
    return { inserted, duplicates: entries.length - inserted };
  });

  const selectJob = db.prepare('SELECT data, status FROM activity_entries WHERE id = ? AND org_id = ?');
  const updateJobRow = options.readonly
    ? undefined
    : db.prepare(
        "UPDATE activity_entries SET status = ?, search = ?, data = ?, leaf = ? WHERE id = ? AND status = 'IN_PROGRESS'",
      );
  const updateJob = db.transaction((orgId: string, id: string, update: JobUpdate): boolean => {
    if (!updateJobRow)
      throw new ActivityError('CONFIG', 'sqlite: the store is read-only', { field: 'readonly' });
    const row = selectJob.get(id, orgId) as { data: string; status: string } | undefined;
    if (row?.status !== 'IN_PROGRESS') return false;
    const entry = applyJobUpdate(JSON.parse(row.data) as ActivityEntry, update);
    const leaf = options.leafHashes ? leafOnWrite(entry) : null;
    return updateJobRow.run(entry.status, searchText(entry), JSON.stringify(entry), leaf, id).changes === 1;
  });

  return { append, updateJob };
}
