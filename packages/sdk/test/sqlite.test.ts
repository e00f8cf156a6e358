import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore, MIGRATIONS, pageSql, type SqliteStore } from '../src/sqlite/index.js';
import { generateActivity, generateActivityBatches } from '../src/testing/fixtures.js';
import { runStoreContract } from '../src/testing/index.js';
import type { ActivityStore, StoreQuery } from '../src/types.js';

const dirs = new Map<ActivityStore, string>();

function tempFile(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'activity-sqlite-'));
  return { dir, path: join(dir, 'activity.db') };
}

runStoreContract(
  'sqlite',
  () => {
    const { dir, path } = tempFile();
    const store = createSqliteStore({ path });
    dirs.set(store, dir);
    return store;
  },
  {
    test: { describe, it, expect, beforeEach, afterEach },
    fastCheck: fc,
    cleanup: async (store) => {
      await store.close();
      rmSync(dirs.get(store) ?? '', { recursive: true, force: true });
      dirs.delete(store);
    },
  },
);

describe('createSqliteStore', () => {
  const opened: { dir: string; stores: SqliteStore[] }[] = [];
  const open = (path?: string) => {
    const file = path ? { dir: '', path } : tempFile();
    const store = createSqliteStore({ path: file.path });
    opened.push({ dir: file.dir, stores: [store] });
    return { store, path: file.path };
  };

  afterEach(async () => {
    for (const { dir, stores } of opened.splice(0)) {
      for (const s of stores) await s.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns on WAL with synchronous NORMAL', () => {
    const { store } = open();
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 1 = NORMAL
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('applies migrations once and keeps data across reopen', async () => {
    const { store, path } = open();
    const data = generateActivity({ count: 50, seed: 3, now: new Date('2026-03-15T12:00:00Z') });
    await store.append(data);
    await store.close();
    const again = open(path).store;
    const versions = again.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect((await again.facets({ orgId: 'org_demo' })).total).toBe(50);
    expect(await again.get('org_demo', data[7]?.id ?? '')).toEqual(data[7]);
    await again.close();
    const third = open(path).store;
    expect(third.db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
  });

  it('uses a connection passed in and leaves it open on close', async () => {
    const { dir, path } = tempFile();
    const db = new BetterSqlite3(path);
    const store = createSqliteStore({ database: db });
    await store.append(generateActivity({ count: 5, seed: 1, now: new Date('2026-03-15T12:00:00Z') }));
    await store.close();
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT count(*) FROM activity_entries').pluck().get()).toBe(5);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads through a read-only connection and refuses writes there', async () => {
    const { store, path } = open();
    await store.append(generateActivity({ count: 10, seed: 2, now: new Date('2026-03-15T12:00:00Z') }));
    const reader = createSqliteStore({ path, readonly: true });
    opened.push({ dir: '', stores: [reader] });
    expect((await reader.query({ orgId: 'org_demo', limit: 100 })).entries.length).toBe(10);
    await expect(reader.append(generateActivity({ count: 1, seed: 9 }))).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });

  it('fails loudly without a path or database', () => {
    expect(() => createSqliteStore({})).toThrow(expect.objectContaining({ code: 'CONFIG', field: 'path' }));
  });

  it('reports driver failures as STORE_FAILED after close', async () => {
    const { store } = open();
    await store.close();
    await expect(store.listOrgs()).rejects.toMatchObject({ code: 'STORE_FAILED' });
  });

  it('rolls back a whole batch holding an invalid date', async () => {
    const { store } = open();
    const [good, bad] = generateActivity({ count: 2, seed: 4, now: new Date('2026-03-15T12:00:00Z') });
    if (!good || !bad) throw new Error('fixture');
    await expect(store.append([good, { ...bad, occurredAt: 'yesterday' }])).rejects.toMatchObject({
      code: 'INVALID_EVENT',
      field: 'entries.1.occurredAt',
    });
    expect(await store.get(good.orgId, good.id)).toBeUndefined();
  });

  describe('query plans at scale', () => {
    let store: SqliteStore;
    const now = new Date('2026-03-15T12:00:00Z');
    const orgIds = Array.from({ length: 10 }, (_, i) => `org_${i.toString()}`);

    beforeAll(async () => {
      const file = tempFile();
      // Shared by the tests below and closed by the teardown returned here, not by afterEach.
      store = createSqliteStore({ path: file.path });
      for (const batch of generateActivityBatches({
        count: 30_000,
        orgIds,
        seed: 21,
        now,
        batchSize: 5000,
      })) {
        await store.append(batch);
      }
      await store.optimize();
      return async () => {
        await store.close();
        rmSync(file.dir, { recursive: true, force: true });
      };
    });

    const plan = (query: StoreQuery): string[] => {
      // The same SQL as query(): the first page, newest first.
      const { sql, params } = pageSql(query, 50);
      return (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
        (r) => r.detail,
      );
    };

    it.each<[string, Omit<StoreQuery, 'orgId'>]>([
      ['no filter', {}],
      ['type', { types: ['BACKGROUND_JOB'] }],
      ['status', { statuses: ['FAILED'] }],
      ['actor', { actorIds: ['usr_riley'] }],
      ['entity type', { entityTypes: ['contact'] }],
      ['entity id', { entityId: 'ct_1000' }],
      ['correlation id', { correlationId: 'corr_1' }],
      ['date range', { from: '2026-03-01T00:00:00.000Z', to: '2026-03-08T00:00:00.000Z' }],
      ['q', { q: 'alex' }],
      ['two types', { types: ['BACKGROUND_JOB', 'WEBHOOK'] }],
      [
        'all five axes',
        {
          types: ['USER_ACTION'],
          statuses: ['SUCCESS'],
          actorIds: ['usr_riley'],
          entityTypes: ['contact'],
          from: '2026-03-01T00:00:00.000Z',
          to: '2026-03-08T00:00:00.000Z',
        },
      ],
      ['keyset cursor', { after: { occurredAt: '2026-03-10T00:00:00.000Z', id: 'ffffffff' } }],
    ])('serves the first page filtered by %s from an index without sorting', async (_label, filter) => {
      const query: StoreQuery = { orgId: 'org_3', ...filter };
      const detail = plan(query).join('\n');
      expect(detail).toMatch(/USING (COVERING )?INDEX activity_org_/);
      expect(detail).not.toMatch(/TEMP B-TREE/);
      expect(detail).not.toMatch(/^SCAN activity_entries$/m);
      // And the store returns the same rows the plan was checked for.
      const page = await store.query({ ...query, limit: 50 });
      expect(page.entries.every((e) => e.orgId === 'org_3')).toBe(true);
    });

    it('pages deep with keyset as fast as the first page would suggest (no OFFSET)', async () => {
      let after: StoreQuery['after'];
      let seen = 0;
      for (let i = 0; i < 20; i++) {
        const page = await store.query({ orgId: 'org_5', limit: 100, after });
        seen += page.entries.length;
        if (!page.next) break;
        after = page.next;
      }
      expect(seen).toBe(Math.min(2000, (await store.facets({ orgId: 'org_5' })).total));
    });
  });
});
