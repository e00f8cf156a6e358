import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { validateEntry } from '../src/core/validate.js';
import { entryLeaf } from '../src/integrity/digest.js';
import { storedCanonicalJson, storedLeaf } from '../src/integrity/leaf.js';
import { canonicalJson, createSealer, generateSigningKey, verifyIntegrity } from '../src/integrity.js';
import { createSqliteStore, type SqliteStore } from '../src/sqlite.js';
import { generateActivity } from '../src/testing/index.js';
import type { ActivityEntry } from '../src/types.js';
import { LONG, T0 } from './integrityHarness.js';

const dir = mkdtempSync(join(tmpdir(), 'activity-integrity-prop-'));
let n = 0;
const open: SqliteStore[] = [];
afterAll(async () => {
  for (const s of open) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Random entries, cleaned by the recorder's validation like real ones. */
const entryArb = (i: number) =>
  fc
    .record({
      summary: fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: undefined }),
      metadata: fc.option(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        {
          nil: undefined,
        },
      ),
      type: fc.constantFrom('USER_ACTION', 'WEBHOOK', 'SYSTEM_EVENT'),
      status: fc.constantFrom('SUCCESS', 'WARNING', 'FAILED'),
      actorName: fc.string({ maxLength: 12 }),
      minutes: fc.integer({ min: 1, max: 600 }),
    })
    .map((r): ActivityEntry => {
      const at = new Date(T0.getTime() - r.minutes * 60_000 - i).toISOString();
      return validateEntry({
        id: `e_${String(r.minutes).padStart(4, '0')}_${String(i).padStart(3, '0')}`,
        orgId: 'org_p',
        occurredAt: at,
        recordedAt: at,
        schemaVersion: 1,
        type: r.type,
        status: r.status,
        actor: { kind: 'user', id: 'usr_p', name: r.actorName || undefined },
        action: 'thing.changed',
        summary: r.summary,
        metadata: r.metadata,
      }).entry;
    });

const dataArb = fc
  .integer({ min: 6, max: 30 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => entryArb(i))));

type Mutation =
  | { kind: 'field'; at: number; field: 'summary' | 'status' | 'metadata' | 'occurredAt'; value: unknown }
  | { kind: 'column'; at: number; column: 'status' | 'actor_name' | 'occurred_at' | 'search' }
  | { kind: 'delete'; at: number }
  | { kind: 'swap'; at: number; other: number }
  | { kind: 'forge'; at: number }
  | { kind: 'seal-leaf'; at: number }
  | { kind: 'digest'; field: 'root' | 'entryCount' | 'sealedAt' }
  | { kind: 'truncate' };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('field' as const),
    at: fc.nat(),
    field: fc.constantFrom('summary' as const, 'status' as const, 'metadata' as const, 'occurredAt' as const),
    value: fc.jsonValue({ maxDepth: 1 }),
  }),
  fc.record({
    kind: fc.constant('column' as const),
    at: fc.nat(),
    column: fc.constantFrom(
      'status' as const,
      'actor_name' as const,
      'occurred_at' as const,
      'search' as const,
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('forge' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('seal-leaf' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('digest' as const),
    field: fc.constantFrom('root' as const, 'entryCount' as const, 'sealedAt' as const),
  }),
  fc.record({ kind: fc.constant('truncate' as const) }),
);

/** Applies one mutation with direct SQL; false when it would change nothing (then the run is skipped). */
function mutate(store: SqliteStore, ids: string[], m: Mutation): boolean {
  const { db } = store;
  const pick = (i: number) => ids[i % ids.length] as string;
  const data = (id: string) =>
    JSON.parse(db.prepare('SELECT data FROM activity_entries WHERE id = ?').pluck().get(id) as string);
  switch (m.kind) {
    case 'field': {
      const id = pick(m.at);
      const before = data(id);
      const after = { ...before, [m.field]: m.value };
      if (canonicalJson(after) === canonicalJson(before)) return false;
      db.prepare('UPDATE activity_entries SET data = ? WHERE id = ?').run(JSON.stringify(after), id);
      return true;
    }
    case 'column': {
      const expr = m.column === 'occurred_at' ? 'occurred_at + 7' : `COALESCE(${m.column}, '') || '~'`;
      db.prepare(`UPDATE activity_entries SET ${m.column} = ${expr} WHERE id = ?`).run(pick(m.at));
      return true;
    }
    case 'delete':
      db.prepare('DELETE FROM activity_entries WHERE id = ?').run(pick(m.at));
      return true;
    case 'swap': {
      const [a, b] = [pick(m.at), pick(m.other)];
      if (a === b || canonicalJson(data(a)) === canonicalJson({ ...data(b), id: a })) return false;
      const [da, dbb] = [data(a), data(b)];
      db.prepare('UPDATE activity_entries SET data = ? WHERE id = ?').run(JSON.stringify(dbb), a);
      db.prepare('UPDATE activity_entries SET data = ? WHERE id = ?').run(JSON.stringify(da), b);
      return true;
    }
    case 'forge': {
      const src = data(pick(m.at)) as ActivityEntry;
      const old = new Date(T0.getTime() - 5 * 86_400_000).toISOString();
      const forged = { ...src, id: `${src.id}~`, occurredAt: old, recordedAt: old };
      db.prepare(
        `INSERT INTO activity_entries (id, org_id, occurred_at, type, status, actor_id, actor_name, search, data)
         SELECT ?, org_id, ?, type, status, actor_id, actor_name, search, ? FROM activity_entries WHERE id = ?`,
      ).run(forged.id, Date.parse(old), JSON.stringify(forged), src.id);
      return true;
    }
    case 'seal-leaf':
      db.prepare(
        `UPDATE activity_seals SET leaf = replace(leaf, substr(leaf, 1, 2), CASE substr(leaf, 1, 2) WHEN 'ff' THEN '00' ELSE 'ff' END) WHERE id = ?`,
      ).run(pick(m.at));
      return true;
    case 'digest': {
      const row = db
        .prepare('SELECT sequence, digest FROM activity_digests ORDER BY sequence LIMIT 1')
        .get() as { sequence: number; digest: string };
      const d = JSON.parse(row.digest);
      d[m.field] =
        m.field === 'entryCount'
          ? d.entryCount + 1
          : m.field === 'root'
            ? '00'.repeat(32)
            : new Date(0).toISOString();
      db.prepare('UPDATE activity_digests SET digest = ? WHERE sequence = ?').run(
        JSON.stringify(d),
        row.sequence,
      );
      return true;
    }
    case 'truncate':
      db.prepare(
        'DELETE FROM activity_digests WHERE sequence = (SELECT max(sequence) FROM activity_digests)',
      ).run();
      return true;
  }
}

describe('integrity property: any single mutation is detected', () => {
  it(
    'random data, random single mutation through SQL → verify reports a break',
    async () => {
      await fc.assert(
        fc.asyncProperty(dataArb, mutationArb, fc.boolean(), async (entries, m, leafHashes) => {
          const store = createSqliteStore({ path: join(dir, `p${(n++).toString()}.db`), leafHashes });
          open.push(store);
          await store.append(entries);
          const key = generateSigningKey();
          await createSealer({
            store,
            signingKey: key.privateKeyPem,
            maxEntriesPerDigest: 5,
            now: () => T0,
          }).sealNow();
          const keys = { [key.keyId]: key.publicKeyPem };
          const verify = () => verifyIntegrity({ store, orgId: 'org_p', keys, now: () => T0 });
          expect(await verify()).toMatchObject({ ok: true });
          const ids = (await store.listDigests('org_p')).length
            ? (store.db.prepare('SELECT id FROM activity_seals ORDER BY id').pluck().all() as string[])
            : [];
          fc.pre(mutate(store, ids, m));
          const result = await verify();
          expect(result.ok, JSON.stringify(m)).toBe(false);
          await store.close();
        }),
        { numRuns: LONG ? 400 : 60, seed: LONG ? undefined : 9 },
      );
    },
    LONG ? 900_000 : 120_000,
  );
});

describe('storedCanonicalJson: the write-time fast path equals the RFC 8785 library', () => {
  // What verify computes from the stored text: the library over JSON.parse(JSON.stringify(value)).
  const oracle = (value: unknown) => canonicalJson(JSON.parse(JSON.stringify(value)));
  const storable = fc
    .anything({
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      withSet: true,
      withBigInt: false,
      key: fc.oneof(
        fc.string(),
        fc.constantFrom('__proto__', '0', '10', '9', '01', '-1', 'é', 'e\u0301', '\ud800'),
      ),
    })
    .filter((v) => typeof v === 'object' && v !== null && !Array.isArray(v));

  it('gives the same bytes for any JSON-storable object (index-like keys, toJSON, undefined, NaN, -0, lone surrogates)', () => {
    fc.assert(
      fc.property(storable, (value) => {
        expect(storedCanonicalJson(value)).toBe(oracle(value));
      }),
      { numRuns: LONG ? 20_000 : 2_000, seed: LONG ? undefined : 17 },
    );
  });

  it('gives the same bytes and leaf for generated entries of every type', () => {
    for (const e of generateActivity({ count: 400, orgIds: ['org_p'], seed: 5, now: T0 })) {
      expect(storedCanonicalJson(e)).toBe(oracle(e));
      expect(storedLeaf(e).equals(entryLeaf(JSON.parse(JSON.stringify(e))))).toBe(true);
    }
  });

  it('gives the same bytes for hand-picked edge cases', () => {
    const cases: unknown[] = [
      { b: 1, a: [{ z: 1, y: undefined, x: () => 1 }, undefined, Number.NaN, -0, 1e21, 5e-324] },
      { '10': 'a', '9': 'b', a: { '0': 1 } },
      JSON.parse('{"__proto__": {"b": 1, "a": 2}}'),
      { at: new Date(0), nested: { toJSON: () => ({ y: 1, x: 2 }) } },
      { s: '\u2028\u0000\ud83d', ﬁ: 1, 'e\u0301': 2, é: 3 },
    ];
    for (const value of cases) expect(storedCanonicalJson(value)).toBe(oracle(value));
  });
});
