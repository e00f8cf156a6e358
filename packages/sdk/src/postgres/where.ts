/**
 * The WHERE clause of a PostgreSQL store filter, shared by pages, facets and histograms: `$n`
 * placeholders only, shaped so the composite indexes return rows in page order.
 */
import { toMs } from '../core/storeQuery.js';
import type { StoreQuery } from '../types.js';
import { likePattern, safeText } from './rows.js';

/** Builds the WHERE clause of a filter, pushing values to `params` ($n placeholders only). */
export function whereClause(query: StoreQuery, params: unknown[], withCursor: boolean): string {
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conds = [`org_id = ${p(query.orgId)}`];
  const list = (column: string, values: readonly string[] | undefined) => {
    if (!values?.length) return;
    // One value is an equality, so the (org_id, column, occurred_at, id) index returns rows in page
    // order; `= ANY` on a non-leading column makes PostgreSQL sort (before 17).
    if (values.length === 1) conds.push(`${column} = ${p(safeText(values[0] as string))}`);
    else conds.push(`${column} = ANY(${p(values.map(safeText))}::text[])`);
  };
  list('type', query.types);
  list('status', query.statuses);
  list('actor_id', query.actorIds);
  list('entity_type', query.entityTypes);
  if (query.entityId) conds.push(`entity_id = ${p(safeText(query.entityId))}`);
  if (query.correlationId) conds.push(`correlation_id = ${p(safeText(query.correlationId))}`);
  if (query.from !== undefined)
    conds.push(`occurred_at >= ${p(new Date(toMs(query.from, 'from')).toISOString())}`);
  if (query.to !== undefined) conds.push(`occurred_at < ${p(new Date(toMs(query.to, 'to')).toISOString())}`);
  if (query.q) conds.push(`search LIKE ${p(likePattern(query.q))}`);
  if (withCursor && query.after) {
    const at = new Date(toMs(query.after.occurredAt, 'after.occurredAt')).toISOString();
    // Row comparison matches the (occurred_at DESC, id DESC) index order, so deep pages stay cheap.
    conds.push(`(occurred_at, id) < (${p(at)}::timestamptz, ${p(query.after.id)})`);
  }
  return conds.join(' AND ');
}
