/**
 * The `activity` bin, run as a child process (through tsx, on the sources) against a real SQLite file,
 * the running PostgreSQL (a schema of its own) and chdb in a folder.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/sqlite.js';
import { generateActivity } from '../src/testing/fixtures.js';
import type { ActivityEntry } from '../src/types.js';

const BIN = fileURLToPath(new URL('../src/cli/index.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url));
const pgUrl = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
const schema = `activity_cli_${randomBytes(5).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'activity-cli-'));
const dbFile = join(dir, 'activity.db');
const NOW = new Date('2026-03-15T12:00:00Z');
const entries: ActivityEntry[] = generateActivity({
  count: 600,
  orgIds: ['org_a', 'org_b', 'org_c'],
  now: NOW,
  spanDays: 400,
});
const countOf = (org: string, before?: string) =>
  entries.filter((e) => e.orgId === org && (before === undefined || e.occurredAt < before)).length;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, BIN, ...args],
      { cwd: dir, env: { ...process.env, ACTIVITY_STORE_URL: '' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  const store = createSqliteStore({ path: dbFile });
  await store.append(entries);
  await store.close();
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

describe('activity CLI', () => {
  it('prints help naming every command', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(0);
    for (const command of ['migrate', 'stats', 'retention', 'export', 'copy'])
      expect(stdout).toContain(command);
  });

  it('refuses an unknown store URL with a message naming the accepted forms', async () => {
    const { code, stderr } = await cli('stats', 'mysql://x');
    expect(code).toBe(1);
    expect(stderr).toMatch(/unknown scheme "mysql:".*sqlite:, postgres:\/\/, clickhouse:\/\/ or chdb:/);
  });

  it('stats counts every org of a SQLite file and its bytes per entry', async () => {
    const { code, stdout } = await cli('stats', `sqlite:${dbFile}`, '--json');
    expect(code).toBe(0);
    const stats = JSON.parse(stdout);
    expect(stats.entries).toBe(entries.length);
    for (const org of ['org_a', 'org_b', 'org_c']) {
      expect(stats.orgs.find((o: { orgId: string }) => o.orgId === org)?.entries).toBe(countOf(org));
    }
    expect(stats.bytesPerEntry).toBeGreaterThan(100);
  });

  it('export writes a filtered CSV to stdout and NDJSON to a file', async () => {
    const failed = entries.filter((e) => e.orgId === 'org_a' && e.status === 'FAILED');
    expect(failed.length).toBeGreaterThan(0);
    const csv = await cli('export', `sqlite:${dbFile}`, '--org', 'org_a', '--filter', 'status=FAILED');
    expect(csv.code).toBe(0);
    const lines = csv.stdout.split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toContain('"time","type","status"');
    expect(lines.length - 1).toBe(failed.length);
    for (const e of failed) expect(csv.stdout).toContain(e.id);
    expect(csv.stderr).toContain(`exported ${failed.length} entries`);

    const out = join(dir, 'org_b.ndjson');
    const nd = await cli('export', `sqlite:${dbFile}`, '--org', 'org_b', '--format', 'ndjson', '--out', out);
    expect(nd.code).toBe(0);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ActivityEntry);
    expect(rows.length).toBe(countOf('org_b'));
    expect(new Set(rows.map((r) => r.orgId))).toEqual(new Set(['org_b']));
  });

  it('copy SQLite → PostgreSQL → chdb: counts match, a second run inserts nothing, a checkpoint resumes', async () => {
    const pgStore = `${pgUrl}?schema=${schema}`;
    const first = await cli('copy', `sqlite:${dbFile}`, pgStore, '--json', '--batch', '97');
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.ok).toBe(true);
    for (const o of report.orgs) {
      expect(o.target).toBe(countOf(o.orgId));
      expect(o.inserted).toBe(countOf(o.orgId));
    }
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".entries`);
    expect(rows[0].n).toBe(entries.length);
    // The copy created the months of the copied entries: none fell into the DEFAULT partition.
    const strays = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".entries_default`);
    expect(strays.rows[0].n).toBe(0);

    const pgStats = JSON.parse((await cli('stats', pgStore, '--json')).stdout);
    expect(pgStats.entries).toBe(entries.length);
    expect(pgStats.bytesPerEntry).toBeGreaterThan(100);

    const again = JSON.parse((await cli('copy', `sqlite:${dbFile}`, pgStore, '--json')).stdout);
    expect(again.orgs.map((o: { inserted: number }) => o.inserted)).toEqual([0, 0, 0]);

    // A copy interrupted after org_a and 50 entries of org_b: the checkpoint holds where it stopped.
    const chdb = `chdb:${join(dir, 'chdb')}`;
    const checkpoint = join(dir, 'resume.json');
    const orgB = entries
      .filter((e) => e.orgId === 'org_b')
      .sort((a, b) =>
        a.occurredAt < b.occurredAt ? 1 : a.occurredAt > b.occurredAt ? -1 : a.id < b.id ? 1 : -1,
      );
    const cursor = orgB[49] as ActivityEntry;
    writeFileSync(
      checkpoint,
      JSON.stringify({
        from: pgStore,
        to: chdb,
        until: new Date().toISOString(),
        done: ['org_a'],
        current: { orgId: 'org_b', after: { occurredAt: cursor.occurredAt, id: cursor.id } },
      }),
    );
    const resumed = await cli('copy', pgStore, chdb, '--json', '--checkpoint', checkpoint);
    expect(resumed.stderr).toBe('');
    const partial = JSON.parse(resumed.stdout);
    expect(partial.resumed).toBe(true);
    type Line = { orgId: string; inserted: number; duplicates: number };
    const by = (r: { orgs: Line[] }, org: string) => r.orgs.find((o) => o.orgId === org) as Line;
    // org_a was marked done and is skipped; org_b resumes after its 50th entry; the count check sees both gaps.
    expect(by(partial, 'org_a').inserted).toBe(0);
    expect(by(partial, 'org_b').inserted).toBe(countOf('org_b') - 50);
    expect(by(partial, 'org_c').inserted).toBe(countOf('org_c'));
    expect(partial.ok).toBe(false);
    expect(resumed.code).toBe(1);
    expect(existsSync(checkpoint)).toBe(true);

    rmSync(checkpoint);
    const fixed = await cli('copy', pgStore, chdb, '--json', '--checkpoint', checkpoint);
    expect(fixed.code, fixed.stderr).toBe(0);
    const done = JSON.parse(fixed.stdout);
    expect(done.ok).toBe(true);
    expect(by(done, 'org_a').inserted).toBe(countOf('org_a'));
    expect(by(done, 'org_b').inserted).toBe(50);
    expect(by(done, 'org_b').duplicates).toBe(countOf('org_b') - 50);
    expect(existsSync(checkpoint)).toBe(false);
    const stats = JSON.parse((await cli('stats', chdb, '--json')).stdout);
    expect(stats.entries).toBe(entries.length);
  }, 120_000);

  it('migrate creates the PostgreSQL schema; retention run --dry-run counts, a run archives and purges, a legal hold keeps', async () => {
    const other = `${schema}_r`;
    const url = `${pgUrl}?schema=${other}`;
    try {
      expect((await cli('migrate', url)).code).toBe(0);
      const { rows } = await admin.query('SELECT to_regclass($1) AS t', [`"${other}".entries`]);
      expect(rows[0].t).not.toBeNull();
      expect((await cli('copy', `sqlite:${dbFile}`, url)).code).toBe(0);
      // A policy whose cutoff falls 200 days into the fixture's 400-day span, whatever today is.
      const keepDays = String(Math.ceil((Date.now() - NOW.getTime()) / 86_400_000) + 200);
      const cutoff = new Date(Date.now() - Number(keepDays) * 86_400_000).toISOString();
      const dry = await cli(
        'retention',
        'run',
        url,
        '--dry-run',
        '--keep-days',
        keepDays,
        '--legal-hold',
        'org_c',
        '--json',
      );
      const plan = JSON.parse(dry.stdout);
      const line = (org: string) => plan.orgs.find((o: { orgId: string }) => o.orgId === org);
      expect(line('org_a').wouldPurge).toBe(countOf('org_a', cutoff));
      expect(line('org_a').wouldPurge).toBeGreaterThan(0);
      expect(line('org_c')).toMatchObject({ legalHold: true, wouldPurge: 0 });
      // Nothing changed.
      const before = await admin.query(`SELECT count(*)::int AS n FROM "${other}".entries`);
      expect(before.rows[0].n).toBe(entries.length);

      const archive = join(dir, 'archive');
      const real = await cli(
        'retention',
        'run',
        url,
        '--keep-days',
        keepDays,
        '--legal-hold',
        'org_c',
        '--archive-dir',
        archive,
        '--json',
      );
      expect(real.code, real.stderr).toBe(0);
      const report = JSON.parse(real.stdout).report;
      const purged = countOf('org_a', cutoff) + countOf('org_b', cutoff);
      expect(report.purged).toBe(purged);
      expect(report.archived).toBe(purged);
      expect(readdirSync(archive).length).toBeGreaterThan(0);
      const after = await admin.query(
        `SELECT org_id, count(*)::int AS n FROM "${other}".entries GROUP BY org_id`,
      );
      const left = Object.fromEntries(after.rows.map((r) => [r.org_id, r.n]));
      expect(left.org_c).toBe(countOf('org_c'));
      expect(left.org_a).toBe(countOf('org_a') - countOf('org_a', cutoff));
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${other}" CASCADE`);
    }
  }, 120_000);
});

describe('parseStoreUrl', () => {
  it('maps clickhouse:// to the HTTP interface, keeps the schema in the label and masks passwords', async () => {
    const { parseStoreUrl } = await import('../src/cli/storeUrl.js');
    expect(parseStoreUrl('clickhouse://app:s3cret@ch.internal/audit?table=log')).toMatchObject({
      kind: 'clickhouse',
      target: 'http://app:s3cret@ch.internal:8123/',
      namespace: 'audit',
      table: 'log',
      label: 'clickhouse://app:***@ch.internal/audit?table=log',
    });
    expect(parseStoreUrl('clickhouses://ch.internal/audit').target).toBe('https://ch.internal:8443/');
    expect(parseStoreUrl('postgres://u:pw@db/app?schema=audit')).toMatchObject({
      target: 'postgres://u:pw@db/app',
      namespace: 'audit',
      label: 'postgres://u:***@db/app?schema=audit',
    });
    expect(parseStoreUrl('sqlite:./a.db')).toMatchObject({ kind: 'sqlite', target: './a.db' });
    expect(parseStoreUrl('chdb:')).toMatchObject({ kind: 'chdb', target: ':memory:' });
    expect(() => parseStoreUrl('sqlite:')).toThrow(/name a file/);
  });
});
