/**
 * The SQLite store's integrity side: digests and seal rows in their own tables (migration 2), one
 * sealer at a time through SQLite's single writer (`BEGIN IMMEDIATE`). Entries' rows are never written.
 */
import type { Database, Statement } from 'better-sqlite3';
import { parseInstant } from '../core/isoDate.js';
import { ActivityError } from '../errors.js';
import { storedLeaf } from '../integrity/leaf.js';
import { digestsFrom, firstMismatch, sealingRow, storedRow } from '../integrity/rows.js';
import type { IntegrityStore, SealRow, StoredRow } from '../integrity/types.js';
import type { ActivityEntry } from '../types.js';
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

const isLeaf = (value: unknown): value is Buffer => value instanceof Uint8Array && value.length === 32;

/** One batch of unsealed entries from the sealing index, aggregated by SQLite. */
interface LeafBatch {
  ids: string;
  leaves: string;
  n: number;
  bad: number;
}

/** The batch as rows for the digest builder: views into one buffer of leaves, no copy per entry. */
function batchRows(orgId: string, idsJson: string, leaves: Buffer): StoredRow[] {
  const ids = JSON.parse(idsJson) as string[];
  return ids.map((rowId, i) => ({
    rowId,
    rowOrgId: orgId,
    entry: undefined,
    leaf: leaves.subarray(i * 32, i * 32 + 32),
  }));
}

/** The covering index a `leafHashes` store keeps for sealing: final entries' (org, id, leaf, status). */
const SEAL_INDEX = 'activity_seal_leaves';

/**
 * The integrity methods of a SQLite store on `db` (spread into the store object). With `leafHashes`,
 * creates the sealing index: a seal run then reads 32-byte leaves from it in id order instead of every
 * entry's row (three to a page), at the cost of one more index entry per final entry written.
 */
export function sqliteIntegrity(db: Database, options: { leafHashes?: boolean } = {}): IntegrityStore {
  if (options.leafHashes) {
    db.exec(
      // `status` too, so the query's own status test is answered from the index (covering).
      `CREATE INDEX IF NOT EXISTS ${SEAL_INDEX} ON activity_entries (org_id, id, leaf, status) WHERE status <> 'IN_PROGRESS'`,
    );
  }
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
  // Sealing reads the kept leaf, and the stored JSON only of rows that have none. With the sealing
  // index (a `leafHashes` store, possibly another process's) that is an index-only walk in id order.
  let sealIndex = false;
  const hasSealIndex = (): boolean => {
    sealIndex ||=
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(SEAL_INDEX) !==
      undefined;
    return sealIndex;
  };
  const FROM_SEAL_INDEX = `SELECT e.id, e.org_id, e.leaf FROM activity_entries e INDEXED BY ${SEAL_INDEX}
     WHERE e.org_id = ? AND e.status <> 'IN_PROGRESS' AND e.id > ?
       AND NOT EXISTS (SELECT 1 FROM activity_seals s WHERE s.org_id = e.org_id AND s.id = e.id)
     ORDER BY e.id LIMIT ?`;
  const unsealedLeaves = {
    all: (...args: unknown[]) =>
      stmt(hasSealIndex() ? FROM_SEAL_INDEX : unsealedSql(`e.id, e.org_id, ${leafSql()} AS leaf`)).all(
        ...args,
      ) as {
        id: string;
        org_id: string;
        leaf: unknown;
      }[],
  };
  // The common case in one row per batch: ids as one JSON array and leaves as one hex string, both in
  // id order, instead of an object and a Buffer per entry. `bad` counts rows without a usable leaf.
  const leafBatch = {
    get: (...args: unknown[]) =>
      stmt(
        `SELECT json_group_array(id ORDER BY id) AS ids, lower(group_concat(hex(leaf), '' ORDER BY id)) AS leaves,
           count(*) AS n, coalesce(sum(leaf IS NULL OR typeof(leaf) <> 'blob' OR length(leaf) <> 32), 0) AS bad
         FROM (${FROM_SEAL_INDEX})`,
      ).get(...args),
  };
  // The batch's seal rows straight from the ids and one blob of leaves: the i-th id with the i-th 32
  // bytes (a blob, so substr is by byte offset, not a scan for the i-th character of a long text).
  const insertBatchSeals = {
    run: (orgId: string, sequence: number, leaves: Buffer, ids: string) =>
      stmt(
        `INSERT INTO activity_seals (org_id, id, sequence, leaf)
         SELECT ?, j.value, ?, lower(hex(substr(?, j.key * 32 + 1, 32))) FROM json_each(?) j`,
      ).run(orgId, sequence, leaves, ids),
  };
  const dataOf = (ids: string[]): Map<string, string> =>
    new Map(
      (
        stmt('SELECT id, data FROM activity_entries WHERE id IN (SELECT value FROM json_each(?))').all(
          JSON.stringify(ids),
        ) as { id: string; data: string }[]
      ).map((r) => [r.id, r.data]),
    );
  const lastDigest = {
    get: (orgId: string) =>
      stmt(
        'SELECT sequence, digest FROM activity_digests WHERE org_id = ? ORDER BY sequence DESC LIMIT 1',
      ).get(orgId),
  };
  const insertDigest = {
    run: (...args: unknown[]) =>
      stmt('INSERT INTO activity_digests (org_id, sequence, sealed_at, digest) VALUES (?, ?, ?, ?)').run(
        ...args,
      ),
  };
  // One statement per digest: a JSON array of [id, leaf] pairs, not one native call per seal row.
  const insertSeals = {
    run: (orgId: string, sequence: number, pairs: string) =>
      stmt(
        `INSERT INTO activity_seals (org_id, id, sequence, leaf)
         SELECT ?, value ->> 0, ?, value ->> 1 FROM json_each(?)`,
      ).run(orgId, sequence, pairs),
  };
  const wrap = <T>(what: string, fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      return Promise.reject(new ActivityError('STORE_FAILED', `sqlite: ${what}: ${message}`, { cause }));
    }
  };

  const seal = db.transaction(
    (orgId: string, limit: number, afterId: string, build: Parameters<IntegrityStore['sealBatch']>[2]) => {
      const last = lastDigest.get(orgId) as { sequence: number; digest: string } | undefined;
      const previous = last ? digestsFrom([last])[0] : undefined;
      const batch = hasSealIndex() ? (leafBatch.get(orgId, afterId, limit) as LeafBatch) : undefined;
      if (batch && batch.n > 0 && batch.bad === 0) {
        const leaves = Buffer.from(batch.leaves, 'hex');
        const made = build(previous, batchRows(orgId, batch.ids, leaves));
        if (!made) return undefined;
        const d = made.digest;
        insertDigest.run(orgId, d.sequence, d.sealedAt, JSON.stringify(d));
        insertBatchSeals.run(orgId, d.sequence, leaves, batch.ids);
        return d;
      }
      const read = unsealedLeaves.all(orgId, afterId, limit);
      const missing = read.filter((r) => !isLeaf(r.leaf)).map((r) => r.id);
      const texts = missing.length > 0 ? dataOf(missing) : undefined;
      const rows: StoredRow[] = read.map((r) =>
        isLeaf(r.leaf)
          ? { rowId: r.id, rowOrgId: r.org_id, entry: undefined, leaf: r.leaf }
          : sealingRow(r.id, r.org_id, texts?.get(r.id)),
      );
      const made = build(previous, rows);
      if (!made) return undefined;
      const d = made.digest;
      insertDigest.run(orgId, d.sequence, d.sealedAt, JSON.stringify(d));
      insertSeals.run(orgId, d.sequence, JSON.stringify(made.seals.map((x) => [x.id, x.leaf])));
      return d;
    },
  );

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
