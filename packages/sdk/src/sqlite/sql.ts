import { toMs } from '../core/storeQuery.js';
import type { ActivityEntry, StoreQuery } from '../types.js';

/** A WHERE clause and its parameters. */
export interface SqlWhere {
  sql: string;
  params: (string | number)[];
}

/** Escapes `%`, `_` and the escape character itself for `LIKE … ESCAPE '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

// A separator the filter parser never lets through, so a query cannot match across two fields.
const SEP = '\u001f';

/** The text the free-text filter searches, lower-cased once at write time. */
export function searchText(entry: Pick<ActivityEntry, 'action' | 'entity' | 'actor' | 'summary'>): string {
  return [entry.action, entry.entity?.label ?? '', entry.actor.name ?? '', entry.summary ?? '']
    .join(SEP)
    .toLowerCase();
}

function inList(
  column: string,
  values: readonly string[],
  clauses: string[],
  params: (string | number)[],
): void {
  if (values.length === 1) {
    // Plain equality lets the planner walk the (org_id, column, occurred_at, id) index in order.
    clauses.push(`${column} = ?`);
  } else {
    clauses.push(`${column} IN (${values.map(() => '?').join(', ')})`);
  }
  params.push(...values);
}

/**
 * Builds the WHERE clause of a query: org, every filter axis and the keyset cursor. Column names come
 * from this code only; every value is a parameter.
 */
export function buildWhere(query: StoreQuery, withCursor: boolean): SqlWhere {
  const clauses = ['org_id = ?'];
  const params: (string | number)[] = [query.orgId];
  if (query.types?.length) inList('type', query.types, clauses, params);
  if (query.statuses?.length) inList('status', query.statuses, clauses, params);
  if (query.actorIds?.length) inList('actor_id', query.actorIds, clauses, params);
  if (query.entityTypes?.length) inList('entity_type', query.entityTypes, clauses, params);
  if (query.entityId) {
    clauses.push('entity_id = ?');
    params.push(query.entityId);
  }
  if (query.correlationId) {
    clauses.push('correlation_id = ?');
    params.push(query.correlationId);
  }
  if (query.from !== undefined) {
    clauses.push('occurred_at >= ?');
    params.push(toMs(query.from, 'from'));
  }
  // One upper bound on occurred_at: SQLite starts the index range at only one of several, so the cursor
  // and `to` are folded into the tighter of the two (times are integer ms: `< to` is `<= to - 1`).
  const cursorMs = withCursor && query.after ? toMs(query.after.occurredAt, 'after.occurredAt') : undefined;
  const lastMs = query.to !== undefined ? toMs(query.to, 'to') - 1 : undefined;
  const upper =
    cursorMs === undefined ? lastMs : lastMs === undefined ? cursorMs : Math.min(cursorMs, lastMs);
  if (upper !== undefined) {
    clauses.push('occurred_at <= ?');
    params.push(upper);
  }
  if (query.q) {
    clauses.push("search LIKE ? ESCAPE '\\'");
    params.push(`%${escapeLike(query.q.toLowerCase())}%`);
  }
  if (withCursor && query.after) {
    clauses.push('(occurred_at, id) < (?, ?)');
    params.push(cursorMs ?? 0, query.after.id);
  }
  return { sql: clauses.join(' AND '), params };
}

/** The SELECT of one page, newest first; fetches `limit + 1` rows so the store knows whether more follow. */
export function pageSql(query: StoreQuery, limit: number): SqlWhere {
  const where = buildWhere(query, true);
  return {
    sql: `SELECT data FROM activity_entries WHERE ${where.sql} ORDER BY occurred_at DESC, id DESC LIMIT ?`,
    params: [...where.params, limit + 1],
  };
}

/**
 * The histogram's SELECT: entries per bucket of `bucketMs`, floored (SQLite's integer division rounds
 * toward zero, which would put times before 1970 into the next bucket).
 */
export function histogramSql(query: StoreQuery, bucketMs: number): SqlWhere {
  const where = buildWhere(query, false);
  return {
    sql: `SELECT (occurred_at - (CASE WHEN occurred_at < 0 THEN CAST(? AS INTEGER) - 1 ELSE 0 END))
              / CAST(? AS INTEGER) AS b, count(*) AS count,
            sum(status IN ('FAILED', 'WARNING')) AS failures
          FROM activity_entries WHERE ${where.sql} GROUP BY b ORDER BY b`,
    params: [bucketMs, bucketMs, ...where.params],
  };
}
