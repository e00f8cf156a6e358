export { ENTRIES_TABLE, MIGRATIONS, migrate, type SqliteMigration } from './migrations.js';
export { buildWhere, escapeLike, pageSql, type SqlWhere, searchText } from './sql.js';
export { createSqliteStore, type SqliteStore, type SqliteStoreOptions } from './store.js';
export type { SqliteDatabase, SqliteRunResult, SqliteStatement } from './types.js';
