/**
 * Outage proof: the store becomes unreachable — (a) stopped: a private PostgreSQL shut down; (b) frozen:
 * a loopback proxy in front of the shared PostgreSQL that stops forwarding — while 500 events/s arrive.
 * Two hosts (child processes) record through it: one shuts down during the outage, the other after
 * recovery. Neither exits or has anything thrown into it, event-loop delay stays low, the counters'
 * identity holds, `shutdown({ timeoutMs: 5000 })` returns within 6 s in every phase, and no entry is
 * stored twice. Short form in CI (4 s outage); `ACTIVITY_LONG=1` holds the outage 30 s.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, type Line, startChild } from './child.js';
import { type PrivatePostgres, startPrivatePostgres } from './privatePostgres.js';
import { type FreezableProxy, startProxy } from './proxy.js';

const LONG = process.env.ACTIVITY_LONG === '1';
const RATE = 500;
const sharedUrl = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const cleanups: (() => Promise<unknown>)[] = [];
const children: Child[] = [];

afterAll(async () => {
  for (const c of children) if (c.alive()) c.process.kill('SIGKILL');
  for (const clean of cleanups.reverse()) await clean().catch(() => {});
});

interface Stats {
  calls: number;
  accepted: number;
  persisted: number;
  pending: number;
  rejected: Record<string, number>;
  dropped: Record<string, number>;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** The identity docs/event-model.md states: calls = accepted + rejected; accepted = persisted + dropped + pending. */
function expectIdentity(line: Line, phase: string): void {
  const s = line.stats as Stats;
  expect(s.calls, `calls = accepted + rejected (${phase})`).toBe(s.accepted + sum(s.rejected));
  expect(s.accepted, `accepted = persisted + dropped + pending (${phase})`).toBe(
    s.persisted + sum(s.dropped) + s.pending,
  );
}

/**
 * What the host felt: nothing thrown, a responsive event loop. The delay the process caused itself
 * (see outageChild.ts) must stay under 50 ms at p99 always; the raw `monitorEventLoopDelay` p99 also
 * counts time the OS did not run the process, so it is held to 50 ms only when the machine is not
 * oversubscribed (1-minute load below its CPU count), and reported either way.
 */
function expectUnhurt(line: Line, phase: string, log: string[]): void {
  const loop = line.eventLoop as {
    p99Ms: number;
    maxMs: number;
    ownP99Ms: number;
    ownMaxMs: number;
    load: number;
    cpus: number;
  };
  log.push(
    `${phase}: event-loop delay p99 ${loop.p99Ms.toFixed(1)} ms, max ${loop.maxMs.toFixed(1)} ms; ` +
      `own p99 ${loop.ownP99Ms.toFixed(1)} ms, max ${loop.ownMaxMs.toFixed(1)} ms; load ${loop.load.toFixed(1)}/${loop.cpus}`,
  );
  expect(line.thrown, `record() threw (${phase})`).toBe(0);
  expect(loop.ownP99Ms, `event-loop delay caused by the host itself, p99 (${phase})`).toBeLessThan(50);
  if (loop.load < loop.cpus) expect(loop.p99Ms, `event-loop delay p99 (${phase})`).toBeLessThan(50);
}

/** The store endpoint of a scenario, with the way to break and mend it. */
interface Endpoint {
  url: string;
  schema: string;
  begin(): Promise<void> | void;
  end(): Promise<void> | void;
  /** Runs SQL on the store's server directly (not through the broken path). */
  query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]>;
}

async function stoppedEndpoint(): Promise<Endpoint> {
  const server: PrivatePostgres = await startPrivatePostgres();
  cleanups.push(() => server.destroy());
  return {
    url: server.url,
    schema: 'activity',
    begin: () => server.stop(),
    end: () => server.start(),
    async query(sql, params) {
      const client = new pg.Client(server.url);
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
  };
}

async function frozenEndpoint(): Promise<Endpoint> {
  const shared = new URL(sharedUrl);
  const proxy: FreezableProxy = await startProxy({
    host: shared.hostname,
    port: Number(shared.port || 5432),
  });
  const admin = new pg.Pool({ connectionString: sharedUrl, max: 2 });
  const schema = `activity_outage_${randomBytes(5).toString('hex')}`;
  cleanups.push(async () => {
    await proxy.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
  const via = new URL(sharedUrl);
  via.hostname = '127.0.0.1';
  via.port = String(proxy.port);
  return {
    url: via.toString(),
    schema,
    begin: () => proxy.freeze(),
    end: () => proxy.thaw(),
    query: async (sql, params) => (await admin.query(sql, params)).rows,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a child's stats until `done` holds (or `timeoutMs` passes), checking the identity on each. */
async function statsUntil(child: Child, done: (s: Stats) => boolean, timeoutMs: number, phase: string) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const line = await child.request({ op: 'stats' });
    expectIdentity(line, phase);
    if (done(line.stats as Stats) || Date.now() > until) return line;
    await sleep(250);
  }
}

async function timedShutdown(child: Child): Promise<Line> {
  const started = performance.now();
  const line = await child.request({ op: 'shutdown' }, 15_000);
  const wallMs = performance.now() - started;
  expect(line.shutdownMs as number).toBeLessThan(6_000);
  expect(wallMs).toBeLessThan(6_000 + 1_000); // the command's own round trip on a busy machine
  return line;
}

async function prove(kind: 'stopped' | 'frozen', outageMs: number): Promise<void> {
  const endpoint = kind === 'stopped' ? await stoppedEndpoint() : await frozenEndpoint();
  const log: string[] = [];
  const org = (role: string) => `org_${kind}_${role}_${randomBytes(3).toString('hex')}`;
  const start = (orgId: string) => {
    const child = startChild('./outageChild.ts', [
      JSON.stringify({ url: endpoint.url, schema: endpoint.schema, orgId, rate: RATE }),
    ]);
    children.push(child);
    return child;
  };
  const shutDuring = { orgId: org('during'), child: undefined as unknown as Child };
  const survivor = { orgId: org('after'), child: undefined as unknown as Child };
  shutDuring.child = start(shutDuring.orgId);
  survivor.child = start(survivor.orgId);

  // Healthy: both hosts write.
  for (const host of [shutDuring, survivor]) {
    const line = await statsUntil(host.child, (s) => s.persisted > 0, 60_000, 'healthy');
    expect((line.stats as Stats).persisted).toBeGreaterThan(0);
    await host.child.request({ op: 'reset' });
  }

  await endpoint.begin();
  const outageStarted = Date.now();
  await sleep(outageMs);
  const mid = await statsUntil(survivor.child, () => true, 0, `${kind}, mid-outage`);
  expect((mid.stats as Stats).pending, 'entries wait while the store is away').toBeGreaterThan(0);
  expectUnhurt(mid, `${kind}, mid-outage (survivor)`, log);

  // Shut down during the outage: returns by its deadline, everything it could not write counted.
  const during = await timedShutdown(shutDuring.child);
  expectIdentity(during, `${kind}, shutdown during outage`);
  expectUnhurt(during, `${kind}, shutdown during outage`, log);
  const duringStats = during.stats as Stats;
  expect(duringStats.pending).toBe(0);
  expect(sum(duringStats.dropped)).toBeGreaterThan(0);
  log.push(
    `${kind}: shutdown during outage ${(during.shutdownMs as number).toFixed(0)} ms, dropped ${JSON.stringify(duringStats.dropped)}`,
  );
  expect(shutDuring.child.alive()).toBe(true);
  log.push(`${kind}: outage held ${Date.now() - outageStarted} ms`);

  await endpoint.end();
  // Recovery: the survivor drains its backlog, then shuts down cleanly.
  await statsUntil(survivor.child, (s) => s.pending < RATE, 90_000, `${kind}, recovery`);
  const after = await timedShutdown(survivor.child);
  expectIdentity(after, `${kind}, shutdown after recovery`);
  expectUnhurt(after, `${kind}, after recovery`, log);
  const afterStats = after.stats as Stats;
  expect(afterStats.pending).toBe(0);
  log.push(
    `${kind}: shutdown after recovery ${(after.shutdownMs as number).toFixed(0)} ms; survivor ${JSON.stringify({ persisted: afterStats.persisted, dropped: afterStats.dropped, storeErrors: after.storeErrors })}`,
  );
  expect(await survivor.child.request({ op: 'close' })).toMatchObject({ op: 'close' });
  survivor.child.endInput();
  expect(await survivor.child.exited, 'the survivor exits by itself once closed').toEqual({
    code: 0,
    signal: null,
  });
  shutDuring.child.process.kill('SIGTERM');

  // No entry twice; the survivor's store rows are exactly what it counted as persisted (nothing lost
  // from its counts, nothing extra), up to entries it counted as dropped whose write landed anyway.
  for (const host of [shutDuring, survivor]) {
    const [row] = await endpoint.query<{ n: number; ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM "${endpoint.schema}".entries WHERE org_id = $1`,
      [host.orgId],
    );
    expect(row?.n).toBe(row?.ids);
  }
  const [rows] = await endpoint.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${endpoint.schema}".entries WHERE org_id = $1`,
    [survivor.orgId],
  );
  expect(rows?.n).toBeGreaterThanOrEqual(afterStats.persisted);
  expect(rows?.n).toBeLessThanOrEqual(afterStats.persisted + sum(afterStats.dropped));
  console.info(`outage proof (${kind}, ${outageMs} ms)\n${log.join('\n')}`);
}

describe('outage proof — the store stopped', () => {
  it('short form: 4 s outage at 500 events/s', () => prove('stopped', 4_000), 240_000);
  it.runIf(LONG)(
    'long form (ACTIVITY_LONG=1): 30 s outage at 500 events/s',
    () => prove('stopped', 30_000),
    400_000,
  );
});

describe('outage proof — the store frozen (a proxy that stops forwarding)', () => {
  it('short form: 4 s outage at 500 events/s', () => prove('frozen', 4_000), 240_000);
  it.runIf(LONG)(
    'long form (ACTIVITY_LONG=1): 30 s outage at 500 events/s',
    () => prove('frozen', 30_000),
    400_000,
  );
});
