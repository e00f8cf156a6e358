export type { ClickHouseClusterDDL, ClickHouseClusterOptions } from './cluster.js';
export { clickhouseClusterDDL } from './cluster.js';
export type { ClickHouseStore, ClickHouseStoreOptions } from './store.js';
export { createClickHouseStore } from './store.js';
