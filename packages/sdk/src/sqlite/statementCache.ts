/**
 * The SQLite store's cache of prepared statements by SQL text: filters build many shapes of query, and
 * preparing one costs more than running it. Least recently used first out past the limit.
 */
import type { Database, Statement } from 'better-sqlite3';

// Enough distinct filter shapes for any UI; beyond it the least recently built statement is dropped.
const STATEMENT_CACHE = 256;

/** A prepare-or-reuse function and a way to drop every cached statement. */
export interface StatementCache {
  prepare(sql: string): Statement;
  clear(): void;
}

export function createStatementCache(db: Database): StatementCache {
  const statements = new Map<string, Statement>();
  return {
    prepare(sql) {
      let stmt = statements.get(sql);
      if (stmt) {
        statements.delete(sql);
      } else {
        stmt = db.prepare(sql);
        if (statements.size >= STATEMENT_CACHE) {
          const oldest = statements.keys().next().value;
          if (oldest !== undefined) statements.delete(oldest);
        }
      }
      statements.set(sql, stmt);
      return stmt;
    },
    clear() {
      statements.clear();
    },
  };
}
