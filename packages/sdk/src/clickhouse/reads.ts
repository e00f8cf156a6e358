/**
 * SQL of the store's reads, none with FINAL on the entries table. The visible entries of an org are the
 * entries table (every entry in a final state, one row per id) plus the runs still in progress: the
 * newest version of each run in the runs table (FINAL over a few rows per running job), unless its final
 * version already reached the entries table (the moment between a finish's two inserts, or a crash
 * between them).
 */
import { sortFacet, toMs } from '../core/storeQuery.js';
// Shared with the PostgreSQL store (plain functions, no driver import).
import { likePattern, safeText } from '../postgres/rows.js';
import type { FacetCount, Facets, StoreQuery } from '../types.js';
import { keyMs } from './rows.js';

/** Quoted names of the store's two tables. */
export interface ChTables {
  /** `db`.`entries`: final entries, one row per id. */
  main: string;
  /** `db`.`entries_runs`: versions of runs in progress. */
  runs: string;
}

/** Newest first; `occurred_at` leads so the primary key serves the order (it is `occurred_ms` clamped). */
export const NEWEST_FIRST = 'occurred_at DESC, occurred_ms DESC, id DESC';

/** WHERE clause of a filter with `{name:Type}` placeholders; values go to `params`, never into the SQL. */
export function whereClause(query: StoreQuery, params: Record<string, unknown>, withCursor: boolean): string {
  params.org = query.orgId;
  const conds = ['org_id = {org:String}'];
  const list = (column: string, name: string, values: readonly string[] | undefined) => {
    if (!values?.length) return;
    params[name] = values.map(safeText);
    conds.push(`${column} IN {${name}:Array(String)}`);
  };
  list('type', 'types', query.types);
  list('status', 'statuses', query.statuses);
  list('actor_id', 'actors', query.actorIds);
  list('entity_type', 'entityTypes', query.entityTypes);
  if (query.entityId) {
    params.entityId = safeText(query.entityId);
    conds.push('entity_id = {entityId:String}');
  }
  if (query.correlationId) {
    params.correlationId = safeText(query.correlationId);
    conds.push('correlation_id = {correlationId:String}');
  }
  // Each time bound twice: exact on occurred_ms, and on the clamped key so the primary key prunes parts
  // (ms >= from implies key(ms) >= key(from); ms < to implies key(ms) <= key(to)).
  if (query.from !== undefined) {
    params.from = toMs(query.from, 'from');
    params.fromKey = keyMs(params.from as number);
    conds.push(
      'occurred_ms >= {from:Int64}',
      `occurred_at >= fromUnixTimestamp64Milli({fromKey:Int64}, 'UTC')`,
    );
  }
  if (query.to !== undefined) {
    params.to = toMs(query.to, 'to');
    params.toKey = keyMs(params.to as number);
    conds.push('occurred_ms < {to:Int64}', `occurred_at <= fromUnixTimestamp64Milli({toKey:Int64}, 'UTC')`);
  }
  if (query.q) {
    params.q = likePattern(query.q);
    conds.push('search LIKE {q:String}');
  }
  if (withCursor && query.after) {
    params.afterAt = toMs(query.after.occurredAt, 'after.occurredAt');
    params.afterKey = keyMs(params.afterAt as number);
    params.afterId = query.after.id;
    // The key bound lets the primary key prune parts; the exact tuple comparison breaks ties by id.
    conds.push(
      `occurred_at <= fromUnixTimestamp64Milli({afterKey:Int64}, 'UTC')`,
      '(occurred_ms, id) < ({afterAt:Int64}, {afterId:String})',
    );
  }
  return conds.join(' AND ');
}

/**
 * `SELECT columns` of the runs in progress matching `where`. `orgScoped` says `where` names one org
 * (`{org:String}`), which narrows the check against the entries table to that org's key range.
 */
export function runningSql(t: ChTables, columns: string, where: string, orgScoped = true): string {
  const org = orgScoped ? 'org_id = {org:String} AND ' : '';
  // The runs' own keys go to the entries table's primary key: one granule per running job, never a scan.
  return `SELECT ${columns} FROM ${t.runs} FINAL
    WHERE ${where} AND status = 'IN_PROGRESS'
      AND (occurred_at, id) NOT IN (
        SELECT occurred_at, id FROM ${t.main} WHERE ${org}(occurred_at, id) IN (
          SELECT occurred_at, id FROM ${t.runs} WHERE ${org}status = 'IN_PROGRESS'))`;
}

/** The visible rows matching `where`, as one row source (entries table, then runs in progress). */
export function visibleSql(t: ChTables, columns: string, where: string, orgScoped = true): string {
  return `SELECT ${columns} FROM ${t.main} WHERE ${where}
    UNION ALL ${runningSql(t, columns, where, orgScoped)}`;
}

/** One entry's newest row version (`{org:String}`, `{id:String}`), wherever it is. */
export function getSql(t: ChTables): string {
  const where = 'org_id = {org:String} AND id = {id:String}';
  return `SELECT doc, version FROM (
      SELECT doc, version FROM ${t.main} WHERE ${where}
      UNION ALL SELECT doc, version FROM ${t.runs} FINAL WHERE ${where}
    ) ORDER BY version DESC LIMIT 1`;
}

/** Facet counts of the visible rows: one grouping set per facet, and the total. */
export function facetsSql(t: ChTables, where: string): string {
  return `SELECT type, status, actor_id, entity_type, max(actor_name) AS label, count() AS n,
                grouping(type, status, actor_id, entity_type) AS g
         FROM (${visibleSql(t, 'type, status, actor_id, entity_type, actor_name', where)})
         GROUP BY GROUPING SETS ((type), (status), (actor_id), (entity_type), ())`;
}

/** Counts per `{bucket:Int64}` ms of the visible rows. */
export function histogramSql(t: ChTables, where: string): string {
  // intDiv truncates toward zero; shifting negative times first makes it floor (times before 1970).
  return `SELECT intDiv(occurred_ms - if(occurred_ms < 0, {bucket:Int64} - 1, 0), {bucket:Int64}) AS b, count() AS n,
                countIf(status IN ('FAILED', 'WARNING')) AS failures
         FROM (${visibleSql(t, 'occurred_ms, status', where)}) GROUP BY b ORDER BY b`;
}

/** A row of {@link facetsSql}. */
export interface FacetRow {
  type: string;
  status: string;
  actor_id: string;
  entity_type: string;
  label: string;
  n: number | string;
  g: number | string;
}

/** The facets of {@link facetsSql}'s rows, each list sorted as every store sorts it. */
export function facetsOf(rows: FacetRow[]): Facets {
  const facets: Facets = { types: [], statuses: [], actors: [], entityTypes: [], total: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    // grouping() sets a bit for each column that is NOT grouped in the row's set (first column = high bit).
    switch (Number(r.g)) {
      case 0b0111:
        facets.types.push({ value: r.type, count: n });
        break;
      case 0b1011:
        facets.statuses.push({ value: r.status, count: n });
        break;
      case 0b1101: {
        const c: FacetCount = { value: r.actor_id, count: n };
        if (r.label !== '') c.label = r.label;
        facets.actors.push(c);
        break;
      }
      case 0b1110:
        if (r.entity_type !== '') facets.entityTypes.push({ value: r.entity_type, count: n });
        break;
      case 0b1111:
        facets.total = n;
        break;
    }
  }
  sortFacet(facets.types);
  sortFacet(facets.statuses);
  sortFacet(facets.actors);
  sortFacet(facets.entityTypes);
  return facets;
}
