export type { ClickHouseStore, ClickHouseStoreOptions } from './store.js';
export { createClickHouseStore } from './store.js';
