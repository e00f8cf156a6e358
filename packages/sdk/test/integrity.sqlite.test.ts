import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSealer } from '../src/integrity.js';
import { searchText } from '../src/sqlite/sql.js';
import { createSqliteStore, type SqliteStore } from '../src/sqlite.js';
import { generateActivity } from '../src/testing/index.js';
import type { ActivityEntry } from '../src/types.js';
import {
  cleanSuite,
  LONG,
  sealScenario,
  T0,
  type Tamper,
  tamperSuite,
  VERIFY_AT,
  verifyA,
} from './integrityHarness.js';

const dir = mkdtempSync(join(tmpdir(), 'activity-integrity-'));
let n = 0;
const stores: SqliteStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(leafHashes = false): SqliteStore {
  const store = createSqliteStore({ path: join(dir, `t${(n++).toString()}.db`), leafHashes });
  stores.push(store);
  return store;
}

const TEXT_COLUMNS = [
  'type',
  'status',
  'actor_id',
  'actor_name',
  'entity_type',
  'entity_id',
  'correlation_id',
  'idempotency_key',
  'search',
];

function tamperOf(store: SqliteStore): Tamper {
  const { db } = store;
  const set = (expr: string) => async (id: string) => {
    expect(db.prepare(`UPDATE activity_entries SET ${expr} WHERE id = ?`).run(id).changes).toBe(1);
  };
  return {
    columns: {
      ...Object.fromEntries(TEXT_COLUMNS.map((c) => [c, set(`${c} = COALESCE(${c}, '') || '~'`)])),
      id: set("id = id || '~'"),
      org_id: set("org_id = 'org_b'"),
      occurred_at: set('occurred_at = occurred_at + 1'),
      data: set(`data = json_set(data, '$.summary', 'edited by an admin')`),
      leaf: set('leaf = randomblob(32)'),
    },
    async deleteEntry(id) {
      expect(db.prepare('DELETE FROM activity_entries WHERE id = ?').run(id).changes).toBe(1);
    },
    async insertRow(e: ActivityEntry) {
      db.prepare(
        `INSERT INTO activity_entries (id, org_id, occurred_at, type, status, actor_id, actor_name, entity_type,
           entity_id, correlation_id, idempotency_key, search, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        e.id,
        e.orgId,
        Date.parse(e.occurredAt),
        e.type,
        e.status,
        e.actor.id,
        e.actor.name ?? null,
        e.entity?.type ?? null,
        e.entity?.id ?? null,
        e.correlationId ?? null,
        null,
        searchText(e),
        JSON.stringify({ ...e, idempotencyKey: undefined }),
      );
    },
    async swapData(a, b) {
      db.prepare(
        `UPDATE activity_entries SET data = CASE id WHEN @a THEN (SELECT data FROM activity_entries WHERE id = @b)
           ELSE (SELECT data FROM activity_entries WHERE id = @a) END WHERE id IN (@a, @b)`,
      ).run({ a, b });
    },
    async putDigest(d) {
      db.prepare(
        'INSERT OR REPLACE INTO activity_digests (org_id, sequence, sealed_at, digest) VALUES (?, ?, ?, ?)',
      ).run(d.orgId, d.sequence, d.sealedAt, JSON.stringify(d));
    },
    async dropDigests(orgId, from, seals) {
      db.prepare('DELETE FROM activity_digests WHERE org_id = ? AND sequence >= ?').run(orgId, from);
      if (seals) db.prepare('DELETE FROM activity_seals WHERE org_id = ? AND sequence >= ?').run(orgId, from);
    },
    async addSeal(orgId, id, sequence, leaf) {
      db.prepare('INSERT INTO activity_seals (org_id, id, sequence, leaf) VALUES (?, ?, ?, ?)').run(
        orgId,
        id,
        sequence,
        leaf,
      );
    },
  };
}

describe('integrity on SQLite: tamper evidence through direct SQL', () => {
  // `seq` is SQLite's rowid: insertion order, which nothing reads; every other column is covered.
  tamperSuite(async () => {
    const store = open();
    return { store, tamper: tamperOf(store) };
  }, ['id', 'org_id', 'occurred_at', ...TEXT_COLUMNS, 'data']);
});

describe('integrity on SQLite with leafHashes: tamper evidence through direct SQL', () => {
  // The kept leaf is one more column: changing it, or the data under it, is found.
  tamperSuite(async () => {
    const store = open(true);
    return { store, tamper: tamperOf(store) };
  }, ['id', 'org_id', 'occurred_at', ...TEXT_COLUMNS, 'data', 'leaf']);

  it('seals the leaf kept at write time, so data changed before the seal is found after it', async () => {
    const store = open(true);
    // The sealing index exists only where leafHashes is on: other stores pay nothing for it.
    const index = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'activity_seal_leaves'";
    expect(store.db.prepare(index).get()).toBeDefined();
    expect(open().db.prepare(index).get()).toBeUndefined();
    const s = await sealScenario(store, 7);
    const [row] = (await store.unsealedRows('org_a', { limit: 1 })).concat(await store.rowsByIds([s.runId]));
    expect(row?.leaf).toHaveLength(32);
    // An entry written, edited before any seal, then sealed: the seal took the leaf of what was written.
    const [entry] = generateActivity({ count: 1, orgIds: ['org_a'], seed: 99, now: T0 });
    const e = { ...(entry as ActivityEntry), status: 'SUCCESS' as const };
    await store.append([e]);
    store.db
      .prepare(`UPDATE activity_entries SET data = json_set(data, '$.summary', 'edited') WHERE id = ?`)
      .run(e.id);
    await createSealer({ store, signingKey: s.privateKeyPem, now: () => VERIFY_AT }).sealNow('org_a');
    expect((await verifyA(s)).firstBreak).toMatchObject({ kind: 'modified', entryId: e.id });
  });
});

describe('integrity on SQLite: no false alarms', () => {
  cleanSuite(async () => open(), LONG ? 40 : 10);
  cleanSuite(async () => open(true), LONG ? 40 : 10);

  it('seals entries written with and without leafHashes into one chain that verifies', async () => {
    const path = join(dir, 'mixed.db');
    const without = createSqliteStore({ path });
    const s = await sealScenario(without, 9);
    await without.close();
    const withLeaves = createSqliteStore({ path, leafHashes: true });
    stores.push(withLeaves);
    // Recorded after the last seal, so none lands inside a sealed range late.
    const more = generateActivity({
      count: 30,
      orgIds: ['org_a'],
      seed: 12,
      now: VERIFY_AT,
      spanDays: 0.005,
    }).map((e) => ({
      ...e,
      status: e.status === 'IN_PROGRESS' ? ('SUCCESS' as const) : e.status,
    }));
    await withLeaves.append(more);
    const report = await createSealer({
      store: withLeaves,
      signingKey: s.privateKeyPem,
      now: () => VERIFY_AT,
    }).sealNow('org_a');
    expect(report.entries).toBe(30);
    const r = await verifyA({ ...s, store: withLeaves });
    expect(r, JSON.stringify(r.firstBreak)).toMatchObject({ ok: true });
  });

  it('keeps digests and seals across reopening the file, and seals only what is new', async () => {
    const path = join(dir, 'reopen.db');
    const first = createSqliteStore({ path });
    const s = await sealScenario(first, 5);
    const before = await first.listDigests('org_a');
    await first.close();
    const again = createSqliteStore({ path });
    stores.push(again);
    expect(await again.listDigests('org_a')).toEqual(before);
    const sealer = createSealer({ store: again, signingKey: s.privateKeyPem });
    expect((await sealer.sealNow()).digests).toEqual([]);
    expect(await verifyA({ ...s, store: again })).toMatchObject({ ok: true });
  });
});
