export * from './clickhouse/index.js';
