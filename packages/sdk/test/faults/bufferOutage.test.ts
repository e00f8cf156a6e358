/**
 * Disk buffer outage proof: entries arrive at 1,000 per second while the store is unreachable —
 * stopped (every call refused: ECONNREFUSED) or frozen (calls never answer; the write deadline fails
 * them) — on a real SQLite store behind a switch. With a 256 MiB buffer nothing is dropped: the
 * backlog waits on disk, and after recovery every accepted entry is stored exactly once.
 * Short form in CI (4 s); `ACTIVITY_LONG=1` runs a 2-minute outage.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createActivity } from '../../src/core/activity.js';
import { createSqliteStore } from '../../src/sqlite.js';
import type { ActivityStore } from '../../src/types.js';

const LONG = process.env.ACTIVITY_LONG === '1';
const OUTAGE_MS = LONG ? 120_000 : 4_000;
const RATE = 1_000;
const dir = mkdtempSync(join(tmpdir(), 'activity-buffer-outage-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The SQLite store behind a switch: up, stopped (refuses) or frozen (never answers). */
function switchable(path: string) {
  const inner = createSqliteStore({ path });
  let mode: 'up' | 'stopped' | 'frozen' = 'up';
  const store: ActivityStore = {
    ...inner,
    append(entries) {
      if (mode === 'stopped') {
        return Promise.reject(
          Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
        );
      }
      if (mode === 'frozen') return new Promise(() => undefined);
      return inner.append(entries);
    },
  };
  const set = (next: typeof mode) => {
    mode = next;
  };
  return { store, inner, set };
}

const bufferBytes = (path: string) =>
  readdirSync(path)
    .filter((name) => name.startsWith('segment-'))
    .reduce((sum, name) => sum + statSync(join(path, name)).size, 0);

async function prove(kind: 'stopped' | 'frozen'): Promise<void> {
  const db = join(dir, `${kind}.db`);
  const bufferPath = join(dir, `${kind}-buffer`);
  const { store, inner, set } = switchable(db);
  const activity = createActivity({
    store,
    defaultOrgId: 'org_outage',
    writeTimeoutMs: 500,
    retryMaxMs: 1_000,
    maxRetries: 3,
    buffer: { path: bufferPath, maxBytes: 256 * 1024 * 1024 },
  });
  const accepted: string[] = [];
  let refused = 0;
  let seq = 0;
  const produce = setInterval(() => {
    for (let i = 0; i < RATE / 100; i++) {
      const id = activity.record({
        type: 'SYSTEM_EVENT',
        action: 'outage.probe',
        actor: { kind: 'system', id: 'outage' },
        metadata: { seq: seq++, kind },
      });
      if (id === undefined) refused += 1;
      else accepted.push(id);
    }
  }, 10);
  await new Promise((r) => setTimeout(r, 500));
  set(kind);
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  const during = activity.stats();
  const onDisk = bufferBytes(bufferPath);
  set('up');
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(produce);
  await activity.shutdown({ timeoutMs: 60_000 });

  const stats = activity.stats();
  expect(refused).toBe(0);
  // The backlog waited on disk, not in the process: nothing was lost while the store was away.
  expect(during.dropped).toEqual({});
  expect(during.pending).toBeGreaterThan((RATE * OUTAGE_MS) / 1_000 / 2);
  expect(onDisk).toBeGreaterThan(during.pending * 100);
  expect(stats).toMatchObject({ dropped: {}, rejected: {}, pending: 0, calls: accepted.length });
  expect(stats.persisted).toBe(accepted.length);
  await inner.close();
  const conn = new BetterSqlite3(db, { readonly: true });
  try {
    const rows = conn
      .prepare(`SELECT id, count(*) AS n FROM activity_entries WHERE org_id = 'org_outage' GROUP BY 1`)
      .all() as { id: string; n: number }[];
    const stored = new Map(rows.map((r) => [r.id, r.n]));
    expect(
      accepted.filter((id) => stored.get(id) !== 1),
      'accepted but not stored once',
    ).toEqual([]);
    expect(stored.size).toBe(accepted.length);
  } finally {
    conn.close();
  }
  // A clean shutdown leaves an empty buffer folder behind.
  expect(bufferBytes(bufferPath)).toBe(0);
}

describe('disk buffer outage proof (1,000 events/s, 256 MiB buffer)', () => {
  it(
    `the store stopped for ${OUTAGE_MS / 1000} s: 0 dropped, 0 stored twice`,
    () => prove('stopped'),
    OUTAGE_MS + 120_000,
  );
  it(
    `the store frozen for ${OUTAGE_MS / 1000} s: 0 dropped, 0 stored twice`,
    () => prove('frozen'),
    OUTAGE_MS + 120_000,
  );
});
