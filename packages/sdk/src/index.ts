/**
 * @activity/sdk: record activity with `createActivity()`, query it with `createActivityClient()`.
 * Stores and the HTTP handler live behind subpath entries (`/sqlite`, `/postgres`, `/clickhouse`, `/server`, `/testing`).
 */
export * from './client.js';
export * from './core/index.js';
