/**
 * The PostgreSQL store's integrity side: digests and seal rows in their own tables (migration 3), one
 * sealer per org at a time through a transaction-scoped advisory lock, so several app servers sealing
 * at once make one chain. Entries' rows are never written.
 */
import type pg from 'pg';
import { toMs } from '../core/storeQuery.js';
import { ActivityError } from '../errors.js';
import { canonicalJson } from '../integrity/canonical.js';
import { digestsFrom, firstMismatch, sealingRow, storedRow } from '../integrity/rows.js';
import type { IntegrityStore, SealRow, StoredRow } from '../integrity/types.js';
import type { ActivityEntry } from '../types.js';
import { LOCK_NAMESPACE } from './migrations.js';
import type { GuardedPool } from './pool.js';
import { safeJson, safeOptional, safeText, searchText } from './rows.js';

/** What the store hands its integrity side. */
export interface PostgresIntegrityContext {
  guard: GuardedPool;
  /** Double-quoted schema identifier. */
  schema: string;
  /** Migrates (once) before the first call, like every store call. */
  ready(): Promise<void>;
}

const COLUMNS = `id, org_id, occurred_at, type, status, actor_id, actor_name, action, entity_type, entity_id,
  correlation_id, parent_id, retry_of, idempotency_key, search, metadata, doc`;

type Row = Record<string, unknown> & { id: string; org_id: string; doc: string };

/** The columns `rowOf` (store.ts) writes for an entry, as they read back. */
function expectedColumns(e: ActivityEntry): Record<string, unknown> {
  return {
    id: e.id,
    org_id: e.orgId,
    occurred_at: toMs(e.occurredAt, 'occurredAt'),
    type: e.type,
    status: e.status,
    actor_id: safeText(e.actor.id),
    actor_name: safeOptional(e.actor.name),
    action: safeText(e.action),
    entity_type: safeOptional(e.entity?.type),
    entity_id: safeOptional(e.entity?.id),
    correlation_id: safeOptional(e.correlationId),
    parent_id: safeOptional(e.parentId),
    retry_of: safeOptional(e.retryOf),
    idempotency_key: e.idempotencyKey === undefined ? null : safeText(e.idempotencyKey),
    search: searchText(e),
    metadata: e.metadata === undefined ? null : canonicalJson(safeJson(e.metadata)),
  };
}

function actualColumns(r: Row): Record<string, unknown> {
  return {
    ...r,
    occurred_at: r.occurred_at instanceof Date ? r.occurred_at.getTime() : r.occurred_at,
    metadata: r.metadata === null || r.metadata === undefined ? null : canonicalJson(r.metadata),
  };
}

const toStored = (r: Row): StoredRow =>
  storedRow(r.id, r.org_id, r.doc, (e) => firstMismatch(expectedColumns(e), actualColumns(r)));

function failed(what: string, cause: unknown): ActivityError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new ActivityError('STORE_FAILED', `postgres store: ${what} failed${detail}`, { cause });
}

/** The integrity methods of a PostgreSQL store (spread into the store object). */
export function postgresIntegrity(ctx: PostgresIntegrityContext): IntegrityStore {
  const { guard, schema } = ctx;
  const entries = `${schema}.entries`;
  const unsealedSql = `SELECT ${COLUMNS} FROM ${entries} e
    WHERE e.org_id = $1 AND e.status <> 'IN_PROGRESS' AND e.id > $2
      AND NOT EXISTS (SELECT 1 FROM ${schema}.seals s WHERE s.org_id = e.org_id AND s.id = e.id)
    ORDER BY e.id LIMIT $3`;

  async function query<R extends pg.QueryResultRow>(
    what: string,
    sql: string,
    params: unknown[],
  ): Promise<R[]> {
    await ctx.ready();
    try {
      return (await guard.pool.query<R>(sql, params)).rows;
    } catch (err) {
      throw failed(what, err);
    }
  }

  return {
    async sealBatch(orgId, options, build) {
      await ctx.ready();
      try {
        return await guard.withClient(async (client) => {
          await client.query('BEGIN');
          // Held until COMMIT: a second sealer of this org waits here, then sees the first one's digest.
          await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
            LOCK_NAMESPACE,
            `seal:${schema}:${orgId}`,
          ]);
          const last = await client.query<{ sequence: string; digest: string }>(
            `SELECT sequence, digest FROM ${schema}.digests WHERE org_id = $1 ORDER BY sequence DESC LIMIT 1`,
            [orgId],
          );
          const previous = last.rows[0] ? digestsFrom(last.rows)[0] : undefined;
          const rows = await client.query<Row>(unsealedSql, [orgId, options.afterId ?? '', options.limit]);
          const made = build(
            previous,
            rows.rows.map((r) => sealingRow(r.id, r.org_id, r.doc)),
          );
          if (!made) {
            await client.query('ROLLBACK');
            return undefined;
          }
          const d = made.digest;
          await client.query(
            `INSERT INTO ${schema}.digests (org_id, sequence, sealed_at, digest) VALUES ($1, $2, $3, $4)`,
            [orgId, d.sequence, d.sealedAt, JSON.stringify(d)],
          );
          await client.query(
            `INSERT INTO ${schema}.seals (org_id, id, sequence, leaf)
             SELECT $1, id, $2, leaf FROM unnest($3::text[], $4::text[]) AS t(id, leaf)`,
            [orgId, d.sequence, made.seals.map((s) => s.id), made.seals.map((s) => s.leaf)],
          );
          await client.query('COMMIT');
          return d;
        });
      } catch (err) {
        throw failed('seal', err);
      }
    },
    async listDigests(orgId, range) {
      return digestsFrom(
        await query<{ sequence: string; digest: string }>(
          'digests',
          `SELECT sequence, digest FROM ${schema}.digests WHERE org_id = $1 AND sequence BETWEEN $2 AND $3 ORDER BY sequence`,
          [orgId, range?.from ?? 0, range?.to ?? Number.MAX_SAFE_INTEGER],
        ),
      );
    },
    async sealsOf(orgId, sequence) {
      const rows = await query<{ id: string; sequence: string; leaf: string }>(
        'seals',
        `SELECT id, sequence, leaf FROM ${schema}.seals WHERE org_id = $1 AND sequence = $2 ORDER BY id`,
        [orgId, sequence],
      );
      return rows.map((r) => ({ id: r.id, sequence: Number(r.sequence), leaf: r.leaf }));
    },
    async sealOf(orgId, id) {
      if (id.includes('\u0000')) return undefined;
      const [r] = await query<{ id: string; sequence: string; leaf: string }>(
        'seal',
        `SELECT id, sequence, leaf FROM ${schema}.seals WHERE org_id = $1 AND id = $2`,
        [orgId, id],
      );
      return r ? ({ id: r.id, sequence: Number(r.sequence), leaf: r.leaf } satisfies SealRow) : undefined;
    },
    async orphanSeals(orgId, lastSequence) {
      const rows = await query<{ id: string; sequence: string; leaf: string }>(
        'seals',
        `SELECT id, sequence, leaf FROM ${schema}.seals WHERE org_id = $1 AND sequence > $2 ORDER BY sequence, id LIMIT 100`,
        [orgId, lastSequence],
      );
      return rows.map((r) => ({ id: r.id, sequence: Number(r.sequence), leaf: r.leaf }));
    },
    async rowsByIds(ids) {
      const clean = ids.filter((id) => !id.includes('\u0000'));
      if (clean.length === 0) return [];
      return (
        await query<Row>('rows', `SELECT ${COLUMNS} FROM ${entries} WHERE id = ANY($1::text[])`, [clean])
      ).map(toStored);
    },
    async unsealedRows(orgId, options) {
      return (await query<Row>('rows', unsealedSql, [orgId, options.afterId ?? '', options.limit])).map(
        toStored,
      );
    },
  };
}
