/**
 * The SQLite store's seal: under SQLite's single writer (`BEGIN IMMEDIATE`), read the org's last digest
 * and its next unsealed final entries in id order, build the digest, and write it with its seal rows.
 * With `leafHashes`, entries' kept leaves are read from the sealing index, one aggregated row per batch.
 */
import type { Database, Statement } from 'better-sqlite3';
import { digestsFrom, sealingRow } from '../integrity/rows.js';
import type { Digest, SealBuilder, StoredRow } from '../integrity/types.js';

/** The covering index a `leafHashes` store keeps for sealing: final entries' (org, id, leaf, status). */
export const SEAL_INDEX = 'activity_seal_leaves';

/**
 * Creates the sealing index: a seal run then reads 32-byte leaves from it in id order instead of every
 * entry's row (three to a page), at the cost of one more index entry per final entry written.
 */
export function createSealIndex(db: Database): void {
  db.exec(
    // `status` too, so the query's own status test is answered from the index (covering).
    `CREATE INDEX IF NOT EXISTS ${SEAL_INDEX} ON activity_entries (org_id, id, leaf, status) WHERE status <> 'IN_PROGRESS'`,
  );
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

/** What the seal shares with the read side: the statement cache and the SQL of unsealed rows. */
export interface SealSql {
  stmt(sql: string): Statement;
  /** `e.leaf`, or `NULL` on a database from before migration 3. */
  leafSql(): string;
  /** Final unsealed rows of an org after an id, in id order, with these columns. */
  unsealedSql(columns: string): string;
}

/** The seal of one batch as a transaction; `immediate` takes the write lock before reading anything. */
export interface SealTransaction {
  immediate(orgId: string, limit: number, afterId: string, build: SealBuilder): Digest | undefined;
}

/** The seal of one batch, to run with `.immediate(orgId, limit, afterId, build)`. */
export function sqliteSeal(db: Database, { stmt, leafSql, unsealedSql }: SealSql): SealTransaction {
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
  const seal = db.transaction(
    (orgId: string, limit: number, afterId: string, build: SealBuilder): Digest | undefined => {
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
  return { immediate: (orgId, limit, afterId, build) => seal.immediate(orgId, limit, afterId, build) };
}
