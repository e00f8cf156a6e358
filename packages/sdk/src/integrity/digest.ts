/**
 * Building, signing, hashing and checking one digest. Signed bytes and chained hashes are the RFC 8785
 * JSON of the digest, so any language with a JCS library and Ed25519 can check them.
 */
import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import type { ActivityEntry } from '../types.js';
import { canonicalJson, compareIds } from './canonical.js';
import { hashLeaf, merkleRoot } from './merkle.js';
import { DIGEST_FORMAT, type Digest, type SealRow, type StoredRow, type UnsignedDigest } from './types.js';

/** The leaf hash of a stored entry: RFC 6962 leaf over its RFC 8785 JSON. */
export function entryLeaf(entry: ActivityEntry): Buffer {
  return hashLeaf(canonicalJson(entry));
}

/** The bytes a digest's signature covers: the RFC 8785 JSON of every field but `signature`. */
export function signedBytes(digest: UnsignedDigest | Digest): Buffer {
  const { signature: _omit, ...rest } = digest as Digest;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

/** SHA-256 (hex) of a digest's RFC 8785 JSON, signature included: the next digest's `previousDigestHash`. */
export function digestHash(digest: Digest): string {
  return createHash('sha256').update(canonicalJson(digest), 'utf8').digest('hex');
}

/** True when `digest.signature` is a valid Ed25519 signature by `key`. */
export function signatureValid(digest: Digest, key: KeyObject): boolean {
  try {
    return verify(null, signedBytes(digest), key, Buffer.from(digest.signature, 'base64url'));
  } catch {
    return false;
  }
}

/** The signer a sealer holds. */
export interface DigestSigner {
  keyId: string;
  privateKey: KeyObject;
}

/**
 * Makes the next digest of `orgId` over `rows` (sorted here by id, code point order) and its seal
 * rows, chained to `previous`. Rows whose entry could not be read are skipped by the caller.
 */
export function buildDigest(
  orgId: string,
  previous: Digest | undefined,
  rows: readonly StoredRow[],
  signer: DigestSigner,
  sealedAt: string,
  runStartedAt: string = sealedAt,
): { digest: Digest; seals: SealRow[] } | undefined {
  const sorted = rows.filter((r) => r.entry !== undefined || r.leaf !== undefined);
  // Stores read in id order already; sorting is only needed when one does not.
  if (!inIdOrder(sorted)) sorted.sort((a, b) => compareIds(a.rowId, b.rowId));
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) return undefined;
  const sequence = (previous?.sequence ?? 0) + 1;
  const leaves = sorted.map((r) => r.leaf ?? entryLeaf(r.entry as ActivityEntry));
  const unsigned: UnsignedDigest = {
    format: DIGEST_FORMAT,
    orgId,
    sequence,
    entryCount: sorted.length,
    firstId: first.rowId,
    lastId: last.rowId,
    root: merkleRoot(leaves).toString('hex'),
    previousDigestHash: previous ? digestHash(previous) : null,
    sealedAt,
    runStartedAt,
    keyId: signer.keyId,
  };
  const signature = sign(null, signedBytes(unsigned), signer.privateKey).toString('base64url');
  let seals: SealRow[] | undefined;
  return {
    digest: { ...unsigned, signature },
    // Made on first read: a store that writes its seal rows from its own columns never needs them.
    get seals() {
      seals ??= sorted.map((r, i) => ({
        id: r.rowId,
        sequence,
        leaf: Buffer.from(leaves[i] as Uint8Array).toString('hex'),
      }));
      return seals;
    },
  };
}

function inIdOrder(rows: readonly StoredRow[]): boolean {
  for (let i = 1; i < rows.length; i++) {
    if (compareIds((rows[i - 1] as StoredRow).rowId, (rows[i] as StoredRow).rowId) >= 0) return false;
  }
  return true;
}

/** Parses a digest read back from a store or a file; undefined when it is not one. */
export function parseDigest(text: string): Digest | undefined {
  try {
    const d = JSON.parse(text) as Digest;
    return typeof d === 'object' && d !== null && typeof d.sequence === 'number' ? d : undefined;
  } catch {
    return undefined;
  }
}
