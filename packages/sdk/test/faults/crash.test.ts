/**
 * Crash proof: a host recording with concurrent producers is SIGKILLed at random moments. Every
 * acknowledged entry (`recordDurable()` resolved) must be in the store, and sending the unacknowledged
 * ones again with their idempotency keys, from a fresh process, must leave each key stored exactly once.
 * Short form in CI (3 rounds per store); `ACTIVITY_LONG=1` runs 20 rounds per store.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startChild } from './child.js';

const LONG = process.env.ACTIVITY_LONG === '1';
const SHORT_ROUNDS = 3;
const LONG_ROUNDS = 20;
const url = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: url, max: 2 });
const dir = mkdtempSync(join(tmpdir(), 'activity-crash-'));

afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

interface Target {
  name: 'sqlite' | 'postgres';
  config: Record<string, unknown>;
  /** Rows per idempotency key of the test org, read from the store's table directly. */
  countByKey(): Promise<Map<string, number>>;
}

const schemas: string[] = [];

/** A store of its own for one run (a SQLite file, or a PostgreSQL schema). */
function makeTarget(name: Target['name'], run: string): Target {
  if (name === 'sqlite') {
    const path = join(dir, `${run}.db`);
    return {
      name,
      config: { store: 'sqlite', path },
      async countByKey() {
        const db = new BetterSqlite3(path, { readonly: true });
        try {
          const rows = db
            .prepare(
              `SELECT idempotency_key AS k, count(*) AS n FROM activity_entries WHERE org_id = 'org_crash' GROUP BY 1`,
            )
            .all() as { k: string; n: number }[];
          return new Map(rows.map((r) => [r.k, r.n]));
        } finally {
          db.close();
        }
      },
    };
  }
  const schema = `activity_crash_${randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  return {
    name,
    config: { store: 'postgres', url, schema },
    async countByKey() {
      const exists = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) return new Map();
      const { rows } = await admin.query<{ k: string; n: number }>(
        `SELECT idempotency_key AS k, count(*)::int AS n FROM "${schema}".entries WHERE org_id = 'org_crash' GROUP BY 1`,
      );
      return new Map(rows.map((r) => [r.k, r.n]));
    },
  };
}

/** What the append-only log says: keys sent and keys acknowledged, over every round so far. */
function readLog(path: string): { sent: Set<string>; acked: Set<string> } {
  const sent = new Set<string>();
  const acked = new Set<string>();
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { sent, acked };
  }
  for (const line of text.split('\n')) {
    // A line cut by the kill has no key after its mark, or a partial one; only whole lines count.
    const m = /^([SAF]) (\S+)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'S') sent.add(m[2] as string);
    if (m[1] === 'A') acked.add(m[2] as string);
  }
  return { sent, acked };
}

/** Runs `rounds` kill rounds against a fresh store of kind `name`, then the resend. */
async function prove(name: Target['name'], rounds: number, run: string): Promise<void> {
  const target = makeTarget(name, run);
  const log = join(dir, `${run}.log`);
  const report: string[] = [];
  let killedInFlight = 0;
  for (let round = 0; round < rounds; round++) {
    const before = readLog(log);
    const resend = [...before.sent].filter((k) => !before.acked.has(k));
    const child = startChild('./crashChild.ts', [
      JSON.stringify({ ...target.config, log, tag: `r${round}`, resend, produce: true, producers: 4 }),
    ]);
    await child.next((l) => l.event === 'producing', 60_000);
    const delay = 100 + Math.floor(Math.random() * 1200);
    await new Promise((r) => setTimeout(r, delay));
    child.process.kill('SIGKILL');
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const { sent, acked } = readLog(log);
    const stored = await target.countByKey();
    const lost = [...acked].filter((k) => stored.get(k) !== 1);
    const duplicated = [...stored].filter(([, n]) => n > 1);
    const unknown = [...stored.keys()].filter((k) => !sent.has(k));
    const inFlight = [...sent].filter((k) => !acked.has(k)).length;
    killedInFlight += inFlight > 0 ? 1 : 0;
    report.push(`round ${round}: kill after ${delay} ms, acked ${acked.size}, in flight ${inFlight}`);
    expect(lost, `acknowledged but missing after round ${round}`).toEqual([]);
    expect(duplicated, `duplicated after round ${round}`).toEqual([]);
    expect(unknown, `stored but never sent, round ${round}`).toEqual([]);
  }

  // A fresh process sends every unacknowledged key again, then shuts down cleanly.
  const before = readLog(log);
  const resend = [...before.sent].filter((k) => !before.acked.has(k));
  const last = startChild('./crashChild.ts', [
    JSON.stringify({ ...target.config, log, tag: 'final', resend, produce: false, producers: 0 }),
  ]);
  const done = await last.next((l) => l.event === 'done', 60_000);
  expect(await last.exited).toEqual({ code: 0, signal: null });
  expect(done).toMatchObject({ stats: { dropped: {}, rejected: {} } });

  const { sent, acked } = readLog(log);
  const stored = await target.countByKey();
  expect(
    [...sent].filter((k) => !acked.has(k)),
    'still unacknowledged after the resend',
  ).toEqual([]);
  expect(
    [...sent].filter((k) => stored.get(k) !== 1),
    'not stored exactly once',
  ).toEqual([]);
  expect(stored.size).toBe(sent.size);
  // The proof is not vacuous: entries were acknowledged, and kills caught some in flight.
  expect(acked.size).toBeGreaterThan(rounds * 10);
  expect(killedInFlight).toBeGreaterThan(0);
  console.info(
    `crash proof (${target.name}): ${sent.size} keys, ${resend.length} resent at the end\n${report.join('\n')}`,
  );
}

for (const name of ['sqlite', 'postgres'] as const) {
  describe(`crash proof — ${name}`, () => {
    it(
      `loses no acknowledged entry and duplicates none across ${SHORT_ROUNDS} SIGKILLs`,
      async () => {
        await prove(name, SHORT_ROUNDS, `${name}-short`);
      },
      SHORT_ROUNDS * 20_000 + 60_000,
    );

    it.runIf(LONG)(
      `long form (ACTIVITY_LONG=1): loses no acknowledged entry and duplicates none across ${LONG_ROUNDS} SIGKILLs`,
      async () => {
        await prove(name, LONG_ROUNDS, `${name}-long`);
      },
      LONG_ROUNDS * 20_000 + 60_000,
    );
  });
}
