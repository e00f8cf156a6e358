/**
 * Checks the entries of one digest against its signed root: which entry was deleted, changed, swapped
 * or slipped in, named by id where the seal rows let us.
 */
import { compareIds } from './canonical.js';
import { entryLeaf } from './digest.js';
import { merkleRoot } from './merkle.js';
import type { IdRanges } from './ranges.js';
import type { Digest, IntegrityBreak, SealRow, StoredRow } from './types.js';

/** What a digest check needs besides the digest. */
export interface DigestCheckInput {
  digest: Digest;
  orgId: string;
  seals: SealRow[];
  /** Stored rows of the sealed ids, by row id. */
  rows: Map<string, StoredRow>;
  /** Rows found under another id than their entry's (an id column changed), by the entry's id. */
  movedRows: Map<string, StoredRow>;
  /** Id ranges of the digests before this one. */
  earlier: IdRanges;
  /** How late an entry may legitimately reach the store, plus one seal interval. */
  lateMs: number;
  /** When the previous seal run began (ms), or -Infinity for the first run. */
  previousRunStart: number;
}

/** When an entry became final: a job run when it completed, anything else when it was recorded. */
export function readyAt(row: StoredRow): number {
  const e = row.entry;
  return e ? Date.parse(e.completedAt ?? e.recordedAt) : Number.NaN;
}

const fromHex = (hex: string) => Buffer.from(hex, 'hex');

function rowBreak(
  input: DigestCheckInput,
  seal: SealRow,
  leafOwners: Map<string, string>,
): IntegrityBreak | undefined {
  const { digest, orgId } = input;
  const at = { entryId: seal.id, digestSequence: digest.sequence };
  const row = input.rows.get(seal.id);
  if (!row) {
    const moved = input.movedRows.get(seal.id);
    return moved
      ? { kind: 'modified', ...at, message: `entry ${seal.id} is stored under another id (${moved.rowId})` }
      : { kind: 'deleted', ...at, message: `entry ${seal.id} of digest #${digest.sequence} is gone` };
  }
  if (!row.entry) return { kind: 'modified', ...at, message: `entry ${seal.id} is no longer valid JSON` };
  const leaf = entryLeaf(row.entry).toString('hex');
  if (leaf !== seal.leaf) {
    const owner = leafOwners.get(leaf);
    if (owner !== undefined && owner !== seal.id) {
      return { kind: 'reordered', ...at, message: `entry ${seal.id} holds the sealed content of ${owner}` };
    }
    return {
      kind: 'modified',
      ...at,
      message: `entry ${seal.id} differs from what digest #${digest.sequence} sealed`,
    };
  }
  if (row.rowOrgId !== orgId || row.entry.orgId !== orgId) {
    return { kind: 'modified', ...at, message: `entry ${seal.id} was moved to another org` };
  }
  // The leaf the store kept for sealing is a column like any other: it must agree with the entry.
  if (row.leaf !== undefined && Buffer.from(row.leaf).toString('hex') !== leaf) {
    return {
      kind: 'modified',
      ...at,
      message: `entry ${seal.id}: column leaf disagrees with the sealed entry`,
    };
  }
  if (row.columnMismatch !== undefined) {
    return {
      kind: 'modified',
      ...at,
      message: `entry ${seal.id}: column ${row.columnMismatch} disagrees with the sealed entry`,
    };
  }
  const ready = readyAt(row);
  if (input.earlier.has(seal.id) && Date.parse(digest.sealedAt) - ready > input.lateMs) {
    return {
      kind: 'inserted',
      ...at,
      message: `entry ${seal.id} was added inside an earlier sealed range after the late window`,
    };
  }
  // An earlier seal run took every final entry present when it began; this one was final long before.
  if (ready + input.lateMs < input.previousRunStart) {
    return {
      kind: 'inserted',
      ...at,
      message: `entry ${seal.id} was final long before an earlier seal run began, yet was sealed only later`,
    };
  }
  return undefined;
}

/** The first break of one digest's entries, or undefined when they are exactly what it sealed. */
export function checkDigestEntries(input: DigestCheckInput): IntegrityBreak | undefined {
  const { digest } = input;
  const seals = input.seals.slice().sort((a, b) => compareIds(a.id, b.id));
  const leafOwners = new Map(seals.map((s) => [s.leaf, s.id]));
  for (const seal of seals) {
    const found = rowBreak(input, seal, leafOwners);
    if (found) return found;
  }
  const root = merkleRoot(seals.map((s) => fromHex(s.leaf))).toString('hex');
  const intact =
    seals.length === digest.entryCount &&
    root === digest.root &&
    seals[0]?.id === digest.firstId &&
    seals[seals.length - 1]?.id === digest.lastId;
  if (intact) return undefined;
  // The seal rows themselves were changed: the entries agree with them but not with the signed root.
  const at = { digestSequence: digest.sequence };
  if (seals.length < digest.entryCount) {
    return {
      kind: 'deleted',
      ...at,
      message: `digest #${digest.sequence} sealed ${digest.entryCount} entries, ${seals.length} remain`,
    };
  }
  if (seals.length > digest.entryCount) {
    return {
      kind: 'inserted',
      ...at,
      entryId: extraSeal(seals, digest),
      message: `digest #${digest.sequence} sealed ${digest.entryCount} entries, ${seals.length} claim it`,
    };
  }
  return {
    kind: 'modified',
    ...at,
    message: `the entries of digest #${digest.sequence} no longer hash to its signed root`,
  };
}

/** The one seal row whose removal restores the signed root (small digests only: quadratic). */
function extraSeal(seals: SealRow[], digest: Digest): string | undefined {
  if (seals.length !== digest.entryCount + 1 || seals.length > 2048) return undefined;
  const leaves = seals.map((s) => fromHex(s.leaf));
  for (let i = 0; i < seals.length; i++) {
    const rest = leaves.slice(0, i).concat(leaves.slice(i + 1));
    if (merkleRoot(rest).toString('hex') === digest.root) return seals[i]?.id;
  }
  return undefined;
}
