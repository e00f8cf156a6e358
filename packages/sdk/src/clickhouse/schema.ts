/**
 * Columns, sorting and engines of the ClickHouse store's tables, shared by the single-node migrations and
 * the cluster DDL:
 * - `<table>` holds every entry in a final state (born final, or a run's final version), one row per id,
 *   so the hot reads (list, facets, histogram) need no `FINAL`;
 * - `<table>_runs` holds the versions of runs still in progress (a few rows per running job) and is read
 *   with `FINAL`, which costs little on a table that small;
 * - `<table>_keys`, fed by the materialized views `<table>_keys_mv` inside every insert into `<table>` and
 *   `<table>_runs_keys_mv` inside every insert into `<table>_runs`, holds each entry's id and
 *   `(org_id, idempotency_key)` sorted for point lookups: `append`'s existence check reads a few granules
 *   of this one table instead of a bloom filter per granule of the whole entries table (and a runs table
 *   read on the side, which cost the check a UNION and a second scan of its values).
 */

/** Suffix of the runs table's name (`entries` → `entries_runs`). */
export const RUNS_SUFFIX = '_runs';

/** Suffix of the lookup table's name (`entries` → `entries_keys`); its view adds `_mv`. */
export const KEYS_SUFFIX = '_keys';

/** Suffix of the view feeding the lookup table from the runs table (`entries` → `entries_runs_keys_mv`). */
export const RUNS_KEYS_VIEW_SUFFIX = `${RUNS_SUFFIX}${KEYS_SUFFIX}_mv`;

/** The filter, order and document columns of an entry row, in both tables. */
function rowColumns(occurredMs: boolean): string {
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
        doc             String CODEC(ZSTD(3))`;
}

/**
 * Column and data-skipping index definitions of the entries table. `occurredMs` includes the exact-time
 * column that migration 2 adds to tables created before it (new cluster tables get it at once).
 */
export function entryColumns({ occurredMs }: { occurredMs: boolean }): string {
  return `${rowColumns(occurredMs)},
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

/**
 * Columns of the runs table: an entry row and when it was written (for the TTL). No skipping index: the
 * table holds a few rows per running job.
 */
export function runColumns(): string {
  return `${rowColumns(true)},
        written_at      DateTime DEFAULT now()`;
}

/**
 * Sorting of the runs table: a run's versions sit together, so `FINAL` and `updateJob` read one range.
 * A finished run's last row (its final version, also in the entries table) ends it for `FINAL`; a day
 * later the TTL removes it, and the versions before it merge away with it.
 */
export const RUNS_ENGINE_CLAUSE = `ORDER BY (org_id, id)
      TTL written_at + INTERVAL 1 DAY DELETE WHERE status != 'IN_PROGRESS'`;

/** The entry columns both tables share, in the order `rowOf` writes them. */
export const ROW_COLUMNS = [
  'org_id',
  'occurred_at',
  'occurred_ms',
  'id',
  'version',
  'type',
  'status',
  'actor_id',
  'actor_name',
  'action',
  'entity_type',
  'entity_id',
  'correlation_id',
  'parent_id',
  'idempotency_key',
  'search',
  'doc',
] as const;

/** Columns of the lookup table: `k` is `i<id>` or `k<org_id>\0<idempotency_key>`. */
export const KEYS_COLUMNS = `k String,
        org_id String,
        id String,
        occurred_ms Int64`;

/** Small granules: a lookup reads one granule per key it finds (or brackets), so each costs little. */
export const KEYS_ENGINE_CLAUSE = `ORDER BY k
      SETTINGS index_granularity = 256`;

/**
 * The views' SELECT over an entries or runs table: one row per id, one more per idempotency key. A run's
 * rows (each version, and its final one in both tables) repeat its keys, which the lookup table's merges
 * fold into one row; its time never changes, so retention deletes all of them together.
 */
export function keysViewSelect(entries: string): string {
  return `SELECT arrayJoin(if(idempotency_key = '', [concat('i', id)],
           [concat('i', id), concat('k', org_id, char(0), idempotency_key)])) AS k,
         org_id, id, occurred_ms
    FROM ${entries}`;
}

/** Lookup value of an id in the lookup table. */
export const idKey = (id: string) => `i${id}`;

/** Lookup value of an org's idempotency key in the lookup table. */
export const idempotencyKey = (orgId: string, key: string) => `k${orgId}\u0000${key}`;
