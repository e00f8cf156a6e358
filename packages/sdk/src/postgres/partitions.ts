/**
 * Monthly range partitions of `<schema>.entries` on `occurred_at` (UTC months): created ahead by the
 * store, a DEFAULT partition for entries dated outside them, and whole months dropped by retention.
 */
import pg from 'pg';
import { LOCK_NAMESPACE } from './migrations.js';

/** Months created ahead of the current one (and one behind, for late entries). */
export const MONTHS_AHEAD = 3;

/** First instant (UTC) of the month of `ms`, plus `offset` months. */
export function monthStart(ms: number, offset = 0): Date {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1));
}

/** `entries_p202611` for November 2026; years outside 0..9999 never get a partition (they use DEFAULT). */
export function partitionName(month: Date): string {
  return `entries_p${String(month.getUTCFullYear()).padStart(4, '0')}${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

type Queryable = Pick<pg.ClientBase, 'query'>;

/** One existing monthly partition. */
export interface MonthPartition {
  name: string;
  from: Date;
  to: Date;
}

/** A string as an SQL literal (node-postgres' escaping), for the statements sent without parameters. */
export function literal(text: string): string {
  return pg.escapeLiteral(text);
}

/**
 * The query of {@link listPartitions}, without parameters: it can share a round trip with the
 * statements around it. Its rows go to {@link monthPartitions}. The name is matched there, not in SQL: a
 * `relname LIKE` here makes PostgreSQL start from pg_class's name index, visiting the `entries_p…` tables
 * of every store schema in the database (580 of them: 5 ms, against 0.2 ms). The bound is deparsed
 * without its table (`pg_get_expr(…, 0)`: a bound holds constants only, the text is the same): given the
 * table, PostgreSQL opens every partition to name its columns, waiting for any lock on it and, on a
 * session whose caches were flushed, rebuilding its cache entry (26 partitions, a fresh session: the
 * listing's server CPU 6.9 -> 4.4 ms, medians of 16).
 */
export function listPartitionsSql(schema: string): string {
  return `SELECT c.relname AS name, pg_get_expr(c.relpartbound, 0) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = ${literal(`${schema}.entries`)}::regclass`;
}

/** The monthly partitions among the rows of {@link listPartitionsSql} (DEFAULT left out), oldest first. */
export function monthPartitions(rows: { name: string; bound: string }[]): MonthPartition[] {
  const out: MonthPartition[] = [];
  for (const r of rows) {
    if (!r.name.startsWith('entries_p')) continue;
    const m = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(r.bound);
    if (m?.[1] && m[2]) out.push({ name: r.name, from: new Date(m[1]), to: new Date(m[2]) });
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** Monthly partitions of the table (the DEFAULT partition excluded), oldest first. */
export async function listPartitions(db: Queryable, schema: string): Promise<MonthPartition[]> {
  const { rows } = await db.query<{ name: string; bound: string }>(listPartitionsSql(schema));
  return monthPartitions(rows);
}

/**
 * Creates the partition of each month when missing. A month whose entries already sit in the DEFAULT
 * partition is left there (PostgreSQL refuses the new partition); they are still found and purged.
 * Runs in the caller's transaction, which must hold {@link lockPartitions}.
 */
export async function createMonths(db: Queryable, schema: string, months: Date[]): Promise<void> {
  const existing = new Set((await listPartitions(db, schema)).map((p) => p.name));
  for (const month of months) {
    const year = month.getUTCFullYear();
    if (year < 1 || year > 9999) continue;
    const name = partitionName(month);
    if (existing.has(name)) continue;
    const next = monthStart(month.getTime(), 1);
    await db.query('SAVEPOINT month');
    try {
      await db.query(
        `CREATE TABLE ${schema}."${name}" PARTITION OF ${schema}.entries
         FOR VALUES FROM ('${month.toISOString()}') TO ('${next.toISOString()}')`,
      );
      await db.query('RELEASE SAVEPOINT month');
    } catch {
      await db.query('ROLLBACK TO SAVEPOINT month');
    }
  }
}

/** {@link lockPartitions} as SQL text (no parameters), to share a round trip with other statements. */
export function lockPartitionsSql(schemaName: string): string {
  return `SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${literal(`partitions:${schemaName}`)}))`;
}

/** Serialises partition changes of one schema (creation ahead, drops) across processes. */
export async function lockPartitions(db: Queryable, schemaName: string): Promise<void> {
  await db.query(lockPartitionsSql(schemaName));
}

/** The months the store keeps ready around `now`: one behind, the current one, {@link MONTHS_AHEAD} ahead. */
export function monthsAround(now: number): Date[] {
  return Array.from({ length: MONTHS_AHEAD + 2 }, (_, i) => monthStart(now, i - 1));
}

/** Every month from the one of `fromMs` to the one of `toMs`, both included (at most 1200). */
export function monthsBetween(fromMs: number, toMs: number): Date[] {
  const out: Date[] = [];
  for (let m = monthStart(fromMs); m.getTime() <= toMs && out.length < 1200; m = monthStart(m.getTime(), 1))
    out.push(m);
  return out;
}
