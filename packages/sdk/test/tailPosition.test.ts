/**
 * Fault 12: where the live tail starts. An entry of the millisecond the stream opened (or resumed) was taken
 * for one the client already had when the first poll found it, so it was never sent. The start is now
 * decided by each entry's own times, on every store (they share the tail; each keeps `occurredAt` to the
 * millisecond and treats `from` as inclusive), whatever the order of commits and polls.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import fc from 'fast-check';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseStore } from '../src/clickhouse.js';
import { createPostgresStore } from '../src/postgres.js';
import { createPositionCodec, type Position } from '../src/server/http.js';
import { createTailStream } from '../src/server/tail.js';
import { createSqliteStore } from '../src/sqlite/index.js';
import { createMemoryStore } from '../src/testing/index.js';
import type { ActivityEntry, ActivityStore } from '../src/types.js';
import { readEvents, waitFor } from './apiHarness.js';

const codec = createPositionCodec('tail-position-secret-0123456789');
/** The pinned opening instant of every stream in this file. */
const OPENED = Date.parse('2030-06-01T12:00:00.500Z');
const pgUrl = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

function entryAt(orgId: string, occurredMs: number, id: string, recordedMs = occurredMs): ActivityEntry {
  return {
    id,
    orgId,
    occurredAt: new Date(occurredMs).toISOString(),
    recordedAt: new Date(recordedMs).toISOString(),
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_t', name: 'T' },
    action: 'contact.updated',
    entity: { type: 'contact', id: id.slice(0, 20) },
  };
}

/**
 * The store as the tail sees it, with every read held until `release()`: lets a test commit entries
 * after the stream opened and before its first poll, the case that used to be lost.
 */
function gated(store: ActivityStore): { store: ActivityStore; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    store: {
      ...store,
      query: async (q) => {
        await gate;
        return store.query(q);
      },
      get: async (orgId, id) => {
        await gate;
        return store.get(orgId, id);
      },
    },
    release,
  };
}

type Events = ReturnType<typeof readEvents>;
const entriesOf = (events: Events) =>
  events.events.filter((e) => e.event === 'entry').map((e) => JSON.parse(e.data) as ActivityEntry);

/** Opens a tail at OPENED (or resumed) over `store` and returns its parsed events. */
function openTail(store: ActivityStore, orgId: string, resumeFrom?: Position) {
  const ac = new AbortController();
  const stream = createTailStream({
    store,
    orgId,
    filter: {},
    codec,
    pollMs: 5,
    resumeFrom,
    signal: ac.signal,
    now: () => new Date(OPENED),
  });
  const events = readEvents(new Response(stream));
  return {
    events,
    async stop() {
      ac.abort();
      await events.stop();
    },
  };
}

/** Ids that sort below, among and above uuidv7 ones: the old start position was (now, '\uffff'). */
const idsOfCase = (n: number) => [
  `00000000-0000-7000-8000-00000000000${n}`,
  uuidv7(),
  `ffffffff-ffff-7fff-bfff-fffffffffff${n}`,
  `evt_${n}_${randomBytes(3).toString('hex')}`,
];

interface StoreCase {
  name: string;
  make: () => Promise<ActivityStore>;
}
const cleanups: (() => Promise<void>)[] = [];
const storeCases: StoreCase[] = [
  { name: 'memory', make: async () => createMemoryStore() },
  {
    name: 'sqlite',
    async make() {
      const dir = await mkdtemp(join(tmpdir(), 'activity-tailpos-'));
      const store = createSqliteStore({ path: join(dir, 'activity.db') });
      cleanups.push(async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      });
      return store;
    },
  },
  {
    name: 'postgres',
    async make() {
      const schema = `activity_tailpos_${randomBytes(5).toString('hex')}`;
      const store = createPostgresStore({ connectionString: pgUrl, schema });
      cleanups.push(async () => {
        await store.close();
        const admin = new pg.Client({ connectionString: pgUrl });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      });
      return store;
    },
  },
  {
    name: 'clickhouse',
    async make() {
      const client: ClickHouseClient = createClient({
        connection: createChdbConnection({ path: ':memory:' }) as unknown as ClientConnection,
      });
      const database = `activity_tailpos_${randomBytes(5).toString('hex')}`;
      const store = createClickHouseStore({ client, database });
      cleanups.push(async () => {
        await store.close();
        await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
        await client.close();
      });
      return store;
    },
  },
];

afterAll(async () => {
  for (const clean of cleanups) await clean();
});

describe.each(storeCases)('fault 12 — tail start position ($name)', ({ name, make }) => {
  let store: ActivityStore;
  beforeAll(async () => {
    store = await make();
  }, 60_000);

  it('fault 12: an entry committed in the same millisecond the stream opened is delivered', async () => {
    // Each round forces the lost case: the stream has opened (clock pinned), the entries of its opening
    // millisecond are committed, and only then does its first poll run.
    for (let round = 0; round < 4; round++) {
      const orgId = `org_${name}_${round}`;
      const sameMs = idsOfCase(round).map((id) => entryAt(orgId, OPENED, id));
      const history = entryAt(orgId, OPENED - 3, uuidv7());
      const backdated = entryAt(orgId, OPENED - 3, uuidv7(), OPENED);
      await store.append([history]);
      const view = gated(store);
      const tail = openTail(view.store, orgId);
      try {
        await store.append([...sameMs, backdated]);
        view.release();
        const want = [...sameMs, backdated].map((e) => e.id).sort();
        await waitFor(() => entriesOf(tail.events).length >= want.length, 5000).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 40));
        const got = entriesOf(tail.events).map((e) => e.id);
        // Every one, once; the entry recorded before the stream opened stays with the list.
        expect([...got].sort(), `round ${round}`).toEqual(want);
        expect(got).not.toContain(history.id);
      } finally {
        await tail.stop();
      }
    }
  });

  it('fault 12: a resumed stream delivers an entry of its resume millisecond that sorts before the resume id', async () => {
    const orgId = `org_${name}_resume`;
    const last = entryAt(orgId, OPENED, 'evt_m');
    await store.append([entryAt(orgId, OPENED - 1, 'evt_old'), last]);
    const view = gated(store);
    const tail = openTail(view.store, orgId, { occurredAt: last.occurredAt, id: last.id });
    try {
      // Committed after the client's last event, in its millisecond: one id below it, one above.
      const missed = [entryAt(orgId, OPENED, 'evt_a'), entryAt(orgId, OPENED, 'evt_z')];
      await store.append(missed);
      view.release();
      await waitFor(() => entriesOf(tail.events).length >= 2, 5000).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 40));
      expect(entriesOf(tail.events).map((e) => e.id)).toEqual(['evt_a', 'evt_z']);
    } finally {
      await tail.stop();
    }
  });
});

describe('fault 12 — event ids', () => {
  it('fault 12: a late arrival carries its own position, so resuming after it cannot skip a newer late arrival', async () => {
    const store = createMemoryStore();
    const orgId = 'org_late';
    const tail = openTail(store, orgId);
    try {
      const newest = entryAt(orgId, OPENED + 50, 'evt_new');
      await store.append([newest]);
      await waitFor(() => entriesOf(tail.events).length === 1);
      // Two entries that occurred earlier, committed late, in one batch: the first may be the last event
      // a client gets before the stream ends.
      const late = [entryAt(orgId, OPENED + 10, 'evt_l1'), entryAt(orgId, OPENED + 20, 'evt_l2')];
      await store.append(late);
      await waitFor(() => entriesOf(tail.events).length === 3);
      const event = tail.events.events.find((e) => e.data.includes('evt_l1'));
      const position = await codec.decode(orgId, event?.id ?? '', 'Last-Event-ID');
      expect(position).toEqual({ occurredAt: late[0]!.occurredAt, id: 'evt_l1' });

      // Resuming from it replays the later one (and the newest again: a harmless duplicate), never skips it.
      const resumed = openTail(store, orgId, position);
      try {
        await waitFor(() => entriesOf(resumed.events).length >= 2);
        expect(entriesOf(resumed.events).map((e) => e.id)).toEqual(['evt_l2', 'evt_new']);
      } finally {
        await resumed.stop();
      }
    } finally {
      await tail.stop();
    }
  });
});

describe('fault 12 — random interleavings of commits and polls', () => {
  /** One step: commit a batch (the clock moves 0–2 ms first, ids random), or wait for a full poll. */
  const step = fc.oneof(
    fc.record({
      kind: fc.constant('append' as const),
      advance: fc.integer({ min: 0, max: 2 }),
      size: fc.integer({ min: 1, max: 4 }),
      backdate: fc.integer({ min: 0, max: 3 }),
    }),
    fc.record({ kind: fc.constant('poll' as const) }),
  );

  it.each(['memory', 'sqlite'] as const)(
    'fault 12: every entry committed after the stream opened is delivered exactly once, in order (%s)',
    async (kind) => {
      const base = await storeCases.find((c) => c.name === kind)!.make();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(step, { minLength: 1, maxLength: 12 }),
          fc.boolean(),
          async (steps, withBackdating) => {
            const orgId = `org_prop_${kind}_${run++}`;
            let scans = 0;
            const counted: ActivityStore = {
              ...base,
              query: (q) => {
                if (q.after === undefined && q.types === undefined) scans++;
                return base.query(q);
              },
            };
            // Recorded before the stream opened: the ones of its opening millisecond are sent, older ones not.
            const before = [entryAt(orgId, OPENED - 2, uuidv7()), entryAt(orgId, OPENED, uuidv7())];
            await base.append(before);
            const tail = openTail(counted, orgId);
            const committed: ActivityEntry[] = [before[1]!];
            let clock = OPENED;
            try {
              for (const s of steps) {
                if (s.kind === 'poll') {
                  // Two scans started after this point: the first of them saw everything committed so far.
                  const mark = scans;
                  await waitFor(() => scans >= mark + 2, 5000);
                  continue;
                }
                clock += s.advance;
                const batch = Array.from({ length: s.size }, () =>
                  entryAt(
                    orgId,
                    clock - (withBackdating ? s.backdate : 0),
                    randomBytes(8).toString('hex'),
                    clock,
                  ),
                );
                await base.append(batch);
                committed.push(...batch);
              }
              // One more scan than a step waits for: the events of the last full poll have reached the reader.
              const mark = scans;
              await waitFor(() => scans >= mark + 3, 5000);
              const got = entriesOf(tail.events);
              expect(got.map((e) => e.id).sort()).toEqual(committed.map((e) => e.id).sort());
              if (!withBackdating) {
                const times = got.map((e) => Date.parse(e.occurredAt));
                expect(times).toEqual([...times].sort((a, b) => a - b));
              }
            } finally {
              await tail.stop();
            }
          },
        ),
        { numRuns: 25 },
      );
    },
  );
});
