/**
 * The PostgreSQL store's facet counts: per type, status, actor (with a name) and entity type, plus the
 * total, in one scan with GROUPING SETS so the counts agree with each other.
 */
import { checkQuery, sortFacet } from '../core/storeQuery.js';
import type { FacetCount, Facets, StoreQuery } from '../types.js';
import { type PostgresStoreContext, run } from './context.js';
import { whereClause } from './where.js';

interface FacetRow {
  type: string | null;
  status: string | null;
  actor_id: string | null;
  entity_type: string | null;
  label: string | null;
  n: number;
  g: number;
}

/** The facets of `query` (checked here, without its limit and cursor). */
export async function postgresFacets(ctx: PostgresStoreContext, query: StoreQuery): Promise<Facets> {
  checkQuery({ ...query, limit: undefined, after: undefined });
  const params: unknown[] = [];
  const where = whereClause(query, params, false);
  // One scan for all four axes; GROUPING() tells which set a row belongs to.
  const { rows } = await run<FacetRow>(
    ctx,
    'facets',
    `SELECT type, status, actor_id, entity_type, max(actor_name COLLATE "C") AS label, count(*)::int AS n,
            GROUPING(type, status, actor_id, entity_type) AS g
     FROM ${ctx.table} WHERE ${where}
     GROUP BY GROUPING SETS ((type), (status), (actor_id), (entity_type), ())`,
    params,
  );
  const facets: Facets = { types: [], statuses: [], actors: [], entityTypes: [], total: 0 };
  for (const r of rows) {
    if (r.g === 0b0111 && r.type !== null) facets.types.push({ value: r.type, count: r.n });
    else if (r.g === 0b1011 && r.status !== null) facets.statuses.push({ value: r.status, count: r.n });
    else if (r.g === 0b1101 && r.actor_id !== null) {
      const c: FacetCount = { value: r.actor_id, count: r.n };
      if (r.label !== null) c.label = r.label;
      facets.actors.push(c);
    } else if (r.g === 0b1110 && r.entity_type !== null)
      facets.entityTypes.push({ value: r.entity_type, count: r.n });
    else if (r.g === 0b1111) facets.total = r.n;
  }
  sortFacet(facets.types);
  sortFacet(facets.statuses);
  sortFacet(facets.actors);
  sortFacet(facets.entityTypes);
  return facets;
}
