/**
 * The PostgreSQL CSV export from columns (migration 6, `queryCsvRows`): byte for byte the CSV of the
 * entry path and of the memory store, for random and hostile entries, rows written before the migration,
 * rows whose text PostgreSQL cleans, and job runs updated after they were written.
 */
import { randomBytes } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/postgres/migrations.js';
import { safeText } from '../src/postgres/rows.js';
import { INSERT_COLUMNS, rowOf } from '../src/postgres/store.js';
import { createPostgresStore, type PostgresStore } from '../src/postgres.js';
import {
  CSV_COLUMNS,
  cellRowsToCsv,
  entriesToCsv,
  entryToRow,
  neutralizeCell,
  rowsToCsv,
} from '../src/server/csv.js';
import { csvPagesOf, pagesOf } from '../src/server/export.js';
import { createMemoryStore, generateActivity } from '../src/testing/index.js';
import type { ActivityEntry, ActivityStore, StoreQuery } from '../src/types.js';

const url = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: url, max: 2 });
const schemas: string[] = [];
const NOW = new Date('2026-06-15T12:00:00Z');

function schemaName(): string {
  const name = `activity_export_${randomBytes(5).toString('hex')}`;
  schemas.push(name);
  return name;
}

async function bytes(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Today's path: whole entries, page by page. */
const viaEntries = (store: ActivityStore, query: StoreQuery, pageSize: number) =>
  bytes(entriesToCsv(pagesOf(store, query, pageSize)));
/** The exporter's path: cell rows (from columns when the store has `queryCsvRows`). */
const viaCells = (store: ActivityStore, query: StoreQuery, pageSize: number) =>
  bytes(cellRowsToCsv(csvPagesOf(store, query, pageSize)));

/** Entries whose cells are hard to keep exact: formulas, quotes, line breaks, unicode, NUL, lone surrogates. */
function hostile(base: ActivityEntry[]): ActivityEntry[] {
  const texts = [
    '=HYPERLINK("http://x")',
    '+1',
    '-2',
    '@SUM(A1)',
    '\tlead',
    '\rlead',
    '＝full',
    'a, "quoted" b\nsecond\r\nthird',
    'émoji 😀 and 中文',
    'nul \u0000 inside',
    '\u0000=leading nul',
    'lone \ud800 surrogate',
    'tail \udc00',
    '',
  ];
  return base.map((e, i) => {
    const t = (k: number) => texts[(i + k) % texts.length] as string;
    const out: ActivityEntry = { ...e, summary: t(0) };
    if (i % 2 === 0) out.entity = { type: e.entity?.type ?? 'contact', id: `c${i}`, label: t(1) };
    if (i % 3 === 0) out.actor = { ...e.actor, name: i % 6 === 0 ? t(2) : '' };
    if (i % 4 === 0) out.error = { name: 'Error', message: t(3) };
    if (i % 5 === 0)
      out.changes = [
        { path: t(4) || 'email', kind: 'changed', before: 'a', after: 'b' },
        { path: 'ssn', kind: 'changed', redacted: true },
      ];
    if (i % 7 === 0) out.action = `${e.action}${i % 14 === 0 ? '\u0000' : ''}`;
    return out;
  });
}

afterAll(async () => {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

describe('rowsToCsv', () => {
  it('writes exactly what csv-stringify (quoted, CRLF, BOM, header) writes, for any cells', () => {
    const cell = fc.string({
      unit: fc.constantFrom('a', '"', ',', '\r', '\n', '=', '-', '\u0000', 'é', '😀', ' '),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 13, maxLength: 13 }), { maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        (rows, first, bom) => {
          const expected = stringify(
            rows.map((row) => row.map(neutralizeCell)),
            {
              bom: first && bom,
              header: first,
              columns: CSV_COLUMNS.map((header, i) => ({ key: String(i), header })),
              quoted: true,
              record_delimiter: '\r\n',
            },
          );
          expect(rowsToCsv(rows, first, bom)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('PostgreSQL export from columns', () => {
  let store: PostgresStore;
  let schema: string;
  const memory = createMemoryStore();
  let entries: ActivityEntry[];

  beforeAll(async () => {
    schema = schemaName();
    store = createPostgresStore({ connectionString: url, schema });
    const base = generateActivity({
      count: 400,
      orgIds: ['org_a', 'org_b'],
      seed: 5,
      now: NOW,
      spanDays: 60,
    });
    entries = [...base.slice(0, 150), ...hostile(base.slice(150))];
    // Both write paths: the big batch by COPY, the small ones by unnest.
    await store.append(entries.slice(0, 300));
    for (let i = 300; i < entries.length; i += 20) await store.append(entries.slice(i, i + 20));
    await memory.append(entries);
  });
  afterAll(() => store.close());

  it('exports the same bytes as the entry path and the memory store, with and without filters', async () => {
    const queries: StoreQuery[] = [
      { orgId: 'org_a' },
      { orgId: 'org_b' },
      { orgId: 'org_a', statuses: ['FAILED', 'SUCCESS'] },
      { orgId: 'org_b', q: 'e', from: new Date(NOW.getTime() - 30 * 86_400_000).toISOString() },
      { orgId: 'org_none' },
    ];
    for (const query of queries) {
      const fromColumns = await viaCells(store, query, 7);
      expect(fromColumns.equals(await viaEntries(store, query, 7))).toBe(true);
      expect(fromColumns.equals(await viaEntries(memory, query, 1000))).toBe(true);
    }
    // Tenant scope: org_a's file names no entry of org_b.
    const text = (await viaCells(store, { orgId: 'org_a' }, 1000)).toString('utf8');
    for (const e of entries.filter((x) => x.orgId === 'org_b')) expect(text).not.toContain(e.id);
  });

  it('keeps the cells in columns, and NULL (read from the doc) only where the columns cannot be exact', async () => {
    const { rows } = await admin.query<{ id: string; csv_label: string | null; csv_summary: string | null }>(
      `SELECT id, csv_label, csv_summary FROM "${schema}".entries`,
    );
    const byId = new Map(entries.map((e) => [e.id, e]));
    let fromDoc = 0;
    for (const r of rows) {
      const e = byId.get(r.id) as ActivityEntry;
      const cells = entryToRow(e);
      if (r.csv_label === null) fromDoc++;
      else {
        expect(r.csv_label).toBe(cells[8]);
        expect(r.csv_summary).toBe(cells[9]);
      }
      // Any cell PostgreSQL would clean sends the row to its doc.
      if (cells.some((cell) => safeText(cell) !== cell)) expect(r.csv_label).toBeNull();
    }
    expect(fromDoc).toBeGreaterThan(0);
    expect(fromDoc).toBeLessThan(rows.length / 2);
  });

  it('reads rows without their cells (written before migration 6) from the doc, in the same order', async () => {
    await admin.query(
      `UPDATE "${schema}".entries SET csv_label = NULL, csv_summary = NULL, csv_changes = NULL, csv_error = NULL
       WHERE id IN (SELECT id FROM "${schema}".entries ORDER BY md5(id) LIMIT 120)`,
    );
    const queries: StoreQuery[] = [{ orgId: 'org_a' }, { orgId: 'org_b', types: ['BACKGROUND_JOB'] }];
    for (const query of queries) {
      expect((await viaCells(store, query, 5)).equals(await viaEntries(memory, query, 1000))).toBe(true);
    }
  });

  it('keeps the cells right when a job run is updated', async () => {
    const [job] = generateActivity({ count: 1, orgIds: ['org_job'], seed: 9, now: NOW, spanDays: 1 });
    const run: ActivityEntry = {
      ...(job as ActivityEntry),
      type: 'BACKGROUND_JOB',
      status: 'IN_PROGRESS',
      summary: 'running',
    };
    delete run.error;
    await store.append([run]);
    await memory.append([run]);
    const update = {
      status: 'FAILED' as const,
      summary: '=failed, "badly"',
      error: { name: 'Error', message: 'boom\nline 2' },
    };
    expect(await store.updateJob('org_job', run.id, update)).toBe(true);
    expect(await memory.updateJob('org_job', run.id, update)).toBe(true);
    const { rows } = await admin.query(
      `SELECT csv_summary, csv_error FROM "${schema}".entries WHERE id = $1`,
      [run.id],
    );
    expect(rows[0]).toEqual({ csv_summary: '=failed, "badly"', csv_error: 'boom\nline 2' });
    const query = { orgId: 'org_job' };
    expect((await viaCells(store, query, 1000)).equals(await viaEntries(memory, query, 1000))).toBe(true);
  });
});

describe('migration 6 on a table with entries', () => {
  it('adds the columns without rewriting rows; old rows export from their doc, new ones from columns', async () => {
    const schema = schemaName();
    const q = `"${schema}"`;
    const c = await admin.connect();
    const old = generateActivity({ count: 60, orgIds: ['org_a'], seed: 21, now: NOW, spanDays: 20 });
    try {
      await c.query('BEGIN');
      await c.query(`CREATE SCHEMA ${q}`);
      await c.query(
        `CREATE TABLE ${q}.schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const m of MIGRATIONS.filter((m) => m.version < 6)) {
        await m.up({ client: c, schema: q });
        await c.query(`INSERT INTO ${q}.schema_migrations (version, name) VALUES ($1, $2)`, [
          m.version,
          m.name,
        ]);
      }
      // The columns an append wrote before migration 6, into the keys and the entries.
      const before = INSERT_COLUMNS.filter(([n]) => !n.startsWith('csv_'));
      const rows = hostile(old).map(rowOf);
      await c.query(
        `WITH input AS (SELECT * FROM unnest(${before.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})
                        AS t(${before.map(([n]) => n).join(', ')})),
              keys AS (INSERT INTO ${q}.entry_keys (id, org_id, idempotency_key, occurred_at)
                       SELECT id, org_id, idempotency_key, occurred_at FROM input)
         INSERT INTO ${q}.entries (${before.map(([n]) => n).join(', ')}) SELECT * FROM input`,
        before.map((_, i) => rows.map((r) => r[i] ?? null)),
      );
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    const { rows: file } = await admin.query<{ f: string }>(
      `SELECT pg_relation_filenode(relid)::text AS f FROM pg_partition_tree($1::regclass) WHERE isleaf ORDER BY relid`,
      [`${q}.entries`],
    );
    const store = createPostgresStore({ connectionString: url, schema });
    try {
      await store.migrate();
      const { rows: after } = await admin.query<{ f: string }>(
        `SELECT pg_relation_filenode(relid)::text AS f FROM pg_partition_tree($1::regclass) WHERE isleaf ORDER BY relid`,
        [`${q}.entries`],
      );
      // Same files: ADD COLUMN without a default rewrote no partition.
      expect(after).toEqual(file);
      const { rows: empty } = await admin.query(
        `SELECT count(*)::int AS n FROM ${q}.entries WHERE csv_label IS NOT NULL`,
      );
      expect(empty[0].n).toBe(0);
      const fresh = hostile(
        generateActivity({ count: 40, orgIds: ['org_a'], seed: 22, now: NOW, spanDays: 20 }),
      );
      await store.append(fresh);
      const memory = createMemoryStore();
      await memory.append([...hostile(old), ...fresh]);
      const query = { orgId: 'org_a' };
      const exported = await viaCells(store, query, 9);
      expect(exported.equals(await viaEntries(memory, query, 1000))).toBe(true);
      expect(exported.equals(await viaEntries(store, query, 1000))).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('csvPagesOf', () => {
  it('reads ahead, and a failing read fails the export (no unhandled rejection)', async () => {
    const memory = createMemoryStore();
    await memory.append(generateActivity({ count: 30, orgIds: ['org_a'], seed: 3, now: NOW, spanDays: 5 }));
    let reads = 0;
    const failing: ActivityStore = {
      ...memory,
      query: (q) => memory.query(q),
      async queryCsvRows(q) {
        reads++;
        if (q.after) throw new Error('store down');
        const page = await memory.query(q);
        return { entries: page.entries.map(entryToRow), next: page.next };
      },
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const pages = csvPagesOf(failing, { orgId: 'org_a' }, 10);
      expect((await pages.next()).value).toHaveLength(10);
      // The read ahead of page 2 fails while the consumer is busy elsewhere.
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(reads).toBe(2);
      await expect(pages.next()).rejects.toThrow('store down');
      await expect(bytes(cellRowsToCsv(csvPagesOf(failing, { orgId: 'org_a' }, 10)))).rejects.toThrow(
        'store down',
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
