/**
 * Idempotent inserts into the partitioned `entries`: an entry's row, and the `unnest` path of small
 * batches and the host's own transactions (one statement, one round trip). Large batches go by COPY
 * (copyAppend.ts, docs/scaling.md has the measurements). Either way the idempotency rules are the same:
 * keys into `entry_keys` first, and only the rows whose keys went in are inserted.
 */
import type pg from 'pg';
import { toMs } from '../core/storeQuery.js';
import type { ActivityEntry } from '../types.js';
import { CSV_CELL_COLUMNS, fillCsvCells } from './csvRows.js';
import { safeJson, safeOptional, safeText, searchText } from './rows.js';

type Queryable = Pick<pg.ClientBase, 'query'>;

/** The `occurred_at` value of an entry: truncated to milliseconds, the precision of JavaScript dates, so cursors compare exactly. */
export function occurredAtCell(entry: ActivityEntry): string {
  return new Date(toMs(entry.occurredAt, 'occurredAt')).toISOString();
}

/** The idempotency key value of an entry, as its row holds it. */
export function keyCell(entry: ActivityEntry): string | null {
  return entry.idempotencyKey === undefined ? null : safeText(entry.idempotencyKey);
}

/** Column values of one entry, in the order of {@link INSERT_COLUMNS}. */
export function rowOf(entry: ActivityEntry): (string | null)[] {
  return rowAt(entry, occurredAtCell(entry));
}

/** {@link rowOf} with the entry's {@link occurredAtCell} already known. */
export function rowAt(entry: ActivityEntry, time: string): (string | null)[] {
  const row = [
    entry.id,
    entry.orgId,
    time,
    entry.type,
    entry.status,
    safeText(entry.actor.id),
    safeOptional(entry.actor.name),
    safeText(entry.action),
    safeOptional(entry.entity?.type),
    safeOptional(entry.entity?.id),
    safeOptional(entry.correlationId),
    safeOptional(entry.parentId),
    safeOptional(entry.retryOf),
    keyCell(entry),
    searchText(entry),
    entry.metadata === undefined ? null : JSON.stringify(safeJson(entry.metadata)),
    // The exact entry: JSON escapes NUL and lone surrogates, so TEXT keeps them and reads back unchanged.
    JSON.stringify(entry),
    // The export's doc-only cells (migration 6): set below, once checked against the columns above.
    null,
    null,
    null,
    null,
  ];
  fillCsvCells(entry, row, CSV_CELLS_AT);
  return row;
}

/** Columns an append writes, with their PostgreSQL types (also used by the benchmarks' raw COPY). */
export const INSERT_COLUMNS: [string, string][] = [
  ['id', 'text'],
  ['org_id', 'text'],
  ['occurred_at', 'timestamptz'],
  ['type', 'text'],
  ['status', 'text'],
  ['actor_id', 'text'],
  ['actor_name', 'text'],
  ['action', 'text'],
  ['entity_type', 'text'],
  ['entity_id', 'text'],
  ['correlation_id', 'text'],
  ['parent_id', 'text'],
  ['retry_of', 'text'],
  ['idempotency_key', 'text'],
  ['search', 'text'],
  ['metadata', 'jsonb'],
  ['doc', 'text'],
  ...CSV_CELL_COLUMNS,
];

/** The column list of {@link INSERT_COLUMNS}, for SQL. */
export const NAMES = INSERT_COLUMNS.map(([c]) => c).join(', ');
/** Index of the first CSV cell column in a row of {@link rowOf}. */
const CSV_CELLS_AT = INSERT_COLUMNS.length - CSV_CELL_COLUMNS.length;
const column = (name: string) => INSERT_COLUMNS.findIndex(([c]) => c === name);
const [ID, ORG, KEY] = [column('id'), column('org_id'), column('idempotency_key')];

/** Batches from this size on go by COPY; below it one `unnest` statement (one round trip) is cheaper. */
export const COPY_MIN_ROWS = 100;

/**
 * Inserts the rows of `input` (a CTE with {@link INSERT_COLUMNS} and `ord`, the batch order): the keys
 * go into `entry_keys` first (its primary key and UNIQUE (org_id, idempotency_key) are the idempotency
 * rules, which a partitioned table cannot hold), and only the rows whose keys went in are inserted.
 * Within a batch the first of two rows with the same id or key wins, as with a constraint on the table
 * itself; each inserted key row is matched back to the first input row with exactly its values.
 */
function insertSql(schema: string, input: string): string {
  return `WITH input AS (${input}),
    keys AS (
      INSERT INTO ${schema}.entry_keys (id, org_id, idempotency_key, occurred_at)
      SELECT id, org_id, idempotency_key, occurred_at FROM input ORDER BY ord
      ON CONFLICT DO NOTHING RETURNING id, org_id, idempotency_key, occurred_at),
    chosen AS (
      SELECT DISTINCT ON (i.id) i.* FROM input i JOIN keys k
        ON k.id = i.id AND k.org_id = i.org_id AND k.occurred_at = i.occurred_at
       AND k.idempotency_key IS NOT DISTINCT FROM i.idempotency_key
      ORDER BY i.id, i.ord)
    INSERT INTO ${schema}.entries (${NAMES})
    SELECT ${NAMES} FROM chosen`;
}

const UNNEST_INPUT = `SELECT * FROM unnest(${INSERT_COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})
  WITH ORDINALITY AS t(${NAMES}, ord)`;

/** One array parameter per column: constant text for any batch size (no 65535-parameter limit). */
const arraysOf = (rows: (string | null)[][]) => INSERT_COLUMNS.map((_, i) => rows.map((r) => r[i] ?? null));

/** The identity of a row that `entry_keys` holds: its id, and its org's idempotency key if it has one. */
export interface RowKeys {
  id: string;
  org: string;
  key: string | null;
}

/** The {@link RowKeys} of a row of {@link rowOf}. */
const keysOfRow = (row: (string | null)[]): RowKeys => ({
  id: row[ID] as string,
  org: row[ORG] as string,
  key: row[KEY] ?? null,
});

/**
 * Frees the ids and keys of `rows` held by `entry_keys` rows whose entry is gone: a month retention
 * detached (its keys are released in bulk later, see partitionDrop.ts). Resolves with how many were freed.
 */
export async function releaseStaleKeys(db: Queryable, schema: string, rows: RowKeys[]): Promise<number> {
  const result = await db.query(
    `WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, org_id, idempotency_key))
     DELETE FROM ${schema}.entry_keys k USING input i
     WHERE (k.id = i.id OR (k.org_id = i.org_id AND k.idempotency_key = i.idempotency_key))
       AND NOT EXISTS (SELECT 1 FROM ${schema}.entries e
                       WHERE e.org_id = k.org_id AND e.occurred_at = k.occurred_at AND e.id = k.id)`,
    [rows.map((r) => r.id), rows.map((r) => r.org), rows.map((r) => r.key)],
  );
  return result.rowCount ?? 0;
}

/**
 * Appends rows by one `unnest` statement, atomic without an explicit transaction; runs on the pool or
 * inside the host's transaction. Resolves with the number inserted.
 */
export async function unnestAppend(
  db: Queryable,
  schema: string,
  rows: (string | null)[][],
): Promise<number> {
  const sql = insertSql(schema, UNNEST_INPUT);
  const inserted = (await db.query(sql, arraysOf(rows))).rowCount ?? 0;
  return inserted === rows.length ? inserted : inserted + (await retryStale(db, schema, rows));
}

/**
 * Rows refused as duplicates may collide only with keys of a month retention dropped: frees those and
 * inserts again (rows already in are duplicates now). Resolves with the number inserted by the retry.
 */
async function retryStale(db: Queryable, schema: string, rows: (string | null)[][]): Promise<number> {
  return claimAgain(
    db,
    schema,
    rows.map(keysOfRow),
    async () => (await db.query(insertSql(schema, UNNEST_INPUT), arraysOf(rows))).rowCount ?? 0,
  );
}

/**
 * Frees the stale keys of rows a claim refused ({@link releaseStaleKeys}), then runs `claim` once more,
 * even when nothing was freed: the background release of a dropped month (partitionDrop.ts
 * `releaseMonths`) may have deleted the very key rows that refused them after the first claim and before
 * this, leaving nothing to free while the claim now succeeds. A key an entry still holds refuses it again.
 */
export async function claimAgain<T>(
  db: Queryable,
  schema: string,
  refused: RowKeys[],
  claim: () => Promise<T>,
): Promise<T> {
  await releaseStaleKeys(db, schema, refused);
  return claim();
}
