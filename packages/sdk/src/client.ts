/** Browser-safe entry: the query client, the filter model, the event types and the error class. */
export * from './client/index.js';
export * from './errors.js';
export * from './filters.js';
export * from './types.js';
