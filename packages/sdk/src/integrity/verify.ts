/**
 * `verifyIntegrity`: recomputes an org's digests, chain, signatures and entries from the store and
 * reports the first break. Needs only read access and the public keys: what an auditor runs.
 */
import type { KeyObject } from 'node:crypto';
import { ActivityError } from '../errors.js';
import { checkDigestEntries, readyAt } from './checkDigest.js';
import { digestHash, signatureValid } from './digest.js';
import { loadPublicKeys, type PublicKeys } from './keys.js';
import { IdRanges } from './ranges.js';
import type { Digest, IntegrityBreak, IntegrityStore, StoredRow, VerifyResult } from './types.js';

/** Default of {@link VerifyOptions.lateWindowMs}: 24 hours. */
export const DEFAULT_LATE_WINDOW_MS = 86_400_000;

/** Options of {@link verifyIntegrity}. */
export interface VerifyOptions {
  store: IntegrityStore;
  orgId: string;
  /** Public keys by key id: the current one and every retired one old digests name. */
  keys: PublicKeys | ReadonlyMap<string, KeyObject>;
  /**
   * Check only what can hold entries that occurred in [from, to): digests sealed from `from` on, up to
   * `to` plus the late window and two seal intervals. The chain link into the first one is checked too.
   */
  from?: string | undefined;
  to?: string | undefined;
  /** Digests the auditor kept aside (exported, published): the store must still hold each, unchanged. */
  digests?: readonly Digest[] | undefined;
  /**
   * How late an entry may legitimately reach the store after it was recorded (queue, retries, a replayed
   * buffer). An entry that turns up inside an already sealed id range later than this is `inserted`.
   * @default 86400000 (24 h)
   */
  lateWindowMs?: number | undefined;
  /** The sealer's interval, added to the late window. @default 300000 */
  intervalMs?: number | undefined;
  /** Clock, for tests. @default () => new Date() */
  now?: (() => Date) | undefined;
  /**
   * Most entries (sealed and unsealed) one call may check; past it, the call fails with
   * `INVALID_FILTER` on field `range` before reading more. @default no limit
   */
  maxEntries?: number | undefined;
  /**
   * Time (ms since the epoch, on `now`'s clock) by which the call must be done; past it, the call
   * fails with `TIMEOUT` on field `range`, checked between digests. @default no deadline
   */
  deadline?: number | undefined;
}

/** Fails the call when it has more to check than allowed, or ran past its deadline. */
class Budget {
  constructor(
    private readonly max: number,
    private readonly deadline: number,
    private readonly clock: () => Date,
  ) {}

  /** Called before checking `count` more entries, `checked` done so far. */
  spend(checked: number, count: number): void {
    if (checked + count > this.max) {
      throw new ActivityError(
        'INVALID_FILTER',
        `range: more than ${this.max} entries to check in one verify; narrow from/to`,
        { field: 'range', status: 400 },
      );
    }
    if (this.clock().getTime() >= this.deadline) {
      throw new ActivityError(
        'TIMEOUT',
        `range: verify did not finish by its deadline after ${checked} entries; narrow from/to`,
        { field: 'range', status: 503 },
      );
    }
  }
}

const UNSEALED_PAGE = 1000;

async function unsealedRows(store: IntegrityStore, orgId: string, budget: Budget): Promise<StoredRow[]> {
  const out: StoredRow[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await store.unsealedRows(orgId, { limit: UNSEALED_PAGE, afterId });
    out.push(...page);
    budget.spend(out.length, 0);
    if (page.length < UNSEALED_PAGE) return out;
    afterId = page[page.length - 1]?.rowId;
  }
}

function chainBreak(
  d: Digest,
  prev: Digest | undefined,
  orgId: string,
  keys: ReadonlyMap<string, KeyObject>,
): IntegrityBreak | undefined {
  const at = { digestSequence: d.sequence };
  const key = keys.get(d.keyId);
  if (!key || !signatureValid(d, key)) {
    const why = key ? 'its signature does not verify' : `no public key "${d.keyId}"`;
    return { kind: 'bad-signature', ...at, message: `digest #${d.sequence}: ${why}` };
  }
  const expected = prev ? digestHash(prev) : null;
  if (d.orgId !== orgId || d.previousDigestHash !== expected || d.sequence !== (prev?.sequence ?? 0) + 1) {
    return {
      kind: 'digest-chain-broken',
      ...at,
      message: `digest #${d.sequence} does not follow digest #${prev?.sequence ?? 0}`,
    };
  }
  return undefined;
}

function keptBreak(
  kept: readonly Digest[],
  all: Digest[],
  keys: ReadonlyMap<string, KeyObject>,
): IntegrityBreak | undefined {
  const bySeq = new Map(all.map((d) => [d.sequence, d]));
  const last = all[all.length - 1]?.sequence ?? 0;
  for (const k of [...kept].sort((a, b) => a.sequence - b.sequence)) {
    const at = { digestSequence: k.sequence };
    const key = keys.get(k.keyId);
    if (!key || !signatureValid(k, key)) {
      return {
        kind: 'bad-signature',
        ...at,
        message: `the kept digest #${k.sequence} is not signed by a known key`,
      };
    }
    const stored = bySeq.get(k.sequence);
    if (!stored && k.sequence > last) {
      return {
        kind: 'truncated',
        ...at,
        message: `the store ends at digest #${last}; digest #${k.sequence} was published`,
      };
    }
    if (!stored || digestHash(stored) !== digestHash(k)) {
      return {
        kind: 'digest-chain-broken',
        ...at,
        message: `digest #${k.sequence} in the store is not the published one`,
      };
    }
  }
  return undefined;
}

/**
 * Verifies an org: signatures, chain, kept digests, every sealed entry, and entries slipped into sealed
 * ranges. Resolves with the first break (digests in sequence order, entries in id order within one).
 * @example const result = await verifyIntegrity({ store, orgId: 'org_1', keys: { [keyId]: publicKeyPem } });
 */
export async function verifyIntegrity(options: VerifyOptions): Promise<VerifyResult> {
  const { store, orgId } = options;
  if (typeof orgId !== 'string' || orgId === '') {
    throw new ActivityError('INVALID_FILTER', 'orgId: required', { field: 'orgId' });
  }
  const keys = options.keys instanceof Map ? options.keys : loadPublicKeys(options.keys as PublicKeys);
  const lateMs = (options.lateWindowMs ?? DEFAULT_LATE_WINDOW_MS) + (options.intervalMs ?? 300_000);
  const now = (options.now ?? (() => new Date()))().getTime();
  const fromMs = options.from === undefined ? Number.NEGATIVE_INFINITY : Date.parse(options.from);
  const toMs =
    options.to === undefined
      ? Number.POSITIVE_INFINITY
      : Date.parse(options.to) + lateMs + (options.intervalMs ?? 300_000);
  const checked = { digests: 0, entries: 0, unsealed: 0 };
  const done = (firstBreak?: IntegrityBreak): VerifyResult =>
    firstBreak ? { ok: false, checked, firstBreak } : { ok: true, checked };

  const clock = options.now ?? (() => new Date());
  const budget = new Budget(
    options.maxEntries ?? Number.POSITIVE_INFINITY,
    options.deadline ?? Number.POSITIVE_INFINITY,
    clock,
  );
  const all = await store.listDigests(orgId);
  const unsealed = await unsealedRows(store, orgId, budget);
  checked.unsealed = unsealed.length;
  const movedRows = new Map<string, StoredRow>();
  for (const r of unsealed) if (r.entry && r.entry.id !== r.rowId) movedRows.set(r.entry.id, r);

  const earlier = new IdRanges();
  let runStart = Number.NEGATIVE_INFINITY;
  let previousRunStart = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < all.length; i++) {
    const d = all[i] as Digest;
    const started = Date.parse(d.runStartedAt);
    if (started !== runStart) {
      previousRunStart = runStart;
      runStart = started;
    }
    const sealed = Date.parse(d.sealedAt);
    const selected = sealed >= fromMs && sealed < toMs;
    const next = all[i + 1];
    const linksIntoSelected =
      next !== undefined && Date.parse(next.sealedAt) >= fromMs && !(sealed >= fromMs);
    if (selected || linksIntoSelected) {
      const broken = chainBreak(d, all[i - 1], orgId, keys);
      if (broken && (selected || broken.kind === 'bad-signature')) return done(broken);
    }
    if (selected) {
      budget.spend(checked.entries + checked.unsealed, d.entryCount);
      checked.digests++;
      const seals = await store.sealsOf(orgId, d.sequence);
      const rows = new Map((await store.rowsByIds(seals.map((s) => s.id))).map((r) => [r.rowId, r]));
      checked.entries += seals.length;
      const broken = checkDigestEntries({
        digest: d,
        orgId,
        seals,
        rows,
        movedRows,
        earlier,
        lateMs,
        previousRunStart,
      });
      if (broken) return done(broken);
    }
    // A seal takes the final unsealed entries in id order from the start, so each digest attests that
    // every final entry with an id up to its lastId was sealed when it was made: its horizon.
    earlier.add('', d.lastId);
  }

  const kept = keptBreak(options.digests ?? [], all, keys);
  if (kept) return done(kept);
  const lastSeq = all[all.length - 1]?.sequence ?? 0;
  const orphans = await store.orphanSeals(orgId, lastSeq);
  const orphan = orphans[0];
  if (orphan) {
    return done({
      kind: 'truncated',
      entryId: orphan.id,
      digestSequence: orphan.sequence,
      message: `entries claim digest #${orphan.sequence}, but the store ends at digest #${lastSeq}`,
    });
  }
  for (const r of unsealed) {
    const id = r.entry?.id ?? r.rowId;
    const ready = readyAt(r);
    if (earlier.has(r.rowId) && (Number.isNaN(ready) || now - ready > lateMs)) {
      return done({
        kind: 'inserted',
        entryId: id,
        message: `entry ${id} sits inside a sealed range and is not sealed`,
      });
    }
    // The newest seal run took every final entry present when it began: this one was final long before.
    if (ready + lateMs < runStart) {
      return done({
        kind: 'inserted',
        entryId: id,
        message: `entry ${id} was final long before the last seal run began, yet is not sealed`,
      });
    }
  }
  return done();
}
