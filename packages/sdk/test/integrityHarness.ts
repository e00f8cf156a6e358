/**
 * Shared scenario for the integrity tests of every store: seeded data sets with the awkward cases
 * (unicode, NUL-cleaned text, huge numbers, late entries, a job run that finishes after its start was
 * sealed), sealing in several rounds, and the tamper cases each store performs with its own SQL.
 */

import { generateKeyPairSync, sign } from 'node:crypto';
import { UUID } from 'uuidv7';
import { expect, it } from 'vitest';
import { validateEntry } from '../src/core/validate.js';
import {
  createSealer,
  type Digest,
  entryLeaf,
  generateSigningKey,
  type IntegrityStore,
  type Sealer,
  signedBytes,
  verifyIntegrity,
} from '../src/integrity.js';
import { generateActivity } from '../src/testing/index.js';
import type { ActivityEntry, ActivityStore } from '../src/types.js';

export const T0 = new Date('2026-03-15T12:00:00.000Z');
const MIN = 60_000;
export const SEALED_AT_2 = new Date(T0.getTime() + 30 * MIN);
export const VERIFY_AT = new Date(T0.getTime() + 40 * MIN);

export type IntegrityTestStore = ActivityStore & IntegrityStore;

/** What a store's test does to its rows with direct SQL. */
export interface Tamper {
  /** Column name → a change of that column of entry `id`. */
  columns: Record<string, (id: string) => Promise<void>>;
  deleteEntry(id: string): Promise<void>;
  /** Writes a row for `entry` with direct SQL (no seal row). */
  insertRow(entry: ActivityEntry): Promise<void>;
  /** Exchanges the stored entry data of two rows, leaving their ids and columns. */
  swapData(a: string, b: string): Promise<void>;
  /** Replaces a stored digest. */
  putDigest(digest: Digest): Promise<void>;
  /** Deletes digests with sequence ≥ `from`, and their seal rows when `seals` is true. */
  dropDigests(orgId: string, from: number, seals: boolean): Promise<void>;
  /** Adds a seal row, as a forger would to make an entry look sealed. */
  addSeal(orgId: string, id: string, sequence: number, leaf: string): Promise<void>;
}

/** A UUIDv7 at `ms` with seeded random bits. */
function idAt(ms: number, n: number): string {
  return UUID.fromFieldsV7(ms, n & 0xfff, (n * 7919) % 0x40000000, (n * 104729) % 0x100000000).toString();
}

function base(id: string, at: Date, orgId: string, extra: Partial<ActivityEntry>): ActivityEntry {
  return {
    id,
    orgId,
    occurredAt: at.toISOString(),
    recordedAt: at.toISOString(),
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_riley', name: 'Riley Park' },
    action: 'contact.updated',
    ...extra,
  };
}

/** Entries with the hard cases, cleaned by the recorder's own validation (NULs removed and so on). */
function awkward(seed: number, orgId: string): ActivityEntry[] {
  const at = (m: number) => new Date(T0.getTime() - m * MIN);
  const raw = [
    base(idAt(at(50).getTime(), seed), at(50), orgId, {
      summary: `Zoë 😀 مرحبا \u2028 ﬁ e\u0301 ${seed}`,
      entity: { type: 'contact', id: `ct_ü_${seed}`, label: 'Ünïcødé 名前 \ud83c\udf77' },
      metadata: { 'clé 🔑': 'välue', '\u00e9': 1, e: 2, '\ud800x': 'lone surrogate key' },
    }),
    base(idAt(at(49).getTime(), seed + 1), at(49), orgId, {
      summary: 'NUL\u0000 in\u0000 the middle',
      metadata: { note: 'a\u0000b', nested: { list: ['x\u0000', '\u0000'] } },
    }),
    base(idAt(at(48).getTime(), seed + 2), at(48), orgId, {
      metadata: JSON.parse(
        '{"big":1e308,"neg":-1.7976931348623157e308,"tiny":5e-324,"int":9007199254740993,"e21":1e21,"frac":0.1,"zero":-0}',
      ),
    }),
  ];
  return raw.map((e) => validateEntry(e).entry);
}

/** The job run whose start is recorded before the first seal and which finishes after it. */
function jobRun(seed: number, orgId: string): ActivityEntry {
  const at = new Date(T0.getTime() - 30 * MIN);
  return base(idAt(at.getTime(), seed + 3), at, orgId, {
    type: 'BACKGROUND_JOB',
    status: 'IN_PROGRESS',
    actor: { kind: 'system', id: 'system', name: 'System' },
    action: 'PROCESS_RELEASE_PAYMENTS',
    progress: { processed: 0, total: 10 },
  });
}

/** Entries recorded before the first seal that reach the store after it (inside its sealed range). */
function late(seed: number, orgId: string): ActivityEntry[] {
  const at = new Date(T0.getTime() - 10 * MIN);
  return [0, 1, 2].map((i) =>
    base(idAt(at.getTime() + i, seed + 10 + i), at, orgId, { summary: `late ${i}` }),
  );
}

/** A sealed store: two orgs, two rounds of sealing, every awkward case. */
export interface Sealed {
  store: IntegrityTestStore;
  sealer: Sealer;
  keys: Record<string, string>;
  keyId: string;
  privateKeyPem: string;
  runId: string;
}

/** Fills and seals a store with data set `seed` (entries per org ≈ count / 2 + 7). */
export async function sealScenario(store: IntegrityTestStore, seed: number, count = 80): Promise<Sealed> {
  const key = generateSigningKey();
  const orgs = ['org_a', 'org_b'];
  const entries = generateActivity({
    count,
    orgIds: orgs,
    seed,
    now: new Date(T0.getTime() - 60 * MIN),
    spanDays: 2,
  });
  const runs = orgs.map((o, i) => jobRun(seed * 10 + i, o));
  await store.append([...entries, ...orgs.flatMap((o, i) => awkward(seed * 10 + i, o)), ...runs]);
  const sealer = createSealer({
    store,
    signingKey: key.privateKeyPem,
    maxEntriesPerDigest: 16,
    now: () => T0,
  });
  await sealer.sealNow();
  await store.append(orgs.flatMap((o, i) => late(seed * 10 + i, o)));
  for (const run of runs) {
    const done = await store.updateJob(run.orgId, run.id, {
      status: 'SUCCESS',
      progress: { processed: 10, total: 10 },
      completedAt: new Date(T0.getTime() + 20 * MIN).toISOString(),
      durationMs: 50 * MIN,
    });
    expect(done).toBe(true);
  }
  const second = createSealer({
    store,
    signingKey: key.privateKeyPem,
    maxEntriesPerDigest: 16,
    now: () => SEALED_AT_2,
  });
  await second.sealNow();
  return {
    store,
    sealer: second,
    keys: { [key.keyId]: key.publicKeyPem },
    keyId: key.keyId,
    privateKeyPem: key.privateKeyPem,
    runId: (runs[0] as ActivityEntry).id,
  };
}

export const verifyA = (s: Sealed, extra: Partial<Parameters<typeof verifyIntegrity>[0]> = {}) =>
  verifyIntegrity({ store: s.store, orgId: 'org_a', keys: s.keys, now: () => VERIFY_AT, ...extra });

/** A sealed entry of org_a in digest 1, with an entity: the usual victim. */
export async function victim(s: Sealed, index = 3): Promise<{ id: string; sequence: number }> {
  const seals = await s.store.sealsOf('org_a', 1);
  const seal = seals[index % seals.length];
  if (!seal) throw new Error('no seal rows');
  return { id: seal.id, sequence: 1 };
}

/** Re-signs a digest with `privateKeyPem` after `change`. */
export function resign(d: Digest, privateKeyPem: string, change: Partial<Digest> = {}): Digest {
  const next = { ...d, ...change };
  return { ...next, signature: sign(null, signedBytes(next), privateKeyPem).toString('base64url') };
}

/**
 * The tamper cases, as `it` blocks: each opens a fresh sealed store, makes one change with direct SQL
 * and expects verify to name the kind and the first broken entry.
 */
export function tamperSuite(
  open: () => Promise<{ store: IntegrityTestStore; tamper: Tamper }>,
  columns: readonly string[],
): void {
  const fresh = async (seed = 3) => {
    const { store, tamper } = await open();
    const s = await sealScenario(store, seed, 40);
    expect(await verifyA(s)).toMatchObject({ ok: true });
    return { s, tamper };
  };

  for (const column of columns) {
    it(`detects a change of column ${column} as modified, naming the entry`, async () => {
      const { s, tamper } = await fresh();
      const v = await victim(s);
      const change = tamper.columns[column];
      if (!change) throw new Error(`no tamper for column ${column}`);
      await change(v.id);
      expect((await verifyA(s)).firstBreak).toMatchObject({
        kind: 'modified',
        entryId: v.id,
        digestSequence: 1,
      });
    });
  }

  it('detects a deleted entry, naming it', async () => {
    const { s, tamper } = await fresh();
    const v = await victim(s, 5);
    await tamper.deleteEntry(v.id);
    expect((await verifyA(s)).firstBreak).toMatchObject({
      kind: 'deleted',
      entryId: v.id,
      digestSequence: 1,
    });
  });

  it('detects a forged entry inside a sealed range, before and after the next seal', async () => {
    const { s, tamper } = await fresh();
    const seals = await s.store.sealsOf('org_a', 1);
    const [a, b] = [seals[2], seals[3]] as { id: string }[];
    const [row] = await s.store.rowsByIds([a?.id ?? '']);
    // Between two sealed ids, backdated to look like it was always there.
    const forgedId = `${a?.id}~`;
    expect(forgedId > (a?.id ?? '') && forgedId < (b?.id ?? '')).toBe(true);
    const old = new Date(T0.getTime() - 3 * 86_400_000).toISOString();
    await tamper.insertRow({
      ...(row?.entry as ActivityEntry),
      id: forgedId,
      occurredAt: old,
      recordedAt: old,
      summary: 'Refund approved',
    });
    expect((await verifyA(s)).firstBreak).toMatchObject({ kind: 'inserted', entryId: forgedId });
    // The next seal takes it in, but it arrived long after its time: still reported.
    await createSealer({ store: s.store, signingKey: s.privateKeyPem, now: () => VERIFY_AT }).sealNow(
      'org_a',
    );
    expect((await verifyA(s)).firstBreak).toMatchObject({ kind: 'inserted', entryId: forgedId });
  });

  it('detects a forged entry given a forged seal row of a sealed digest', async () => {
    const { s, tamper } = await fresh();
    const seals = await s.store.sealsOf('org_a', 1);
    const a = seals[1] as { id: string; leaf: string };
    const [row] = await s.store.rowsByIds([a.id]);
    const forgedId = `${a.id}~`;
    const forged = { ...(row?.entry as ActivityEntry), id: forgedId, summary: 'Refund approved' };
    await tamper.insertRow(forged);
    // Stored as the store would store it, so its leaf is what the forger computes.
    const [stored] = await s.store.rowsByIds([forgedId]);
    await tamper.addSeal('org_a', forgedId, 1, entryLeaf(stored?.entry as ActivityEntry).toString('hex'));
    expect((await verifyA(s)).firstBreak).toMatchObject({
      kind: 'inserted',
      entryId: forgedId,
      digestSequence: 1,
    });
  });

  it("detects two entries' data swapped as reordered, naming the first", async () => {
    const { s, tamper } = await fresh();
    const seals = await s.store.sealsOf('org_a', 1);
    const [x, y] = [seals[4]?.id ?? '', seals[7]?.id ?? ''];
    await tamper.swapData(x, y);
    expect((await verifyA(s)).firstBreak).toMatchObject({ kind: 'reordered', entryId: x, digestSequence: 1 });
  });

  it('detects a rewritten digest (root, count, chain link) as a bad signature', async () => {
    for (const change of [
      { root: '00'.repeat(32) },
      { entryCount: 1 },
      { previousDigestHash: 'ab'.repeat(32) },
    ]) {
      const { s, tamper } = await fresh();
      const [, second] = await s.store.listDigests('org_a');
      await tamper.putDigest({ ...(second as Digest), ...change });
      expect((await verifyA(s)).firstBreak, JSON.stringify(change)).toMatchObject({
        kind: 'bad-signature',
        digestSequence: 2,
      });
    }
  });

  it('detects a digest re-signed with another key, known id or not', async () => {
    const { s, tamper } = await fresh();
    const [, second] = await s.store.listDigests('org_a');
    const other = generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    await tamper.putDigest(resign(second as Digest, other, { root: 'cd'.repeat(32) }));
    expect((await verifyA(s)).firstBreak).toMatchObject({ kind: 'bad-signature', digestSequence: 2 });
    await tamper.putDigest(resign(second as Digest, other, { keyId: 'attacker' }));
    expect((await verifyA(s)).firstBreak).toMatchObject({ kind: 'bad-signature', digestSequence: 2 });
  });

  it('detects dropped newest digests: from their seal rows, and against a digest kept aside', async () => {
    const { s, tamper } = await fresh();
    const all = await s.store.listDigests('org_a');
    const newest = all[all.length - 1] as Digest;
    await tamper.dropDigests('org_a', newest.sequence - 1, false);
    expect((await verifyA(s)).firstBreak).toMatchObject({
      kind: 'truncated',
      digestSequence: newest.sequence - 1,
    });
    // A careful admin drops the seal rows too: only the published digest tells.
    await tamper.dropDigests('org_a', newest.sequence - 1, true);
    expect(await verifyA(s)).toMatchObject({ ok: true });
    expect((await verifyA(s, { digests: [newest] })).firstBreak).toMatchObject({
      kind: 'truncated',
      digestSequence: newest.sequence,
    });
  });

  it('detects a chain with a digest missing in the middle', async () => {
    const { s, tamper } = await fresh();
    const all = await s.store.listDigests('org_a');
    expect(all.length).toBeGreaterThanOrEqual(3);
    const middle = all[1] as Digest;
    await tamper.dropDigests('org_a', 2, false);
    for (const d of all.slice(2)) await tamper.putDigest(d);
    expect((await verifyA(s)).firstBreak).toMatchObject({
      kind: 'digest-chain-broken',
      digestSequence: middle.sequence + 1,
    });
  });
}

/** The clean runs: `sets` seeded data sets, each verified with 0 breaks on both orgs. */
export function cleanSuite(open: () => Promise<IntegrityTestStore>, sets: number): void {
  for (let seed = 1; seed <= sets; seed++) {
    it(`reports no break on data set ${seed} of ${sets} (unicode, NUL-cleaned text, huge numbers, late entries, job runs)`, async () => {
      const s = await sealScenario(await open(), seed * 101);
      for (const orgId of ['org_a', 'org_b']) {
        const result = await verifyA(s, { orgId });
        expect(result, `seed ${seed} ${orgId}`).toMatchObject({ ok: true });
        expect(result.checked.entries).toBeGreaterThan(20);
        expect(result.checked.unsealed).toBe(0);
      }
      // The run that finished after its start was sealed is sealed once, in a later digest.
      const runSeal = await s.store.sealOf('org_a', s.runId);
      expect(runSeal?.sequence).toBeGreaterThan(1);
    });
  }
}

export const LONG = process.env.ACTIVITY_LONG === '1';
