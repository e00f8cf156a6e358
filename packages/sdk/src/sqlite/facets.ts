/**
 * The SQLite store's facet counts: per type, status, actor (with its latest name) and entity type, plus
 * the total, all read in one transaction so they agree with each other.
 */
import type { Database, Statement } from 'better-sqlite3';
import { sortFacet } from '../core/storeQuery.js';
import type { FacetCount, Facets, StoreQuery } from '../types.js';
import { buildWhere } from './sql.js';

/** The facets of a (checked) query, through the store's statement cache. */
export function sqliteFacets(
  db: Database,
  prepare: (sql: string) => Statement,
): (query: StoreQuery) => Facets {
  return db.transaction((query: StoreQuery): Facets => {
    const where = buildWhere(query, false);
    const group = (column: string, extra = ''): FacetCount[] =>
      sortFacet(
        (
          prepare(
            `SELECT ${column} AS value, count(*) AS count FROM activity_entries WHERE ${where.sql}${extra} GROUP BY ${column}`,
          ).all(...where.params) as FacetCount[]
        ).map((r) => ({ value: r.value, count: r.count })),
      );
    const actors = (
      prepare(
        `SELECT actor_id AS value, count(*) AS count, max(actor_name) AS label FROM activity_entries WHERE ${where.sql} GROUP BY actor_id`,
      ).all(...where.params) as { value: string; count: number; label: string | null }[]
    ).map((r) =>
      r.label === null
        ? { value: r.value, count: r.count }
        : { value: r.value, count: r.count, label: r.label },
    );
    const total = prepare(`SELECT count(*) FROM activity_entries WHERE ${where.sql}`)
      .pluck()
      .get(...where.params) as number;
    return {
      types: group('type'),
      statuses: group('status'),
      actors: sortFacet(actors),
      entityTypes: group('entity_type', ' AND entity_type IS NOT NULL'),
      total,
    };
  });
}
