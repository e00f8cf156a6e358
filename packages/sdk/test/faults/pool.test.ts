import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, startChild } from './child.js';

const url = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: url, max: 3 });
const schema = `activity_fault1_${randomBytes(5).toString('hex')}`;
const children: Child[] = [];

afterAll(async () => {
  for (const c of children) if (c.alive()) c.process.kill('SIGKILL');
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

/** The child's connection string, tagged so the test can find (and end) its backends. */
function tagged(applicationName: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', applicationName);
  return u.toString();
}

async function terminate(applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ ended: boolean }>(
    'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return rows.filter((r) => r.ended).length;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('fault 1 — a PostgreSQL connection error kills the host', () => {
  it('fault 1: a terminated idle pooled connection does not kill the host', async () => {
    const app = `fault1_idle_${randomBytes(4).toString('hex')}`;
    const child = startChild('./poolChild.ts', [tagged(app), schema]);
    children.push(child);

    const first = await child.request({ op: 'append' });
    expect(first).toMatchObject({ ok: true, value: { result: { inserted: 1, duplicates: 0 } } });
    expect(first.stats).toEqual({ connectionErrors: 0 });

    // The pooled connection now sits idle: end it from the server side, as a restart or failover does.
    expect(await terminate(app)).toBeGreaterThan(0);
    const reported = await child.next((l) => l.event === 'onError');
    expect(reported).toMatchObject({ code: 'STORE_FAILED' });
    expect(String(reported.message)).toMatch(/pooled connection failed/);

    // Still alive, and the pool reconnects on next use.
    const again = await child.request({ op: 'append' });
    expect(again).toMatchObject({ ok: true, value: { result: { inserted: 1, duplicates: 0 } } });
    expect((again.stats as { connectionErrors: number }).connectionErrors).toBeGreaterThanOrEqual(1);
    expect(again.reported).toContain('STORE_FAILED');
    expect(child.alive()).toBe(true);

    expect(await child.request({ op: 'close' })).toMatchObject({ ok: true });
    // Exits on its own: the closed store holds no connection or timer.
    child.endInput();
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('fault 1: a connection terminated inside a job update transaction does not kill the host', async () => {
    const app = `fault1_tx_${randomBytes(4).toString('hex')}`;
    const child = startChild('./poolChild.ts', [tagged(app), schema]);
    children.push(child);
    const job = await child.request({ op: 'append' });
    const id = (job.value as { id: string }).id;

    // Hold the job's row lock so the child's updateJob waits inside its transaction on a checked-out client.
    const blocker = await admin.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM "${schema}".entries WHERE id = $1 FOR UPDATE`, [id]);
      const from = child.lines.length;
      child.send({ op: 'updateJob', id });
      await waitFor(async () => {
        const { rows } = await admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [app],
        );
        return rows.length > 0 ? true : undefined;
      });
      expect(await terminate(app)).toBeGreaterThan(0);
      const answer = await child.next((l) => l.event === 'answer', 20_000, from);
      expect(answer).toMatchObject({ op: 'updateJob', ok: false });
      expect(String(answer.error)).toMatch(/updateJob failed/);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }

    const after = await child.request({ op: 'updateJob', id });
    expect(after).toMatchObject({ ok: true, value: { updated: true } });
    // The failure went to its caller (updateJob rejected); the dead client was discarded, not reused.
    expect(child.alive()).toBe(true);
    expect(await child.request({ op: 'close' })).toMatchObject({ ok: true });
    // Exits on its own: the closed store holds no connection or timer.
    child.endInput();
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
