/**
 * The PostgreSQL store's lifecycle and partition upkeep: migrating once before the first call, creating
 * the months around now at most hourly, releasing the keys of detached months in the background (one
 * release at a time), dropping whole months for retention, and closing only once that work has settled.
 */
import { toMs } from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import { runMigrations } from './migrate.js';
import { dropMonths, type PartitionDrop, releaseMonths } from './partitionDrop.js';
import { createMonths, lockPartitions, monthsAround, monthsBetween } from './partitions.js';
import type { GuardedPool } from './pool.js';

const HOUR_MS = 3_600_000;

/** What the lifecycle needs from the store. */
export interface PostgresLifecycleOptions {
  guard: GuardedPool;
  /** Double-quoted schema identifier. */
  schema: string;
  /** The schema's plain name (the advisory locks hash it). */
  schemaName: string;
  /** The store's options, read at each call: `migrate: false` leaves migrations to a deploy step. */
  options: { migrate?: boolean | undefined };
}

/** The store calls the lifecycle answers, plus the `ready` gate every other call awaits. */
export interface PostgresLifecycle {
  migrate(): Promise<void>;
  ready(): Promise<void>;
  maintainPartitions(range?: { from: string; to: string }): Promise<void>;
  dropPartitionsBefore(before: string, dropOptions: { orgs: string[] }): Promise<PartitionDrop>;
  close(): Promise<void>;
}

/** The lifecycle of one store: its migration, upkeep and release state live in this closure. */
export function postgresLifecycle({
  guard,
  schema,
  schemaName,
  options,
}: PostgresLifecycleOptions): PostgresLifecycle {
  let migrated: Promise<void> | undefined;
  let closed = false;

  function migrate(): Promise<void> {
    if (!migrated) {
      migrated = runMigrations(guard, schema, schemaName);
      // A failed attempt (database briefly down) may be retried by the next call.
      migrated.catch(() => {
        migrated = undefined;
      });
    }
    return migrated;
  }

  let maintainedAt = Number.NEGATIVE_INFINITY;
  let maintaining: Promise<void> | undefined;

  async function ready(): Promise<void> {
    if (closed) throw new ActivityError('STORE_FAILED', 'postgres store: closed');
    if (options.migrate !== false) await migrate();
    // Months ahead are created at most once an hour; entries of a month without a partition land in the
    // DEFAULT partition meanwhile, so a failure here (no DDL right) never fails a write.
    if (Date.now() - maintainedAt > HOUR_MS) {
      maintainedAt = Date.now();
      maintaining = createPartitions().catch(() => {});
      // Keys of months a crashed process detached: released in the background, never delaying a write.
      release().catch(() => {});
    }
    await maintaining;
  }

  async function createPartitions(range?: { from: string; to: string }): Promise<void> {
    const months = range
      ? monthsBetween(toMs(range.from, 'from'), toMs(range.to, 'to'))
      : monthsAround(Date.now());
    await guard.withClient(async (client) => {
      await client.query('BEGIN');
      await lockPartitions(client, schemaName);
      await createMonths(client, schema, months);
      await client.query('COMMIT');
    });
  }

  let releasing: Promise<unknown> = Promise.resolve();
  /** Releases the keys of detached months after any release under way; `close()` waits for it. */
  function release(): Promise<number> {
    const next = releasing.then(() => releaseMonths(guard, schema, schemaName));
    releasing = next.catch(() => {});
    return next;
  }

  return {
    migrate,
    ready,

    async maintainPartitions(range) {
      await ready();
      await createPartitions(range);
      await release();
    },

    async dropPartitionsBefore(before, dropOptions) {
      await ready();
      const dropped = await dropMonths(guard, schema, schemaName, toMs(before, 'before'), dropOptions.orgs);
      // The ids and keys are already free (appends release them on contact); the rows go in the background.
      if (dropped.partitions.length > 0) release().catch(() => {});
      return dropped;
    },

    async close() {
      if (closed) return;
      closed = true;
      // Let an in-flight migration settle before the pool goes away.
      await migrated?.catch(() => {});
      await releasing;
      if (guard.owned) await guard.pool.end();
    },
  };
}
