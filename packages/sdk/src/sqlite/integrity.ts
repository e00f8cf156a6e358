/**
 * The SQLite store's integrity side: digests and seal rows in their own tables (migration 2), one
 * sealer at a time through SQLite's single writer (`BEGIN IMMEDIATE`). Entries' rows are never written.
 */
import type { Database, Statement } from 'better-sqlite3';
import { parseInstant } from '../core/isoDate.js';
import { ActivityError } from '../errors.js';
import { storedLeaf } from '../integrity/leaf.js';
import { digestsFrom, firstMismatch, storedRow } from '../integrity/rows.js';
import type { IntegrityStore, SealRow, StoredRow } from '../integrity/types.js';
import type { ActivityEntry } from '../types.js';
import { createSealIndex, sqliteSeal } from './integritySeal.js';
import { searchText } from './sql.js';

const ROW = `id, org_id, occurred_at, type, status, actor_id, actor_name, entity_type, entity_id,
  correlation_id, idempotency_key, search, data`;

interface Row {
  id: string;
  org_id: string;
  occurred_at: number;
  type: string;
  status: string;
  actor_id: string;
  actor_name: string | null;
  entity_type: string | null;
  entity_id: string | null;
  correlation_id: string | null;
  idempotency_key: string | null;
  search: string;
  data: string;
  leaf: unknown;
}

/** The columns the store writes for an entry (store.ts `insert`), to compare with what is stored. */
function expectedColumns(e: ActivityEntry): Record<string, unknown> {
  const time = parseInstant(String(e.occurredAt));
  return {
    id: e.id,
    org_id: e.orgId,
    occurred_at: time.ok ? time.ms : Number.NaN,
    type: e.type,
    status: e.status,
    actor_id: e.actor.id,
    actor_name: e.actor.name ?? null,
    entity_type: e.entity?.type ?? null,
    entity_id: e.entity?.id ?? null,
    correlation_id: e.correlationId ?? null,
    idempotency_key: e.idempotencyKey ?? null,
    search: searchText(e),
  };
}

const toStored = (r: Row): StoredRow => {
  const row = storedRow(r.id, r.org_id, r.data, (e) =>
    firstMismatch(expectedColumns(e), r as unknown as Record<string, unknown>),
  );
  // Whatever the leaf column holds is compared with the entry when it is checked.
  if (r.leaf !== null && r.leaf !== undefined) {
    row.leaf = r.leaf instanceof Uint8Array ? r.leaf : Buffer.from(String(r.leaf), 'utf8');
  }
  return row;
};

/**
 * The leaf column of an entry being written (`leafHashes`): its leaf once final, NULL while a job run is
 * in progress or when the entry has no JSON form (the sealer then hashes the stored text).
 */
export function leafOnWrite(entry: ActivityEntry): Buffer | null {
  if (entry.status === 'IN_PROGRESS') return null;
  try {
    return storedLeaf(entry);
  } catch {
    return null;
  }
}

/**
 * The integrity methods of a SQLite store on `db` (spread into the store object). With `leafHashes`,
 * creates the sealing index: a seal run then reads 32-byte leaves from it in id order instead of every
 * entry's row (three to a page), at the cost of one more index entry per final entry written.
 */
export function sqliteIntegrity(db: Database, options: { leafHashes?: boolean } = {}): IntegrityStore {
  if (options.leafHashes) createSealIndex(db);
  // Prepared on first use: a read-only database from before migration 2 still opens.
  const statements = new Map<string, Statement>();
  const stmt = (sql: string): Statement => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  // A database from before migration 3 (opened read-only) has no leaf column.
  let leafColumn: string | undefined;
  const leafSql = (): string => {
    leafColumn ??= (db.prepare('PRAGMA table_info(activity_entries)').all() as { name: string }[]).some(
      (c) => c.name === 'leaf',
    )
      ? 'e.leaf'
      : 'NULL';
    return leafColumn;
  };
  // `+org_id` keeps the planner off the (org_id, …) indexes: walking the id index in order from the
  // cursor reads each row once per seal run, where an org index plus a sort rereads the org per batch.
  const unsealedSql = (columns: string) => `SELECT ${columns} FROM activity_entries e
     WHERE +e.org_id = ? AND +e.status <> 'IN_PROGRESS' AND e.id > ?
       AND NOT EXISTS (SELECT 1 FROM activity_seals s WHERE s.org_id = e.org_id AND s.id = e.id)
     ORDER BY e.id LIMIT ?`;
  const unsealed = {
    all: (...args: unknown[]) => stmt(unsealedSql(`${ROW}, ${leafSql()} AS leaf`)).all(...args),
  };
  const wrap = <T>(what: string, fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      return Promise.reject(new ActivityError('STORE_FAILED', `sqlite: ${what}: ${message}`, { cause }));
    }
  };

  const seal = sqliteSeal(db, { stmt, leafSql, unsealedSql });

  return {
    // IMMEDIATE takes the write lock before reading the last digest: concurrent sealers queue up.
    sealBatch: (orgId, options, build) =>
      wrap('seal', () => seal.immediate(orgId, options.limit, options.afterId ?? '', build)),
    listDigests: (orgId, range) =>
      wrap('digests', () =>
        digestsFrom(
          stmt(
            'SELECT sequence, digest FROM activity_digests WHERE org_id = ? AND sequence BETWEEN ? AND ? ORDER BY sequence',
          ).all(orgId, range?.from ?? 0, range?.to ?? Number.MAX_SAFE_INTEGER) as {
            sequence: number;
            digest: string;
          }[],
        ),
      ),
    sealsOf: (orgId, sequence) =>
      wrap(
        'seals',
        () =>
          stmt(
            'SELECT id, sequence, leaf FROM activity_seals WHERE org_id = ? AND sequence = ? ORDER BY id',
          ).all(orgId, sequence) as SealRow[],
      ),
    sealOf: (orgId, id) =>
      wrap(
        'seal',
        () =>
          stmt('SELECT id, sequence, leaf FROM activity_seals WHERE org_id = ? AND id = ?').get(orgId, id) as
            | SealRow
            | undefined,
      ),
    orphanSeals: (orgId, lastSequence) =>
      wrap(
        'seals',
        () =>
          stmt(
            'SELECT id, sequence, leaf FROM activity_seals WHERE org_id = ? AND sequence > ? ORDER BY sequence, id LIMIT 100',
          ).all(orgId, lastSequence) as SealRow[],
      ),
    rowsByIds: (ids) =>
      wrap('rows', () =>
        (
          stmt(
            `SELECT ${ROW}, ${leafSql()} AS leaf FROM activity_entries e WHERE id IN (SELECT value FROM json_each(?))`,
          ).all(JSON.stringify(ids)) as Row[]
        ).map(toStored),
      ),
    unsealedRows: (orgId, options) =>
      wrap('rows', () => (unsealed.all(orgId, options.afterId ?? '', options.limit) as Row[]).map(toStored)),
  };
}
