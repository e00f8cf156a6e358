/**
 * Large batches into the partitioned `entries`, in one transaction: the batch's keys go into `entry_keys`
 * first (the idempotency rules: one small `unnest` statement), then the rows that won their keys go
 * straight into `entries` by COPY, so each row is written once. Node encodes the rows while the server
 * works, in slices: during the key claim, then during the COPY itself, which the server parses and
 * inserts slice by slice while the next one is encoded (docs/scaling.md has the measurements).
 */
import { once } from 'node:events';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { tabTextField } from '../core/tabText.js';
import type { ActivityEntry } from '../types.js';
import { claimAgain, keyCell, NAMES, occurredAtCell, type RowKeys, rowAt } from './ingest.js';

/** Rows per COPY data message: small enough for the server to start early, large enough to cost nothing. */
const SLICE = 50;

/**
 * One row in COPY's text format: tab-separated, NULL as `\N`, each field escaped by {@link tabTextField}.
 * A row's JSON holds about a hundred quotes, which CSV would double, and almost never a character that
 * needs an escape here: the text format costs half the CPU of CSV (docs/scaling.md).
 */
export function copyTextLine(row: (string | null)[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (i > 0) line += '\t';
    if (v === null || v === undefined) line += '\\N';
    else line += tabTextField(v);
  }
  return `${line}\n`;
}

/** The columns of an entry that its `entry_keys` row holds. */
interface KeyCells extends RowKeys {
  time: string;
}

/** A key row `entry_keys` took, as RETURNING gives it. */
interface Claimed {
  id: string;
  org_id: string;
  idempotency_key: string | null;
  occurred_at: Date;
}

const claimSql = (
  schema: string,
) => `INSERT INTO ${schema}.entry_keys (id, org_id, idempotency_key, occurred_at)
  SELECT id, org_id, idempotency_key, occurred_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
         WITH ORDINALITY AS t(id, org_id, idempotency_key, occurred_at, ord)
   ORDER BY ord
  ON CONFLICT DO NOTHING RETURNING id, org_id, idempotency_key, occurred_at`;

/**
 * Which of `keys[indexes]` won: each key row went in for the first row of the batch with exactly its
 * values (the unnest path's `DISTINCT ON` picks the same one).
 */
function winners(keys: KeyCells[], indexes: number[], claimed: Claimed[]): number[] {
  const byId = new Map<string, number[]>();
  for (const i of indexes) {
    const id = (keys[i] as KeyCells).id;
    const list = byId.get(id);
    if (list) list.push(i);
    else byId.set(id, [i]);
  }
  const won: number[] = [];
  for (const c of claimed) {
    const first = (byId.get(c.id) ?? []).find((i) => {
      const k = keys[i] as KeyCells;
      return (
        k.org === c.org_id && k.key === c.idempotency_key && Date.parse(k.time) === c.occurred_at.getTime()
      );
    });
    if (first !== undefined) won.push(first);
  }
  return won.sort((a, b) => a - b);
}

/** Claims the keys of `keys[indexes]` in `entry_keys`; resolves with the indexes whose keys went in, in order. */
async function claim(client: pg.ClientBase, schema: string, keys: KeyCells[], indexes: number[]) {
  const column = (pick: (k: KeyCells) => string | null) => indexes.map((i) => pick(keys[i] as KeyCells));
  const { rows } = await client.query<Claimed>(claimSql(schema), [
    column((k) => k.id),
    column((k) => k.org),
    column((k) => k.key),
    column((k) => k.time),
  ]);
  return winners(keys, indexes, rows);
}

/** The batch's COPY lines, encoded on demand (each at most once). */
class Lines {
  private readonly lines: (string | undefined)[];
  constructor(
    private readonly entries: ActivityEntry[],
    private readonly keys: KeyCells[],
  ) {
    this.lines = new Array(entries.length);
  }
  get(i: number): string {
    let line = this.lines[i];
    if (line === undefined) {
      line = copyTextLine(rowAt(this.entries[i] as ActivityEntry, (this.keys[i] as KeyCells).time));
      this.lines[i] = line;
    }
    return line;
  }
}

/** Encodes lines in slices until `done()` is true (yielding between slices so I/O is seen), or all are. */
async function encodeWhile(lines: Lines, count: number, done: () => boolean): Promise<void> {
  for (let i = 0; i < count && !done(); ) {
    const end = Math.min(count, i + SLICE);
    for (; i < end; i++) lines.get(i);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * The order rows go in: by month, then org, then time. Each month's rows reach its partition together and
 * each org's land next to each other in the `(org_id, occurred_at, id)` indexes: COPY of a batch so
 * ordered took 0.57 of the time of the same rows in arrival order (docs/scaling.md).
 */
function insertOrder(keys: KeyCells[], indexes: number[]): number[] {
  const sortKey = (i: number) => {
    const k = keys[i] as KeyCells;
    return `${k.time.slice(0, 7)}\u0000${k.org}\u0000${k.time}`;
  };
  const keyed = indexes.map((i) => [sortKey(i), i] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return keyed.map(([, i]) => i);
}

/** COPYs the lines of `indexes` into `entries`, slice by slice, each encoded as the previous one is sent. */
async function copyRows(
  client: pg.ClientBase,
  schema: string,
  keys: KeyCells[],
  lines: Lines,
  indexes: number[],
) {
  if (indexes.length === 0) return;
  const ordered = insertOrder(keys, indexes);
  const copy = client.query(pgCopy.from(`COPY ${schema}.entries (${NAMES}) FROM STDIN`));
  const finished = new Promise<void>((resolve, reject) => {
    copy.on('error', reject);
    copy.on('finish', resolve);
  });
  // A failed COPY fails the append below; this only keeps it from being reported as unhandled first.
  finished.catch(() => {});
  for (let at = 0; at < ordered.length; at += SLICE) {
    let text = '';
    for (const i of ordered.slice(at, at + SLICE)) text += lines.get(i);
    if (!copy.write(text)) await Promise.race([once(copy, 'drain'), finished]);
  }
  copy.end();
  await finished;
}

/**
 * Appends `entries` in one transaction on `client` (a pooled client the caller discards on failure,
 * which rolls back): see the file's header. Keys refused only because their month was dropped are freed
 * and claimed again. Resolves with the number inserted.
 */
export async function copyAppend(
  client: pg.ClientBase,
  schema: string,
  entries: ActivityEntry[],
): Promise<number> {
  const keys = entries.map((e) => ({ id: e.id, org: e.orgId, key: keyCell(e), time: occurredAtCell(e) }));
  const lines = new Lines(entries, keys);
  const all = keys.map((_, i) => i);
  await client.query('BEGIN');
  let settled = false;
  const claiming = claim(client, schema, keys, all);
  // Ends the encoding below as soon as the claim is answered, or failed (the failure is thrown from the
  // await after it; this handler also keeps it from being reported as unhandled first).
  claiming.then(
    () => (settled = true),
    () => (settled = true),
  );
  await encodeWhile(lines, entries.length, () => settled);
  const first = await claiming;
  await copyRows(client, schema, keys, lines, first);
  let inserted = first.length;
  if (inserted < entries.length) {
    // After the COPY: until its entries are in, the keys this batch just claimed would look stale too.
    const taken = new Set(first);
    const refused = all.filter((i) => !taken.has(i));
    const again = await claimAgain(
      client,
      schema,
      refused.map((i) => keys[i] as KeyCells),
      () => claim(client, schema, keys, refused),
    );
    await copyRows(client, schema, keys, lines, again);
    inserted += again.length;
  }
  await client.query('COMMIT');
  return inserted;
}
