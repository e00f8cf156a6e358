/**
 * The ClickHouse store's integrity side. ClickHouse has no transactions or row locks, so:
 * - one sealer per org holds a lease row (claim, let competing claims land, the earliest live claim wins);
 * - seal rows are written before their digest and carry the digest's hash, so a seal interrupted between
 *   the two inserts leaves rows the next sealer removes, and should two sealers ever both write sequence N
 *   (a lease lost to a pause longer than the lease), the one whose digest hash is larger deletes its own.
 * Tables are created on first use (`CREATE TABLE IF NOT EXISTS`) on the node the client talks to.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { ActivityError } from '../errors.js';
import { digestHash } from '../integrity/digest.js';
import { digestsFrom, firstMismatch, sealingRow, storedRow } from '../integrity/rows.js';
import type { Digest, IntegrityStore, SealRow, StoredRow } from '../integrity/types.js';
import { type ChIo, chIo } from './io.js';
import { filterColumns } from './rows.js';

/** What the store hands its integrity side. */
export interface ClickHouseIntegrityContext {
  client: ClickHouseClient;
  /** Quoted `db`.`table` of the entries. */
  table: string;
  /** Migrates (once) before the first call, like every store call. */
  ready(): Promise<void>;
  /**
   * On a cluster: where deletes go (the replicated local tables, `… ON CLUSTER …`). Inserts then run with
   * `insert_distributed_sync` so a claim reads its own lease row back.
   */
  cluster?: { digests: string; seals: string } | undefined;
  /** How long a sealer's lease lasts, in ms. @default 60000 */
  leaseMs?: number | undefined;
  /** How long a claim waits for competing claims to land before it counts. @default 100 */
  settleMs?: number | undefined;
}

const COLUMNS = `id, org_id, occurred_at, occurred_ms, type, status, actor_id, actor_name, action, entity_type,
  entity_id, correlation_id, parent_id, idempotency_key, search, doc`;

type Row = Record<string, unknown> & { id: string; org_id: string; doc: string };

const toStored = (r: Row): StoredRow =>
  storedRow(r.id, r.org_id, r.doc, (e) =>
    firstMismatch(filterColumns(e), r, (v) => (v === null ? '' : String(v))),
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ClickHouse integrity tables and the queries the sealer and verify share. */
export interface ChIntegrityIo {
  ctx: ClickHouseIntegrityContext;
  digests: string;
  seals: string;
  leases: string;
  /** Tables deletes name: the tables themselves, or on a cluster the local tables `ON CLUSTER`. */
  deleteFrom: { digests: string; seals: string };
  /** Creates the tables once (after the store's own migrations). */
  ensure(): Promise<void>;
  select: ChIo['select'];
  remove: ChIo['remove'];
  insert(target: string, values: Record<string, unknown>[]): Promise<unknown>;
  lastDigest(orgId: string): Promise<Digest | undefined>;
  unsealed(orgId: string, afterId: string, limit: number, lastSeq: number): Promise<Row[]>;
}

/** Table names, creation on first use, and the shared queries. */
function integrityIo(ctx: ClickHouseIntegrityContext): ChIntegrityIo {
  const { client, table } = ctx;
  const named = (suffix: string) => table.replace(/`$/, `_${suffix}\``);
  const digests = named('digests');
  const seals = named('seals');
  const leases = named('seal_leases');
  // Deletes (a withdrawn fork, a seal interrupted before its digest) name these; on a cluster, the local tables.
  const deleteFrom = ctx.cluster ?? { digests, seals };
  let created: Promise<void> | undefined;

  async function ensure(): Promise<void> {
    await ctx.ready();
    created ??= (async () => {
      await client.command({
        query: `CREATE TABLE IF NOT EXISTS ${digests} (org_id String, sequence UInt64, sealed_at String,
          digest_hash String, digest String) ENGINE = MergeTree ORDER BY (org_id, sequence)`,
      });
      await client.command({
        query: `CREATE TABLE IF NOT EXISTS ${seals} (org_id String, sequence UInt64, id String, leaf String,
          digest_hash String, INDEX idx_id id TYPE bloom_filter(0.01) GRANULARITY 4)
          ENGINE = MergeTree ORDER BY (org_id, sequence, id)`,
      });
      await client.command({
        query: `CREATE TABLE IF NOT EXISTS ${leases} (org_id String, holder String, at_ms Int64, until_ms Int64)
          ENGINE = MergeTree ORDER BY (org_id, at_ms, holder) TTL toDateTime(intDiv(at_ms, 1000)) + INTERVAL 1 DAY`,
      });
    })().catch((err: unknown) => {
      created = undefined;
      throw err;
    });
    await created;
  }

  // The store's reads and deletes, with these tables created before the first read.
  const { select, remove } = chIo(client, { distributed: ctx.cluster !== undefined, ready: ensure });
  const insert = (target: string, values: Record<string, unknown>[]) =>
    client.insert({
      table: target,
      values,
      format: 'JSONEachRow',
      ...(ctx.cluster ? { clickhouse_settings: { insert_distributed_sync: 1 } } : {}),
    });

  const lastDigest = async (orgId: string) =>
    digestsFrom(
      await select<{ sequence: string; digest: string }>(
        'digests',
        `SELECT sequence, digest FROM ${digests} WHERE org_id = {org:String} ORDER BY sequence DESC, digest_hash LIMIT 1`,
        { org: orgId },
      ),
    )[0];
  const unsealed = (orgId: string, afterId: string, limit: number, lastSeq: number) =>
    select<Row>(
      'rows',
      `SELECT ${COLUMNS} FROM ${table} FINAL
       WHERE org_id = {org:String} AND status != 'IN_PROGRESS' AND id > {after:String}
         AND id NOT IN (SELECT id FROM ${seals} WHERE org_id = {org:String} AND sequence <= {last:UInt64})
       ORDER BY id LIMIT {limit:UInt32}`,
      { org: orgId, after: afterId, limit, last: lastSeq },
    );

  return { ctx, digests, seals, leases, deleteFrom, ensure, select, remove, insert, lastDigest, unsealed };
}

/** `sealBatch` under the org's lease row (see the file's header). */
function sealBatchOf(io: ChIntegrityIo): IntegrityStore['sealBatch'] {
  const { ctx, digests, seals, leases, deleteFrom, select, remove, insert, lastDigest, unsealed } = io;
  const leaseMs = ctx.leaseMs ?? 60_000;
  const settleMs = ctx.settleMs ?? 100;
  /**
   * Claims the org's lease; true when this claim is the earliest live one. A holder's lease ends at its
   * smallest `until_ms`, so releasing is one more insert (until 0), never a mutation.
   */
  async function claim(orgId: string, holder: string): Promise<boolean> {
    const at = Date.now();
    await insert(leases, [{ org_id: orgId, holder, at_ms: at, until_ms: at + leaseMs }]);
    await sleep(settleMs);
    const [first] = await select<{ holder: string }>(
      'lease',
      `SELECT holder, min(at_ms) AS at, min(until_ms) AS until FROM ${leases} WHERE org_id = {org:String}
       GROUP BY holder HAVING until > {now:Int64} ORDER BY at, holder LIMIT 1`,
      { org: orgId, now: Date.now() },
    );
    return first?.holder === holder;
  }

  async function writeSeal(
    orgId: string,
    made: { digest: Digest; seals: SealRow[] },
  ): Promise<Digest | undefined> {
    const d = made.digest;
    const hash = digestHash(d);
    await insert(
      seals,
      made.seals.map((s) => ({
        org_id: orgId,
        sequence: s.sequence,
        id: s.id,
        leaf: s.leaf,
        digest_hash: hash,
      })),
    );
    await insert(digests, [
      {
        org_id: orgId,
        sequence: d.sequence,
        sealed_at: d.sealedAt,
        digest_hash: hash,
        digest: JSON.stringify(d),
      },
    ]);
    const rivals = await select<{ digest_hash: string }>(
      'digests',
      `SELECT digest_hash FROM ${digests} WHERE org_id = {org:String} AND sequence = {seq:UInt64} ORDER BY digest_hash`,
      { org: orgId, seq: d.sequence },
    );
    if ((rivals[0]?.digest_hash ?? hash) === hash) return d;
    // A fork: the smaller hash keeps sequence N, this one withdraws.
    const params = { org: orgId, seq: d.sequence, hash };
    const ofThisDigest = 'org_id = {org:String} AND sequence = {seq:UInt64} AND digest_hash = {hash:String}';
    await remove('withdrawn seal', deleteFrom.seals, ofThisDigest, params);
    await remove('withdrawn digest', deleteFrom.digests, ofThisDigest, params);
    return undefined;
  }

  return async (orgId, options, build) => {
    await io.ensure();
    const holder = randomUUID();
    try {
      // Another sealer holds the org: it seals these entries.
      if (!(await claim(orgId, holder))) return undefined;
      const previous = await lastDigest(orgId);
      const lastSeq = previous?.sequence ?? 0;
      // Rows of a seal interrupted before its digest was written (checked first: a DELETE is a mutation).
      const stale = await select<{ n: string }>(
        'seals',
        `SELECT count() AS n FROM ${seals} WHERE org_id = {org:String} AND sequence > {last:UInt64}`,
        { org: orgId, last: lastSeq },
      );
      if (Number(stale[0]?.n ?? 0) > 0) {
        await remove(
          'interrupted seal',
          deleteFrom.seals,
          'org_id = {org:String} AND sequence > {last:UInt64}',
          {
            org: orgId,
            last: lastSeq,
          },
        );
      }
      const rows = await unsealed(orgId, options.afterId ?? '', options.limit, lastSeq);
      const made = build(
        previous,
        rows.map((r) => sealingRow(r.id, r.org_id, r.doc)),
      );
      return made ? await writeSeal(orgId, made) : undefined;
    } catch (err) {
      throw err instanceof ActivityError
        ? err
        : new ActivityError('STORE_FAILED', `clickhouse store: seal failed: ${String(err)}`, {
            cause: err,
          });
    } finally {
      await insert(leases, [{ org_id: orgId, holder, at_ms: Date.now(), until_ms: 0 }]).catch(
        () => undefined,
      );
    }
  };
}

/** The integrity methods of a ClickHouse store (spread into the store object). */
export function clickhouseIntegrity(ctx: ClickHouseIntegrityContext): IntegrityStore {
  const io = integrityIo(ctx);
  const { digests, seals, select, lastDigest, unsealed } = io;
  const { table } = ctx;
  const sealRows = (rows: { id: string; sequence: string | number; leaf: string }[]): SealRow[] =>
    rows.map((r) => ({ id: r.id, sequence: Number(r.sequence), leaf: r.leaf }));

  return {
    sealBatch: sealBatchOf(io),
    async listDigests(orgId, range) {
      return digestsFrom(
        await select<{ sequence: string; digest: string }>(
          'digests',
          `SELECT sequence, digest FROM ${digests} WHERE org_id = {org:String}
             AND sequence BETWEEN {from:UInt64} AND {to:UInt64} ORDER BY sequence, digest_hash`,
          { org: orgId, from: range?.from ?? 0, to: range?.to ?? Number.MAX_SAFE_INTEGER },
        ),
      );
    },
    async sealsOf(orgId, sequence) {
      return sealRows(
        await select(
          'seals',
          `SELECT id, sequence, leaf FROM ${seals} WHERE org_id = {org:String} AND sequence = {seq:UInt64} ORDER BY id`,
          {
            org: orgId,
            seq: sequence,
          },
        ),
      );
    },
    async sealOf(orgId, id) {
      return sealRows(
        await select(
          'seals',
          `SELECT id, sequence, leaf FROM ${seals} WHERE org_id = {org:String} AND id = {id:String} ORDER BY sequence LIMIT 1`,
          {
            org: orgId,
            id,
          },
        ),
      )[0];
    },
    async orphanSeals(orgId, lastSequence) {
      return sealRows(
        await select(
          'seals',
          `SELECT id, sequence, leaf FROM ${seals} WHERE org_id = {org:String} AND sequence > {last:UInt64} ORDER BY sequence, id LIMIT 100`,
          { org: orgId, last: lastSequence },
        ),
      );
    },
    async rowsByIds(ids) {
      const out: StoredRow[] = [];
      for (let i = 0; i < ids.length; i += 1000) {
        const rows = await select<Row>(
          'rows',
          `SELECT ${COLUMNS} FROM ${table} FINAL WHERE id IN {ids:Array(String)}`,
          {
            ids: ids.slice(i, i + 1000),
          },
        );
        out.push(...rows.map(toStored));
      }
      return out;
    },
    async unsealedRows(orgId, options) {
      const last = (await lastDigest(orgId))?.sequence ?? 0;
      return (await unsealed(orgId, options.afterId ?? '', options.limit, last)).map(toStored);
    },
  };
}
