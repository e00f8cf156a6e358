/**
 * The PostgreSQL store's reads: one entry by id (through its key row, so one partition is probed), keyset
 * pages of entries or of CSV cells, facet counts (facets.ts), time histograms and the list of orgs.
 */
import { checkBucketMs, checkQuery } from '../core/storeQuery.js';
import type { ActivityEntry, ActivityStore, HistogramBucket, StorePage } from '../types.js';
import { type PostgresStoreContext, run, storeFailed } from './context.js';
import { CSV_SELECT, csvCellsOfRow, csvCursorOf } from './csvRows.js';
import { postgresFacets } from './facets.js';
import { distinctOrgsSql } from './rows.js';
import { whereClause } from './where.js';

/** The store's read calls. */
export type PostgresReads = Pick<ActivityStore, 'get' | 'query' | 'facets' | 'histogram' | 'listOrgs'> &
  Required<Pick<ActivityStore, 'queryCsvRows'>>;

/** The read calls on `ctx`. */
export function postgresReads(ctx: PostgresStoreContext): PostgresReads {
  const { guard, schema, table } = ctx;
  return {
    async get(orgId, id) {
      // PostgreSQL text cannot hold NUL: no entry has such an id, and asking would fail the query.
      if (String(id).includes('\u0000') || String(orgId).includes('\u0000')) return undefined;
      const { rows } = await run<{ doc: string }>(
        ctx,
        'get',
        // The key row names the month, so only that partition is probed.
        `SELECT e.doc FROM ${schema}.entry_keys k
         JOIN ${table} e ON e.org_id = k.org_id AND e.occurred_at = k.occurred_at AND e.id = k.id
         WHERE k.id = $1 AND k.org_id = $2`,
        [id, orgId],
      );
      return rows[0] ? (JSON.parse(rows[0].doc) as ActivityEntry) : undefined;
    },

    async query(query): Promise<StorePage> {
      const limit = checkQuery(query);
      const params: unknown[] = [];
      const where = whereClause(query, params, true);
      params.push(limit + 1);
      const { rows } = await run<{ doc: string }>(
        ctx,
        'query',
        `SELECT doc FROM ${table} WHERE ${where} ORDER BY occurred_at DESC, id DESC LIMIT $${params.length}`,
        params,
      );
      const entries = rows.slice(0, limit).map((r) => JSON.parse(r.doc) as ActivityEntry);
      const last = entries[entries.length - 1];
      return rows.length > limit && last
        ? { entries, next: { occurredAt: last.occurredAt, id: last.id } }
        : { entries };
    },

    async queryCsvRows(query): Promise<StorePage<string[]>> {
      const limit = checkQuery(query);
      const params: unknown[] = [];
      const where = whereClause(query, params, true);
      params.push(limit + 1);
      await ctx.ready();
      let rows: (string | null)[][];
      try {
        // Array rows: no object per row, and the time arrives as text (no Date parsed, none formatted).
        const result = await guard.pool.query<(string | null)[]>({
          text: `SELECT ${CSV_SELECT} FROM ${table} WHERE ${where}
                 ORDER BY occurred_at DESC, id DESC LIMIT $${params.length}`,
          values: params,
          rowMode: 'array',
        });
        rows = result.rows;
      } catch (err) {
        throw storeFailed('queryCsvRows', err);
      }
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      const entries = page.map(csvCellsOfRow);
      const last = page[page.length - 1];
      return rows.length > limit && last ? { entries, next: csvCursorOf(last) } : { entries };
    },

    facets: (query) => postgresFacets(ctx, query),

    async histogram(query): Promise<HistogramBucket[]> {
      checkQuery({ ...query, limit: undefined, after: undefined });
      checkBucketMs(query.bucketMs);
      const params: unknown[] = [];
      const where = whereClause(query, params, false);
      params.push(query.bucketMs);
      const b = `$${params.length}::bigint`;
      const { rows } = await run<{ bucket: string; n: number; failures: number }>(
        ctx,
        'histogram',
        `SELECT floor(extract(epoch FROM occurred_at) * 1000 / ${b})::bigint AS bucket, count(*)::int AS n,
                (count(*) FILTER (WHERE status IN ('FAILED', 'WARNING')))::int AS failures
         FROM ${table} WHERE ${where} GROUP BY bucket ORDER BY bucket`,
        params,
      );
      return rows.map((r) => ({
        start: new Date(Number(r.bucket) * query.bucketMs).toISOString(),
        count: r.n,
        failures: r.failures,
      }));
    },

    async listOrgs() {
      // Loose index scan over entry_keys' (org_id, idempotency_key) index: one probe per org.
      const { rows } = await run<{ org_id: string }>(
        ctx,
        'listOrgs',
        distinctOrgsSql(`${schema}.entry_keys`),
        [],
      );
      return rows.map((r) => r.org_id);
    },
  };
}
