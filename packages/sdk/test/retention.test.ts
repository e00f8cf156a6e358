import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { uuidv7 } from 'uuidv7';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityRecorder } from '../src/core/api.js';
import { createActivity } from '../src/core/index.js';
import { ActivityError } from '../src/errors.js';
import {
  type ArchiveProblem,
  type ArchiveSink,
  archivePrefix,
  createArchiveReader,
  createFolderArchiveSink,
  decodeArchive,
  encodeArchive,
  orgKeySegment,
} from '../src/server/archive.js';
import { createRetention, msUntilUtcHour } from '../src/server/retention.js';
import { createSqliteStore } from '../src/sqlite/index.js';
import { createMemoryStore, generateActivity } from '../src/testing/index.js';
import type { ActivityEntry, ActivityStore } from '../src/types.js';

const NOW = new Date('2026-06-15T00:00:00.000Z');
const DAY = 86_400_000;
const ORGS = ['org_a', 'org_b', 'org_c'];
/** Three years of activity for three orgs: about a third falls outside the default 2-year window. */
const seed = generateActivity({ count: 3000, orgIds: ORGS, now: NOW, spanDays: 3 * 365, seed: 11 });
const olderThan = (orgId: string, days: number) =>
  seed.filter((e) => e.orgId === orgId && Date.parse(e.occurredAt) < NOW.getTime() - days * DAY);
const idsOf = (entries: readonly ActivityEntry[]) => entries.map((e) => e.id).sort();

/** A plain entry of `orgId` that occurred at `occurredAt`. */
function entryAt(orgId: string, occurredAt: string): ActivityEntry {
  return {
    id: uuidv7(),
    orgId,
    occurredAt,
    recordedAt: NOW.toISOString(),
    schemaVersion: 1,
    type: 'SYSTEM_EVENT',
    status: 'SUCCESS',
    actor: { kind: 'system', id: 'system', name: 'System' },
    action: 'fixture',
  };
}

/** The error a full disk gives. */
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

const stores: [string, (dir: string) => ActivityStore][] = [
  ['memory store', () => createMemoryStore()],
  ['SQLite store', (dir) => createSqliteStore({ path: join(dir, 'activity.db') })],
];

describe.each(stores)('createRetention on a %s', (_name, makeStore) => {
  let dir: string;
  let store: ActivityStore;
  let activity: ActivityRecorder;
  let sink: ArchiveSink;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'activity-retention-'));
    store = makeStore(dir);
    await store.append(seed);
    // Progress written at once, so the IN_PROGRESS entry can be checked mid-run.
    activity = createActivity({ store, progressIntervalMs: 0 });
    sink = createFolderArchiveSink(join(dir, 'archive'));
  });

  afterEach(async () => {
    await activity.shutdown();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The org's seeded entries still stored (retention's own entries are recorded at the real now, later). */
  const all = async (orgId: string) => {
    const out: ActivityEntry[] = [];
    let after: { occurredAt: string; id: string } | undefined;
    for (;;) {
      const page = await store.query({
        orgId,
        limit: 1000,
        after,
        to: new Date(NOW.getTime() + 1).toISOString(),
      });
      out.push(...page.entries);
      if (!page.next) return out;
      after = page.next;
    }
  };

  it('archives exactly the purged entries as gzip NDJSON per org and month, then purges them', async () => {
    const retention = createRetention({ store, activity, sink, now: () => NOW });
    const expected = olderThan('org_a', 730);
    expect(expected.length).toBeGreaterThan(50);

    const report = await retention.run();
    const a = report.orgs.find((o) => o.orgId === 'org_a');
    expect(a).toMatchObject({
      archived: expected.length,
      purged: expected.length,
      skipped: false,
      keepDays: 730,
    });
    expect(a?.cutoff).toBe(new Date(NOW.getTime() - 730 * DAY).toISOString());

    // One object per month (this run's), each holding that month's entries only; together the purged set.
    const prefix = archivePrefix('org_a');
    const keys = await sink.list(prefix);
    const months = [...new Set(expected.map((e) => e.occurredAt.slice(0, 7)))].sort();
    expect(keys.map((k) => k.slice(prefix.length, prefix.length + 7))).toEqual(months);
    expect(keys.every((k) => /^[^/]+\/\d{4}-\d{2}\/[^/]+\.ndjson\.gz$/.test(k))).toBe(true);
    const archived: ActivityEntry[] = [];
    for (const key of keys) {
      const raw = await readFile(join(dir, 'archive', key));
      const lines = gunzipSync(raw).toString('utf8').trimEnd().split('\n');
      const entries = lines.map((l) => JSON.parse(l) as ActivityEntry);
      const month = key.slice(prefix.length, prefix.length + 7);
      expect(entries.every((e) => e.occurredAt.startsWith(month) && e.orgId === 'org_a')).toBe(true);
      archived.push(...entries);
    }
    const byId = (x: ActivityEntry, y: ActivityEntry) => (x.id < y.id ? -1 : 1);
    expect(archived.sort(byId)).toEqual(structuredClone(expected).sort(byId));

    // The store keeps exactly the rest.
    const left = await all('org_a');
    expect(left.length).toBe(seed.filter((e) => e.orgId === 'org_a').length - expected.length);
    expect(left.every((e) => e.occurredAt >= (a?.cutoff ?? ''))).toBe(true);
  });

  it("archives a late entry of an archived month in a new object, leaving the earlier run's untouched", async () => {
    const retention = createRetention({ store, activity, sink, now: () => NOW });
    await retention.run();
    const old = olderThan('org_b', 730);
    const month = (old[0] as ActivityEntry).occurredAt.slice(0, 7);
    const monthPrefix = `${archivePrefix('org_b')}${month}/`;
    const [first] = await sink.list(monthPrefix);
    const firstBytes = (await sink.read(first as string)) as Uint8Array;
    // A late, backdated entry in an archived month.
    const late: ActivityEntry = { ...(old[0] as ActivityEntry), id: uuidv7(), idempotencyKey: undefined };
    await store.append([late]);
    const second = await retention.run();
    expect(second.orgs.find((o) => o.orgId === 'org_b')).toMatchObject({ archived: 1, purged: 1 });
    const keys = await sink.list(monthPrefix);
    expect(keys).toHaveLength(2);
    expect(await sink.read(first as string)).toEqual(firstBytes);
    const added = decodeArchive((await sink.read(keys.find((k) => k !== first) as string)) as Uint8Array);
    expect(added.map((e) => e.id)).toEqual([late.id]);
    const found = await createArchiveReader(sink).query('org_b', { from: `${month}-01T00:00:00Z` }, 10_000);
    expect(found.map((e) => e.id)).toContain(late.id);
  });

  it('never purges an org on legal hold, and reports it skipped', async () => {
    const retention = createRetention({ store, activity, sink, legalHolds: ['org_b'], now: () => NOW });
    const report = await retention.run();
    expect(report.orgs.find((o) => o.orgId === 'org_b')).toMatchObject({
      skipped: true,
      archived: 0,
      purged: 0,
    });
    expect((await all('org_b')).length).toBe(seed.filter((e) => e.orgId === 'org_b').length);
    expect(await sink.list(archivePrefix('org_b'))).toEqual([]);

    retention.setLegalHold('org_b', false, { kind: 'user', id: 'usr_admin', name: 'Admin' });
    retention.setLegalHold('org_a', true);
    const second = await retention.run();
    expect(second.orgs.find((o) => o.orgId === 'org_b')?.purged).toBe(olderThan('org_b', 730).length);
    expect(second.orgs.find((o) => o.orgId === 'org_a')).toMatchObject({ skipped: true, purged: 0 });
    await activity.flush();
    const holds = (await store.query({ orgId: 'org_b', from: NOW.toISOString(), types: ['SYSTEM_EVENT'] }))
      .entries;
    const released = holds.find((e) => e.action === 'retention.legal_hold_changed');
    expect(released?.metadata).toMatchObject({ legalHold: false, previous: true });
    expect(released?.actor.id).toBe('usr_admin');
  });

  it('applies per-org policies, including a purge without archive', async () => {
    const retention = createRetention({
      store,
      activity,
      sink,
      now: () => NOW,
      policies: { org_a: { keepDays: 365 }, org_c: { keepDays: 90, archive: false } },
    });
    retention.setPolicy('org_b', { keepDays: 900 });
    expect(retention.policyFor('org_b')).toEqual({ keepDays: 900, archive: true });
    const report = await retention.run();
    const get = (id: string) => report.orgs.find((o) => o.orgId === id);
    expect(get('org_a')).toMatchObject({ keepDays: 365, purged: olderThan('org_a', 365).length });
    expect(get('org_b')).toMatchObject({ keepDays: 900, purged: olderThan('org_b', 900).length });
    expect(get('org_c')).toMatchObject({ keepDays: 90, archived: 0, purged: olderThan('org_c', 90).length });
    expect(await sink.list(archivePrefix('org_c'))).toEqual([]);
    expect(report.purged).toBe(
      olderThan('org_a', 365).length + olderThan('org_b', 900).length + olderThan('org_c', 90).length,
    );

    await activity.flush();
    const changed = (await store.query({ orgId: 'org_b', from: NOW.toISOString() })).entries.find(
      (e) => e.action === 'retention.policy_changed',
    );
    expect(changed).toMatchObject({ type: 'SYSTEM_EVENT' });
    expect(changed?.metadata).toMatchObject({
      previous: { keepDays: 730, archive: true },
      policy: { keepDays: 900, archive: true },
    });
  });

  it('rejects an invalid policy with CONFIG naming the field', () => {
    const retention = createRetention({ store, sink });
    expect(() => retention.setPolicy('org_a', { keepDays: 0 })).toThrow(
      expect.objectContaining({ code: 'CONFIG', field: 'policy.keepDays' }),
    );
    expect(() => createRetention({ store, sink, policies: { org_x: { keepDays: 1.5 } } })).toThrow(
      ActivityError,
    );
  });

  it('records each run as a SYSTEM_EVENT with the counts, in each org', async () => {
    const retention = createRetention({ store, activity, sink, now: () => NOW, legalHolds: ['org_c'] });
    const report = await retention.run();
    await activity.flush();
    for (const org of report.orgs) {
      const runs = (
        await store.query({ orgId: org.orgId, from: NOW.toISOString(), types: ['SYSTEM_EVENT'] })
      ).entries.filter((e) => e.action === 'retention.run');
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: 'SUCCESS', actor: { kind: 'system' } });
      expect(runs[0]?.metadata).toMatchObject({
        archived: org.archived,
        purged: org.purged,
        cutoff: org.cutoff,
        legalHold: org.orgId === 'org_c',
      });
    }
  });

  it('purges nothing when the archive sink fails, and records the failure', async () => {
    const broken: ArchiveSink = {
      ...sink,
      write: async () => {
        throw new Error('bucket unreachable');
      },
    };
    const retention = createRetention({ store, activity, sink: broken, now: () => NOW });
    const report = await retention.run();
    expect(report.purged).toBe(0);
    for (const org of report.orgs) expect(org.error).toBe('bucket unreachable');
    for (const orgId of ORGS)
      expect((await all(orgId)).length).toBe(seed.filter((e) => e.orgId === orgId).length);
    await activity.flush();
    const run = (await store.query({ orgId: 'org_a', from: NOW.toISOString() })).entries.find(
      (e) => e.action === 'retention.run',
    );
    expect(run?.status).toBe('FAILED');
    expect(run?.error?.message).toBe('bucket unreachable');
  });

  it('keeps purged entries queryable through the archive reader', async () => {
    const retention = createRetention({ store, activity, sink, now: () => NOW });
    await retention.run();
    const reader = createArchiveReader(sink);
    const purged = olderThan('org_a', 730);
    const found = await reader.query('org_a', {}, 10_000);
    expect(found.map((e) => e.id).sort()).toEqual(purged.map((e) => e.id).sort());
    // Newest first, filtered, and never another org's.
    const target = purged[Math.floor(purged.length / 2)] as ActivityEntry;
    const day = Date.parse(target.occurredAt);
    const filter = {
      from: new Date(day - DAY).toISOString(),
      to: new Date(day + DAY).toISOString(),
      types: [target.type],
    };
    const narrow = await reader.query('org_a', filter);
    expect(narrow.map((e) => e.id)).toContain(target.id);
    expect(narrow.every((e) => e.type === target.type && e.orgId === 'org_a')).toBe(true);
    const times = narrow.map((e) => Date.parse(e.occurredAt));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect(await reader.query('org_a', {}, 3)).toHaveLength(3);
    expect(await reader.query('org_zzz', {})).toEqual([]);
  });

  it('fault 11: a failed run reports the entries it archived, in its report and its retention.run entry', async () => {
    // Every org's second archive write fails: its first month was written (and verified) before.
    const writes = new Map<string, number>();
    const failing: ArchiveSink = {
      ...sink,
      async write(key, data) {
        const org = key.split('/')[0] as string;
        writes.set(org, (writes.get(org) ?? 0) + 1);
        if (writes.get(org) === 2) throw new Error('bucket unreachable');
        return sink.write(key, data);
      },
    };
    const report = await createRetention({ store, activity, sink: failing, now: () => NOW }).run();
    await activity.flush();
    for (const orgId of ORGS) {
      const old = olderThan(orgId, 730);
      const newestMonth = old
        .map((e) => e.occurredAt.slice(0, 7))
        .sort()
        .at(-1);
      const firstObject = old.filter((e) => e.occurredAt.startsWith(newestMonth as string)).length;
      expect(firstObject).toBeGreaterThan(0);
      const row = report.orgs.find((o) => o.orgId === orgId);
      expect(row).toMatchObject({ archived: firstObject, purged: 0, error: 'bucket unreachable' });
      const run = (await store.query({ orgId, from: NOW.toISOString() })).entries.find(
        (e) => e.action === 'retention.run',
      );
      expect(run).toMatchObject({ status: 'FAILED' });
      expect(run?.metadata).toMatchObject({ archived: firstObject, purged: 0 });
    }
    expect(report.archived).toBeGreaterThan(0);
  });

  it('fault 11: archives an entry of year 0050 and the reader finds it through a date filter', async () => {
    const ancient = entryAt('org_a', '0050-06-15T12:00:00.000Z');
    await store.append([ancient]);
    const report = await createRetention({ store, sink, now: () => NOW }).run();
    const row = report.orgs.find((o) => o.orgId === 'org_a');
    expect(row).toMatchObject({ archived: olderThan('org_a', 730).length + 1 });
    expect(row?.error).toBeUndefined();
    expect(await store.get('org_a', ancient.id)).toBeUndefined();
    const found = await createArchiveReader(sink).query('org_a', {
      from: '0050-01-01T00:00:00.000Z',
      to: '0051-01-01T00:00:00.000Z',
    });
    expect(found.map((e) => e.id)).toEqual([ancient.id]);
    const june = await createArchiveReader(sink).query('org_a', {
      from: '0050-06-01T00:00:00.000Z',
      to: '0050-07-01T00:00:00.000Z',
    });
    expect(june).toEqual([ancient]);
  });

  it('fault 11: archives, purges and reads back an org whose id is 256 characters with "/", ".." and unicode', async () => {
    const orgId = `../${'ü/😀..'.repeat(40)}`.padEnd(256, 'x');
    expect(orgId.length).toBe(256);
    const old = [
      entryAt(orgId, '2023-01-10T00:00:00.000Z'),
      entryAt(orgId, '2023-01-20T00:00:00.000Z'),
      entryAt(orgId, '2023-03-05T00:00:00.000Z'),
    ];
    const recent = entryAt(orgId, '2026-06-01T00:00:00.000Z');
    await store.append([...old, recent]);
    const report = await createRetention({ store, sink, now: () => NOW }).run();
    const row = report.orgs.find((o) => o.orgId === orgId);
    expect(row?.error).toBeUndefined();
    expect(row).toMatchObject({ archived: 3, purged: 3 });
    expect(await store.get(orgId, recent.id)).toEqual(recent);
    expect(await store.get(orgId, (old[0] as ActivityEntry).id)).toBeUndefined();
    expect(idsOf(await createArchiveReader(sink).query(orgId))).toEqual(idsOf(old));
    // A safe, bounded folder name; another org never sees these entries.
    for (const key of await sink.list(archivePrefix(orgId))) {
      expect(key.split('/').every((segment) => segment.length <= 100)).toBe(true);
    }
    expect(await createArchiveReader(sink).query(orgId.slice(0, 255))).toEqual([]);
  });

  it('schedules daily runs on an unref timer at the given UTC hour', async () => {
    vi.useFakeTimers({ now: NOW });
    try {
      const retention = createRetention({ store, sink, now: () => new Date() });
      const stop = retention.schedule({ atUtcHour: 2 });
      expect(msUntilUtcHour(NOW, 2)).toBe(2 * 3_600_000);
      expect(msUntilUtcHour(new Date(NOW.getTime() + 3 * 3_600_000), 2)).toBe(23 * 3_600_000);
      await vi.advanceTimersByTimeAsync(2 * 3_600_000 - 1000);
      expect(await sink.list('')).toEqual([]);
      await vi.advanceTimersByTimeAsync(2000);
      // run() joins the scheduled run in flight instead of starting another.
      const report = await retention.run();
      stop();
      expect(report.startedAt).toBe(new Date(NOW.getTime() + 2 * 3_600_000).toISOString());
      expect(report.purged).toBe(ORGS.reduce((n, o) => n + olderThan(o, 730 - 1 / 12).length, 0));
      expect((await sink.list('')).length).toBeGreaterThan(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('fault 11 — retention never purges what the archive cannot return', () => {
  let dir: string;
  let store: ActivityStore;
  const orgA = seed.filter((e) => e.orgId === 'org_a');
  const purgedA = olderThan('org_a', 730);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'activity-retention-fault11-'));
    store = createMemoryStore();
    await store.append(orgA);
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fault 11: a write torn halfway (ENOSPC), then a good run: every purged entry reads back, the torn object is reported', async () => {
    const folder = createFolderArchiveSink(dir);
    let writes = 0;
    // An object store that is not all-or-nothing: half the bytes land, then the disk is full.
    const tearing: ArchiveSink = {
      ...folder,
      async write(key, data) {
        if (++writes !== 2) return folder.write(key, data);
        await folder.write(key, data.subarray(0, data.length >> 1));
        throw enospc();
      },
    };
    const first = await createRetention({ store, sink: tearing, now: () => NOW }).run();
    expect(first.orgs[0]).toMatchObject({ purged: 0, error: expect.stringContaining('ENOSPC') });
    const second = await createRetention({ store, sink: folder, now: () => NOW }).run();
    expect(second.orgs[0]?.error).toBeUndefined();
    expect(second.orgs[0]?.purged).toBe(purgedA.length);

    const problems: ArchiveProblem[] = [];
    const reader = createArchiveReader(folder, { onProblem: (p) => problems.push(p) });
    expect(idsOf(await reader.query('org_a', {}, 100_000))).toEqual(idsOf(purgedA));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.reason).toMatch(/torn or corrupt/);
    const read = await reader.read('org_a', {}, 100_000);
    expect(read.entries).toHaveLength(purgedA.length);
    expect(read.problems).toEqual(problems);
  });

  it('fault 11: reads a first-layout month file with a torn member between good ones, reporting the damage', async () => {
    const [a, b, c] = [0, 1, 2].map((i) =>
      [1, 2, 3].map((d) => entryAt('org.a', `2020-01-0${d}T0${i}:00:00.000Z`)),
    ) as [ActivityEntry[], ActivityEntry[], ActivityEntry[]];
    const torn = encodeArchive(b);
    // What the first layout left after a torn append followed by a good one.
    const file = Buffer.concat([encodeArchive(a), torn.subarray(0, torn.length - 9), encodeArchive(c)]);
    await mkdir(join(dir, 'org%2Ea'), { recursive: true });
    await writeFile(join(dir, 'org%2Ea', '2020-01.ndjson.gz'), file);
    const reader = createArchiveReader(createFolderArchiveSink(dir));
    // The query form returns the intact entries instead of throwing Z_DATA_ERROR for the whole org.
    expect(idsOf(await reader.query('org.a'))).toEqual(idsOf([...a, ...c]));
    const result = await reader.read('org.a', {
      from: '2020-01-01T00:00:00.000Z',
      to: '2020-02-01T00:00:00.000Z',
    });
    expect(idsOf(result.entries)).toEqual(idsOf([...a, ...c]));
    expect(result.problems).toEqual([
      { key: 'org%2Ea/2020-01.ndjson.gz', reason: expect.stringMatching(/torn or corrupt/) },
    ]);
  });

  it('fault 11: a sink that loses bytes without an error is caught by the read-back: nothing purged', async () => {
    const folder = createFolderArchiveSink(dir);
    const lying: ArchiveSink = {
      ...folder,
      write: (key, data) => folder.write(key, data.subarray(0, data.length - 1)),
    };
    const report = await createRetention({ store, sink: lying, now: () => NOW }).run();
    expect(report.orgs[0]).toMatchObject({ purged: 0, error: expect.stringMatching(/SHA-256/) });
    expect(report.orgs[0]?.archived).toBe(0);
    expect((await store.facets({ orgId: 'org_a' })).total).toBe(orgA.length);
  });

  it('fault 11: a sink whose listing misses an object purges nothing', async () => {
    const folder = createFolderArchiveSink(dir);
    const blind: ArchiveSink = { ...folder, list: async (prefix) => (await folder.list(prefix)).slice(1) };
    const report = await createRetention({ store, sink: blind, now: () => NOW }).run();
    expect(report.orgs[0]).toMatchObject({ purged: 0, error: expect.stringMatching(/not listed/) });
    expect(report.orgs[0]?.archived).toBe(purgedA.length);
    expect((await store.facets({ orgId: 'org_a' })).total).toBe(orgA.length);
  });

  it("fault 11: a sink that writes a new key per run under the month's prefix is visible to the reader", async () => {
    // An object store without append, as docs/retention.md suggests: each write puts a new key under the
    // month's prefix; `read` of the key written returns that object.
    const objects = new Map<string, Uint8Array>();
    const aliases = new Map<string, string>();
    let n = 0;
    const perRun: ArchiveSink = {
      async write(key, data) {
        const stored = `${key.replace(/\.ndjson\.gz$/, '')}/${String(++n).padStart(6, '0')}.ndjson.gz`;
        objects.set(stored, data.slice());
        aliases.set(key, stored);
      },
      async read(key) {
        return objects.get(key) ?? objects.get(aliases.get(key) ?? '');
      },
      async list(prefix) {
        return [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      },
    };
    const report = await createRetention({ store, sink: perRun, now: () => NOW }).run();
    expect(report.orgs[0]?.error).toBeUndefined();
    expect(report.orgs[0]?.purged).toBe(purgedA.length);
    expect(idsOf(await createArchiveReader(perRun).query('org_a', {}, 100_000))).toEqual(idsOf(purgedA));
  });
});

describe('createFolderArchiveSink', () => {
  it('refuses keys that could escape its folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'activity-sink-'));
    try {
      const sink = createFolderArchiveSink(join(dir, 'a'));
      for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a\\..\\x', 'a//b', './x', 'a\u0000b']) {
        await expect(sink.write(key, new Uint8Array([1]))).rejects.toMatchObject({
          code: 'CONFIG',
          field: 'key',
        });
      }
      expect(orgKeySegment('../evil')).toMatch(/^___evil\.[0-9a-f]{64}$/);
      await sink.write(`${archivePrefix('../evil')}2024-01/run.ndjson.gz`, new Uint8Array([1, 2]));
      expect(await sink.list('')).toEqual([`${orgKeySegment('../evil')}/2024-01/run.ndjson.gz`]);
      expect(await sink.read('missing/key')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
