/** `@activity/sdk/server`: the query API handler, its Node adapters, retry, export and retention. */
export * from './export.js';
export * from './handler.js';
export { createPositionCodec, type Position, type PositionCodec, SECURITY_HEADERS } from './http.js';
export * from './node.js';
export * from './retention.js';
export * from './retry.js';
export * from './tail.js';
