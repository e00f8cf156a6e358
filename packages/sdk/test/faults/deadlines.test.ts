import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { afterAll, describe, expect, it } from 'vitest';
import { createClickHouseStore } from '../../src/clickhouse.js';
import { createPostgresStore } from '../../src/postgres.js';
import { createSqliteStore } from '../../src/sqlite.js';
import type { ActivityEntry } from '../../src/types.js';
import { type FreezableProxy, startProxy } from './proxy.js';

const url = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgTarget = { host: new URL(url).hostname, port: Number(new URL(url).port || 5432) };
const admin = new pg.Pool({ connectionString: url, max: 3 });
const schemas: string[] = [];
const proxies: FreezableProxy[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const p of proxies) await p.close();
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function schemaName(): string {
  const name = `activity_fault2_${randomBytes(5).toString('hex')}`;
  schemas.push(name);
  return name;
}

/** A connection string that goes through `proxy`. */
function via(proxy: FreezableProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

async function proxy(target: Parameters<typeof startProxy>[0]): Promise<FreezableProxy> {
  const p = await startProxy(target);
  proxies.push(p);
  return p;
}

function entry(): ActivityEntry {
  const now = new Date().toISOString();
  return {
    id: uuidv7(),
    orgId: 'org_a',
    occurredAt: now,
    recordedAt: now,
    schemaVersion: 1,
    type: 'SYSTEM_EVENT',
    status: 'SUCCESS',
    actor: { kind: 'system', id: 'system' },
    action: 'deadline.probe',
  };
}

/**
 * How the call settles within `limitMs`: 'pending' when it has not by then (a hang). `ms` counts from
 * the call itself, so time spent synchronously inside it (SQLite waiting on a lock) is included.
 */
async function settleWithin(call: () => Promise<unknown>, limitMs: number) {
  const started = performance.now();
  const promise = call();
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ state: 'resolved' as const, value }),
      (error: unknown) => ({ state: 'rejected' as const, error }),
    ),
    new Promise<{ state: 'pending' }>((resolve) => setTimeout(() => resolve({ state: 'pending' }), limitMs)),
  ]);
  return { ...outcome, ms: performance.now() - started };
}

describe('fault 2 — every store call has a deadline (PostgreSQL)', () => {
  it('fault 2: a server that accepts the connection and never answers fails the call by the connect deadline', async () => {
    const silent = await proxy(undefined);
    const store = createPostgresStore({
      connectionString: via(silent),
      schema: schemaName(),
      connectTimeoutMs: 500,
    });
    const outcome = await settleWithin(() => store.append([entry()]), 5_000);
    expect(outcome.state).toBe('rejected');
    expect(outcome).toMatchObject({ error: { code: 'STORE_FAILED' } });
    expect(outcome.ms).toBeLessThan(2_000);
    expect(silent.accepted()).toBeGreaterThan(0);
    expect((await settleWithin(() => store.close(), 3_000)).state).toBe('resolved');
  });

  it('fault 2: a server that freezes after connecting fails the call by the query deadline, then recovers', async () => {
    const frozen = await proxy(pgTarget);
    const store = createPostgresStore({
      connectionString: via(frozen),
      schema: schemaName(),
      connectTimeoutMs: 700,
      queryTimeoutMs: 700,
    });
    expect(await store.append([entry()])).toEqual({ inserted: 1, duplicates: 0 });
    frozen.freeze();
    const outcome = await settleWithin(() => store.append([entry()]), 5_000);
    expect(outcome).toMatchObject({ state: 'rejected', error: { code: 'STORE_FAILED' } });
    expect(outcome.ms).toBeLessThan(2_500);
    const job = await settleWithin(() => store.updateJob('org_a', uuidv7(), { status: 'SUCCESS' }), 5_000);
    expect(job.state).toBe('rejected');
    frozen.thaw();
    // The connection that timed out was discarded; a fresh one answers.
    expect(await store.append([entry()])).toEqual({ inserted: 1, duplicates: 0 });
    expect((await settleWithin(() => store.close(), 3_000)).state).toBe('resolved');
  });

  it('fault 2: a statement stuck on a lock is cancelled by the server at statementTimeoutMs', async () => {
    const schema = schemaName();
    const store = createPostgresStore({ connectionString: url, schema, statementTimeoutMs: 300 });
    await store.migrate();
    const locker = await admin.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}".entries IN ACCESS EXCLUSIVE MODE`);
      const outcome = await settleWithin(() => store.append([entry()]), 5_000);
      expect(outcome).toMatchObject({ state: 'rejected', error: { code: 'STORE_FAILED' } });
      expect(String((outcome as { error: Error }).error.message)).toMatch(/statement timeout/);
      expect(outcome.ms).toBeLessThan(2_000);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    expect(await store.append([entry()])).toEqual({ inserted: 1, duplicates: 0 });
    await store.close();
  });

  it('fault 2: refuses a negative or fractional deadline at construction', () => {
    expect(() => createPostgresStore({ connectionString: url, queryTimeoutMs: -1 })).toThrow(
      /queryTimeoutMs/,
    );
    expect(() => createPostgresStore({ connectionString: url, statementTimeoutMs: 1.5 })).toThrow(
      /statementTimeoutMs/,
    );
  });
});

describe('fault 2 — every store call has a deadline (ClickHouse, SQLite)', () => {
  it('fault 2: a ClickHouse server that never answers fails the call by requestTimeoutMs', async () => {
    const silent = await proxy(undefined);
    const store = createClickHouseStore({ url: `http://127.0.0.1:${silent.port}`, requestTimeoutMs: 500 });
    const outcome = await settleWithin(() => store.append([entry()]), 5_000);
    expect(outcome).toMatchObject({ state: 'rejected', error: { code: 'STORE_FAILED' } });
    expect(outcome.ms).toBeLessThan(2_500);
    expect((await settleWithin(() => store.close(), 3_000)).state).toBe('resolved');
  });

  it('fault 2: a SQLite write waits at most busyTimeoutMs for another connection’s lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'activity-fault2-'));
    dirs.push(dir);
    const path = join(dir, 'a.db');
    const store = createSqliteStore({ path, busyTimeoutMs: 300 });
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(300);
    const other = new BetterSqlite3(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const outcome = await settleWithin(() => store.append([entry()]), 5_000);
      expect(outcome).toMatchObject({ state: 'rejected', error: { code: 'STORE_FAILED' } });
      expect(String((outcome as { error: Error }).error.message)).toMatch(/locked|busy/i);
      expect(outcome.ms).toBeGreaterThanOrEqual(250);
      expect(outcome.ms).toBeLessThan(2_000);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await store.append([entry()])).toEqual({ inserted: 1, duplicates: 0 });
    await store.close();
    // The default, also on a connection the host opened and passed in.
    const host = new BetterSqlite3(join(dir, 'b.db'), { timeout: 0 });
    const hosted = createSqliteStore({ database: host });
    expect(hosted.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    await hosted.close();
    host.close();
  });
});
