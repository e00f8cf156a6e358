/** Columns and sorting of the ClickHouse entries table, shared by the store's migrations and the cluster DDL. */

/**
 * Column and data-skipping index definitions. `occurredMs` includes the exact-time column that
 * migration 2 adds to tables created before it (new cluster tables get it at once).
 */
export function entryColumns({ occurredMs }: { occurredMs: boolean }): string {
  return `org_id          String,
        occurred_at     DateTime64(3, 'UTC'),${occurredMs ? '\n        occurred_ms     Int64 DEFAULT toUnixTimestamp64Milli(occurred_at),' : ''}
        id              String,
        version         UInt64,
        type            LowCardinality(String),
        status          LowCardinality(String),
        actor_id        String,
        actor_name      String,
        action          LowCardinality(String),
        entity_type     LowCardinality(String),
        entity_id       String,
        correlation_id  String,
        parent_id       String,
        idempotency_key String,
        search          String,
        doc             String CODEC(ZSTD(3)),
        INDEX idx_id id TYPE bloom_filter(0.01) GRANULARITY 4,
        INDEX idx_actor actor_id TYPE bloom_filter(0.01) GRANULARITY 4,
        INDEX idx_correlation correlation_id TYPE bloom_filter(0.01) GRANULARITY 4,
        INDEX idx_entity entity_id TYPE bloom_filter(0.01) GRANULARITY 4,
        INDEX idx_idempotency idempotency_key TYPE bloom_filter(0.01) GRANULARITY 4,
        INDEX idx_search search TYPE ngrambf_v1(3, 65536, 3, 0) GRANULARITY 4`;
}

/** Partitioning and sorting after the engine: an org's newest-first page reads one contiguous range. */
export const ENGINE_CLAUSE = `PARTITION BY toYYYYMM(occurred_at)
      ORDER BY (org_id, occurred_at, id)`;
