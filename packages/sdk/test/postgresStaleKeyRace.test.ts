/**
 * Regression (CI, stop 17): an append refused by the stale key of a dropped month, whose key row the
 * background release deletes between the refused claim and the append's own release, was reported as a
 * duplicate and not stored. Both append paths (unnest and COPY) are driven through that exact window:
 * the key rows are deleted on another connection just before the append frees stale keys itself.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { afterAll, describe, expect, it } from 'vitest';
import { copyAppend } from '../src/postgres/copyAppend.js';
import { rowOf, unnestAppend } from '../src/postgres/ingest.js';
import { createPostgresStore } from '../src/postgres.js';
import type { ActivityEntry } from '../src/types.js';

const url = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: url, max: 3 });
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

async function migrated(): Promise<string> {
  const name = `activity_race_${randomBytes(5).toString('hex')}`;
  schemas.push(name);
  const store = createPostgresStore({ connectionString: url, schema: name });
  await store.migrate();
  await store.maintainPartitions({ from: '2024-01-01T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z' });
  await store.close();
  return name;
}

const entry = (i: number, key?: string): ActivityEntry => {
  const at = new Date(Date.UTC(2024, 0, 1 + (i % 28), i % 24)).toISOString();
  return {
    id: uuidv7(),
    orgId: i % 2 === 0 ? 'org_a' : 'org_b',
    occurredAt: at,
    recordedAt: at,
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_1' },
    action: 'contact.updated',
    ...(key === undefined ? {} : { idempotencyKey: key }),
  };
};

/** True for the append's own release of stale keys (ingest.ts releaseStaleKeys). */
const isRelease = (sql: unknown) =>
  typeof sql === 'string' && /^\s*WITH input AS[\s\S]*DELETE FROM [^\n]*entry_keys/.test(sql);

/**
 * `client`, except that just before the append's release of stale keys, `meanwhile` runs and commits on
 * another connection: the background release of a dropped month, at the worst moment.
 */
function racing<C extends pg.ClientBase>(client: C, meanwhile: () => Promise<unknown>): C {
  let raced = false;
  return new Proxy(client, {
    get(target, prop) {
      if (prop !== 'query') {
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      }
      const query = (target.query as (...a: unknown[]) => unknown).bind(target);
      // Anything else (COPY's stream among them) goes through untouched and synchronously.
      return (...args: unknown[]) => {
        if (raced || !isRelease(args[0])) return query(...args);
        raced = true;
        return meanwhile().then(() => query(...args));
      };
    },
  });
}

/** Deletes from `entries` only (as a detached month leaves it): their entry_keys rows become stale. */
async function dropEntriesKeepKeys(schema: string, ids: string[]) {
  await admin.query(`DELETE FROM "${schema}".entries WHERE id = ANY($1::text[])`, [ids]);
}
async function releaseKeys(schema: string, ids: string[]) {
  await admin.query(`DELETE FROM "${schema}".entry_keys WHERE id = ANY($1::text[])`, [ids]);
}
const storedIds = async (schema: string) =>
  new Set((await admin.query<{ id: string }>(`SELECT id FROM "${schema}".entries`)).rows.map((r) => r.id));

type Path = 'unnest' | 'copy';
async function append(path: Path, client: pg.ClientBase, schema: string, entries: ActivityEntry[]) {
  return path === 'unnest'
    ? unnestAppend(client, `"${schema}"`, entries.map(rowOf))
    : copyAppend(client, `"${schema}"`, entries);
}

describe.each<Path>(['unnest', 'copy'])('append by %s, while a dropped month is released', (path) => {
  it('stores an entry whose stale key the background release freed just before the append did', async () => {
    const schema = await migrated();
    const gone = entry(1, 'k_gone');
    const client = await admin.connect();
    try {
      expect(await append(path, client, schema, [gone])).toBe(1);
      await dropEntriesKeepKeys(schema, [gone.id]);
      const raced = racing(client, () => releaseKeys(schema, [gone.id]));
      expect(await append(path, raced, schema, [gone])).toBe(1);
    } finally {
      client.release();
    }
    expect((await storedIds(schema)).has(gone.id)).toBe(true);
  });

  it('stores exactly the fresh and the freed rows of any mix, refusing keys entries still hold', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('fresh', 'held', 'stale', 'raced'), { minLength: 1, maxLength: 12 }),
        async (kinds) => {
          const schema = await migrated();
          const batch = kinds.map((k, i) => ({ kind: k, e: entry(i, `k_${i}`) }));
          const before = batch.filter((b) => b.kind !== 'fresh').map((b) => b.e);
          const client = await admin.connect();
          try {
            if (before.length > 0) await append(path, client, schema, before);
            const gone = batch.filter((b) => b.kind === 'stale' || b.kind === 'raced').map((b) => b.e.id);
            await dropEntriesKeepKeys(schema, gone);
            const raced = batch.filter((b) => b.kind === 'raced').map((b) => b.e.id);
            const db = racing(client, () => releaseKeys(schema, raced));
            const inserted = await append(
              path,
              db,
              schema,
              batch.map((b) => b.e),
            );
            expect(inserted).toBe(batch.filter((b) => b.kind !== 'held').length);
          } finally {
            client.release();
          }
          const ids = await storedIds(schema);
          for (const b of batch) expect(ids.has(b.e.id), `${b.kind} ${b.e.id}`).toBe(true);
          expect(ids.size).toBe(batch.length);
          await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
        },
      ),
      { numRuns: 12 },
    );
  });
});
