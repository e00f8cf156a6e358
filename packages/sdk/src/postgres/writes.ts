/**
 * The PostgreSQL store's writes: appending a batch (COPY on a pooled client for large batches, one
 * UNNEST insert otherwise, or on the host's client inside its transaction), moving a running job on
 * under a row lock, and deleting entries before a cutoff together with their keys.
 */
import { toMs } from '../core/storeQuery.js';
import { validateEntry } from '../core/validate.js';
import type { ActivityEntry, AppendResult } from '../types.js';
import { type PostgresStoreContext, run, storeFailed } from './context.js';
import { copyAppend } from './copyAppend.js';
import { CSV_CELL_COLUMNS } from './csvRows.js';
import { COPY_MIN_ROWS, INSERT_COLUMNS, rowOf, unnestAppend } from './ingest.js';
import { applyJobUpdate } from './rows.js';
import type { PostgresQueryable, PostgresStore } from './store.js';

/** What a job update rewrites: what `applyJobUpdate` may change, the export cells included. */
const UPDATED_COLUMNS = ['status', 'search', 'metadata', 'doc', ...CSV_CELL_COLUMNS.map(([c]) => c)];
const column = (name: string) => INSERT_COLUMNS.findIndex(([c]) => c === name);

/** The store's write calls. */
export type PostgresWrites = Pick<
  PostgresStore,
  'append' | 'appendInTransaction' | 'updateJob' | 'deleteBefore'
>;

/** Appends on `db` (the host's transaction), or by COPY on a pooled client when `db` is undefined. */
async function insert(
  ctx: PostgresStoreContext,
  db: PostgresQueryable | undefined,
  entries: ActivityEntry[],
): Promise<AppendResult> {
  if (entries.length === 0) return { inserted: 0, duplicates: 0 };
  const { guard, schema } = ctx;
  try {
    const inserted =
      db !== undefined
        ? await unnestAppend(db, schema, entries.map(rowOf))
        : entries.length >= COPY_MIN_ROWS
          ? await guard.withClient((client) => copyAppend(client, schema, entries))
          : await unnestAppend(guard.pool, schema, entries.map(rowOf));
    return { inserted, duplicates: entries.length - inserted };
  } catch (err) {
    throw storeFailed('append', err);
  }
}

/** The write calls on `ctx`. */
export function postgresWrites(ctx: PostgresStoreContext): PostgresWrites {
  const { guard, schema, table } = ctx;
  return {
    async append(entries) {
      await ctx.ready();
      return insert(ctx, undefined, entries);
    },

    async appendInTransaction(client, entries) {
      // These entries skip the recorder's pipeline, so they get its validation here; a bad one throws
      // (INVALID_EVENT naming the field) before anything is written, and the host can roll back.
      const valid = entries.map((e) => validateEntry(e).entry);
      await ctx.ready();
      return insert(ctx, client, valid);
    },

    async updateJob(orgId, id, update) {
      await ctx.ready();
      const { client, done } = await guard.checkout();
      let failure: unknown;
      try {
        await client.query('BEGIN');
        // The row lock orders concurrent updates of one run: the second sees the first's final status.
        const found = await client.query<{ doc: string; occurred_at: Date }>(
          `SELECT e.doc, e.occurred_at FROM ${schema}.entry_keys k
           JOIN ${table} e ON e.org_id = k.org_id AND e.occurred_at = k.occurred_at AND e.id = k.id
           WHERE k.id = $1 AND k.org_id = $2 AND e.status = 'IN_PROGRESS' FOR UPDATE OF e`,
          [id, orgId],
        );
        const row = found.rows[0];
        if (!row) {
          await client.query('ROLLBACK');
          return false;
        }
        const next = applyJobUpdate(JSON.parse(row.doc) as ActivityEntry, update);
        // The columns a run's update can change, as an append of `next` would write them.
        const values = rowOf(next);
        await client.query(
          `UPDATE ${table} SET ${UPDATED_COLUMNS.map((c, i) => `${c} = $${i + 4}`).join(', ')}
           WHERE id = $1 AND org_id = $2 AND occurred_at = $3 AND status = 'IN_PROGRESS'`,
          [id, orgId, row.occurred_at, ...UPDATED_COLUMNS.map((c) => values[column(c)] ?? null)],
        );
        await client.query('COMMIT');
        return true;
      } catch (err) {
        // The client is discarded on failure; ending its connection rolls the transaction back.
        failure = err;
        throw storeFailed('updateJob', err);
      } finally {
        done(failure);
      }
    },

    async deleteBefore(before, orgId) {
      const cutoff = new Date(toMs(before, 'before')).toISOString();
      // The keys go with their entries: an id or key purged by retention may be written again, as before.
      const where = orgId === undefined ? 'occurred_at < $1' : 'org_id = $2 AND occurred_at < $1';
      const { rows } = await run<{ n: number }>(
        ctx,
        'deleteBefore',
        `WITH gone AS (DELETE FROM ${table} WHERE ${where} RETURNING id),
              keys AS (DELETE FROM ${schema}.entry_keys k USING gone WHERE k.id = gone.id)
         SELECT count(*)::int AS n FROM gone`,
        orgId === undefined ? [cutoff] : [cutoff, orgId],
      );
      return rows[0]?.n ?? 0;
    },
  };
}
