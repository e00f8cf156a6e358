/**
 * Retention under faults: a sink that fails or tears at every step of a run, on every store, never
 * leaves an entry that is neither in the store nor returned by the archive reader.
 *
 * Each case numbers the steps of one run (file-system calls of the folder sink, or calls of a sink that is
 * not all-or-nothing) and, for k = 0, 1, …, runs retention with step k faulted, checking after each run,
 * and a clean run. The loop ends at the first k the run never reaches.
 * Short form in CI: the faulted runs back to back on one org, then one clean run. `ACTIVITY_LONG=1`: a
 * fresh org per k, two faulted runs then a clean run each, and more months per org.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseStore } from '../src/clickhouse.js';
import { createPostgresStore } from '../src/postgres.js';
import {
  type ArchiveSink,
  createArchiveReader,
  createFolderArchiveSink,
  type FolderSinkFile,
  type FolderSinkFs,
  nodeFolderSinkFs,
} from '../src/server/archive.js';
import { createRetention, type OrgRetentionReport } from '../src/server/retention.js';
import { createSqliteStore } from '../src/sqlite/index.js';
import { createMemoryStore } from '../src/testing/index.js';
import type { ActivityEntry, ActivityStore } from '../src/types.js';

const LONG = process.env.ACTIVITY_LONG === '1';
const NOW = new Date('2026-06-15T00:00:00.000Z');
const CUTOFF = new Date(NOW.getTime() - 730 * 86_400_000).toISOString();
/** Months archived per org (one object each), entries per month, entries kept. */
const MONTHS = LONG ? 6 : 2;
const PER_MONTH = LONG ? 40 : 3;
const RECENT = 2;

/** How the faulted step fails. */
type Mode =
  | 'throw' // fails before doing anything
  | 'tear' // a write lands half its bytes then fails with ENOSPC; a read returns half the bytes
  | 'ackLost' // does its work, then fails
  | 'lie'; // a write lands half its bytes and succeeds; a read returns flipped bytes; a list drops a key
const MODES: Mode[] = ['throw', 'tear', 'ackLost', 'lie'];
/** Where the fault sits: the folder sink's file-system steps, or a sink that is not all-or-nothing. */
type Layer = 'fs' | 'sink';

/** Counts steps and fails the one at `at`. */
class Fault {
  private step = 0;
  fired: string | undefined;
  constructor(
    readonly at: number,
    readonly mode: Mode,
  ) {}

  /**
   * Runs one step: `torn` and `lie` replace it in those modes when given. In `lie` mode only steps that
   * can lie are counted (a lie elsewhere would be no fault at all).
   */
  async run<T>(op: string, real: () => Promise<T>, torn?: () => Promise<T>, lie?: () => Promise<T>) {
    if (this.mode === 'lie' && !lie) return real();
    if (this.step++ !== this.at) return real();
    this.fired = `${op} (${this.mode})`;
    switch (this.mode) {
      case 'throw':
        throw ioError(op);
      case 'tear':
        if (torn) return torn();
        throw ioError(op);
      case 'ackLost':
        await real();
        throw ioError(op);
      case 'lie':
        return lie ? lie() : real();
    }
  }
}

const ioError = (op: string) => Object.assign(new Error(`EIO: injected fault at ${op}`), { code: 'EIO' });
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
const half = (data: Uint8Array) => data.subarray(0, data.length >> 1);
const flipped = (data: Uint8Array) => {
  const copy = data.slice();
  copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0xff;
  return copy;
};

/** The folder sink's file system with the fault in it. */
function faultyFs(fault: Fault): FolderSinkFs {
  const real = nodeFolderSinkFs;
  return {
    mkdir: (path) => fault.run('mkdir', () => real.mkdir(path)),
    async create(path) {
      let opened: FolderSinkFile | undefined;
      const file = await fault
        .run('create', async () => {
          opened = await real.create(path);
          return opened;
        })
        .catch(async (error: unknown) => {
          // An acknowledgement lost after the open: release the descriptor the sink never received.
          await opened?.close();
          throw error;
        });
      return {
        write: (data) =>
          fault.run(
            'write',
            () => file.write(data),
            async () => {
              await file.write(half(data));
              throw enospc();
            },
            () => file.write(half(data)),
          ),
        sync: () =>
          fault.run(
            'sync',
            () => file.sync(),
            undefined,
            async () => undefined,
          ),
        // The descriptor is always released; the fault only changes what close reports.
        async close() {
          try {
            await fault.run('close', () => file.close());
          } catch (error) {
            await file.close().catch(() => undefined);
            throw error;
          }
        },
      };
    },
    rename: (from, to) =>
      fault.run(
        'rename',
        () => real.rename(from, to),
        undefined,
        async () => undefined,
      ),
    unlink: (path) => fault.run('unlink', () => real.unlink(path)),
    syncDir: (path) => fault.run('syncDir', () => real.syncDir(path)),
    readFile: (path) =>
      fault.run(
        'readFile',
        () => real.readFile(path),
        async () => half(await real.readFile(path)),
        async () => flipped(await real.readFile(path)),
      ),
    listFiles: (dir) =>
      fault.run(
        'listFiles',
        () => real.listFiles(dir),
        undefined,
        async () => (await real.listFiles(dir)).slice(1),
      ),
  };
}

/** A sink that is not all-or-nothing (an object store written in parts), with the fault in it. */
function faultySink(inner: ArchiveSink, fault: Fault): ArchiveSink {
  return {
    write: (key, data) =>
      fault.run(
        'write',
        () => inner.write(key, data),
        async () => {
          await inner.write(key, half(data));
          throw enospc();
        },
        () => inner.write(key, half(data)),
      ),
    read: (key) =>
      fault.run(
        'read',
        () => inner.read(key),
        async () => {
          const data = await inner.read(key);
          return data && half(data);
        },
        async () => {
          const data = await inner.read(key);
          return data && flipped(data);
        },
      ),
    list: (prefix) =>
      fault.run(
        'list',
        () => inner.list(prefix),
        undefined,
        async () => (await inner.list(prefix)).slice(1),
      ),
  };
}

/** Old entries over MONTHS months before the cutoff, and a few recent ones. */
function seedOrg(orgId: string): { old: ActivityEntry[]; recent: ActivityEntry[] } {
  const at = (iso: string): ActivityEntry => ({
    id: uuidv7(),
    orgId,
    occurredAt: iso,
    recordedAt: NOW.toISOString(),
    schemaVersion: 1,
    type: 'SYSTEM_EVENT',
    status: 'SUCCESS',
    actor: { kind: 'system', id: 'system', name: 'System' },
    action: 'fixture',
    metadata: { n: 1 },
  });
  const old: ActivityEntry[] = [];
  for (let m = 0; m < MONTHS; m++) {
    // Twelve hours apart from the 1st: at most 40 a month stay inside it.
    for (let i = 0; i < PER_MONTH; i++) old.push(at(new Date(Date.UTC(2023, m, 1, 12 * i)).toISOString()));
  }
  const recent = Array.from({ length: RECENT }, (_, i) => at(`2026-06-0${i + 1}T10:00:00.000Z`));
  return { old, recent };
}

/** Every entry of the org still in the store. */
async function storedIds(store: ActivityStore, orgId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let after: { occurredAt: string; id: string } | undefined;
  for (;;) {
    const page = await store.query({ orgId, limit: 1000, after });
    for (const e of page.entries) ids.add(e.id);
    if (!page.next) return ids;
    after = page.next;
  }
}

/** A view of the store that lists one org only, so each case's run touches its own org. */
function onlyOrg(store: ActivityStore, orgId: string): ActivityStore {
  return Object.assign(Object.create(store) as ActivityStore, { listOrgs: async () => [orgId] });
}

/** 0 entries neither in the store nor returned by the reader; the archive holds the seeded entries only. */
async function expectNothingLost(store: ActivityStore, dir: string, orgId: string, seeded: ActivityEntry[]) {
  const { entries } = await createArchiveReader(createFolderArchiveSink(dir)).read(orgId, {}, 100_000);
  const archived = new Map(entries.map((e) => [e.id, e]));
  const stored = await storedIds(store, orgId);
  const lost = seeded.filter((e) => !archived.has(e.id) && !stored.has(e.id)).map((e) => e.id);
  expect(lost).toEqual([]);
  const byId = new Map(seeded.map((e) => [e.id, e]));
  for (const e of entries) expect(e).toEqual(byId.get(e.id));
  return { archived, stored };
}

/** Runs retention for one org through a sink; returns the org's row. */
async function runOnce(store: ActivityStore, orgId: string, sink: ArchiveSink): Promise<OrgRetentionReport> {
  const report = await createRetention({ store: onlyOrg(store, orgId), sink, now: () => NOW }).run();
  return report.orgs[0] as OrgRetentionReport;
}

/** The sink of one faulted run. */
function sinkFor(layer: Layer, dir: string, fault: Fault): ArchiveSink {
  return layer === 'fs'
    ? createFolderArchiveSink(dir, { fs: faultyFs(fault) })
    : faultySink(createFolderArchiveSink(dir), fault);
}

/**
 * Short form: one org, faulted runs at step k = 0, 1, … back to back (each leaves its debris for the
 * next: torn objects, orphans, temporary files), checked after each, then a clean run. A run that purges
 * despite its fault (the fault was harmless) is followed by fresh old entries. Returns the steps faulted.
 */
async function faultInChain(store: ActivityStore, dir: string, layer: Layer, mode: Mode): Promise<number> {
  const orgId = `org_${layer}_${mode}_${randomBytes(3).toString('hex')}`;
  const seeded: ActivityEntry[] = [];
  const seedOld = async () => {
    const { old, recent } = seedOrg(orgId);
    const fresh = seeded.length === 0 ? [...old, ...recent] : old;
    seeded.push(...fresh);
    await store.append(fresh);
  };
  await seedOld();
  let k = 0;
  for (; k < 1000; k++) {
    const fault = new Fault(k, mode);
    const faulted = await runOnce(store, orgId, sinkFor(layer, dir, fault));
    if (faulted.error !== undefined) expect(faulted.purged).toBe(0);
    await expectNothingLost(store, dir, orgId, seeded);
    if (fault.fired === undefined) break;
    if (faulted.purged > 0) await seedOld();
  }
  await seedOld();
  const clean = await runOnce(store, orgId, createFolderArchiveSink(dir));
  expect(clean.error).toBeUndefined();
  await expectAllArchived(store, dir, orgId, seeded);
  return k;
}

/** After a clean run: every old entry archived and purged, every recent one kept. */
async function expectAllArchived(store: ActivityStore, dir: string, orgId: string, seeded: ActivityEntry[]) {
  const { archived, stored } = await expectNothingLost(store, dir, orgId, seeded);
  const old = seeded.filter((e) => e.occurredAt < CUTOFF);
  expect(old.filter((e) => !archived.has(e.id) || stored.has(e.id))).toEqual([]);
  expect([...stored].sort()).toEqual(
    seeded
      .filter((e) => e.occurredAt >= CUTOFF)
      .map((e) => e.id)
      .sort(),
  );
}

/**
 * Long form: for each k a fresh org, a run faulted at step k, (a second run faulted at another step,)
 * then a clean run, each checked. Returns the steps faulted.
 */
async function faultEachAlone(store: ActivityStore, dir: string, layer: Layer, mode: Mode): Promise<number> {
  for (let k = 0; k < 1000; k++) {
    const orgId = `org_${layer}_${mode}_${k}_${randomBytes(3).toString('hex')}`;
    const { old, recent } = seedOrg(orgId);
    const seeded = [...old, ...recent];
    await store.append(seeded);
    const fault = new Fault(k, mode);
    const faulted = await runOnce(store, orgId, sinkFor(layer, dir, fault));
    if (faulted.error !== undefined) expect(faulted.purged).toBe(0);
    await expectNothingLost(store, dir, orgId, seeded);
    const again = await runOnce(store, orgId, sinkFor(layer, dir, new Fault((k * 7 + 3) % (k + 5), mode)));
    if (again.error !== undefined) expect(again.purged).toBe(0);
    await expectNothingLost(store, dir, orgId, seeded);
    const clean = await runOnce(store, orgId, createFolderArchiveSink(dir));
    expect(clean.error).toBeUndefined();
    await expectAllArchived(store, dir, orgId, seeded);
    if (fault.fired === undefined) return k;
  }
  throw new Error('the run never stopped reaching the faulted step');
}

/**
 * Steps of a clean run, so a broken step counter cannot pass vacuously: per object mkdir, create, write,
 * sync, close, rename, syncDir, readFile (write, sync, rename, readFile can lie), then one listing.
 */
const stepsOf = (layer: Layer, mode: Mode) =>
  layer === 'sink' ? MONTHS * 2 + 1 : MONTHS * (mode === 'lie' ? 4 : 8) + 1;

interface StoreCase {
  name: string;
  /** Fault modes run in the short form (every mode in the long one). */
  ciModes?: Mode[];
  open(): Promise<ActivityStore>;
  close(store: ActivityStore): Promise<void>;
}

const pgUrl = process.env.ACTIVITY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
let sqliteDir: string | undefined;
let chClient: ClickHouseClient | undefined;
const pgSchema = `activity_faults_${randomBytes(5).toString('hex')}`;
const chDatabase = `activity_faults_${randomBytes(5).toString('hex')}`;

const STORES: StoreCase[] = [
  { name: 'memory', open: async () => createMemoryStore(), close: (s) => s.close() },
  {
    name: 'SQLite',
    open: async () => {
      sqliteDir = await mkdtemp(join(tmpdir(), 'activity-retention-faults-db-'));
      return createSqliteStore({ path: join(sqliteDir, 'activity.db') });
    },
    close: async (s) => {
      await s.close();
      if (sqliteDir) await rm(sqliteDir, { recursive: true, force: true });
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => createPostgresStore({ connectionString: pgUrl, schema: pgSchema }),
    close: async (s) => {
      await s.close();
      const admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
      await admin.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
      await admin.end();
    },
  },
  {
    name: 'ClickHouse',
    // A ClickHouse purge (a synchronous lightweight DELETE) takes about a second: in CI, the two modes that
    // damage data (torn and silently corrupt writes); the others run on the three faster stores.
    ciModes: ['tear', 'lie'],
    open: async () => {
      // chdb types its connection against another copy of @clickhouse/client-common; same runtime contract.
      type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
      chClient = createClient({
        connection: createChdbConnection({ path: ':memory:' }) as unknown as ClientConnection,
      });
      return createClickHouseStore({ client: chClient, database: chDatabase });
    },
    close: async (s) => {
      await s.close();
      await chClient?.command({ query: `DROP DATABASE IF EXISTS \`${chDatabase}\`` });
      await chClient?.close();
    },
  },
];

const casesOf = (modes: Mode[]) =>
  (['fs', 'sink'] as Layer[]).flatMap((layer) => modes.map((mode) => [layer, mode] as const));

describe.each(STORES)('fault 11 — retention under faults on the $name store', (storeCase) => {
  let store: ActivityStore;
  beforeAll(async () => {
    store = await storeCase.open();
  });
  afterAll(() => storeCase.close(store));

  it.each(casesOf(LONG ? MODES : (storeCase.ciModes ?? MODES)))(
    'fault 11: a %s fault (%s) at every step of a run purges nothing the reader cannot return',
    async (layer, mode) => {
      const dir = await mkdtemp(join(tmpdir(), 'activity-retention-faults-'));
      try {
        const steps = await (LONG ? faultEachAlone : faultInChain)(store, dir, layer, mode);
        expect(steps).toBe(stepsOf(layer, mode));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    LONG ? 600_000 : 60_000,
  );
});
