export type { Migration as PostgresMigration } from './migrations.js';
export { MIGRATIONS as POSTGRES_MIGRATIONS } from './migrations.js';
export type { PartitionDrop } from './partitionDrop.js';
export type { PostgresDeadlines, PostgresStoreStats } from './pool.js';
export type { PostgresQueryable, PostgresStore, PostgresStoreOptions } from './store.js';
export { createPostgresStore } from './store.js';
