/**
 * Tamper evidence: the digest format, the verify report and the optional store side
 * ({@link IntegrityStore}). No runtime code and no Node import, so the browser check can import it.
 */
import type { ActivityEntry } from '../types.js';

/** Format tag of a digest, part of what is signed. */
export const DIGEST_FORMAT = 'activity-digest/1';

/** A signed tree head over one set of entries of one org, chained to the org's previous digest. */
export interface Digest {
  /** {@link DIGEST_FORMAT}. */
  format: typeof DIGEST_FORMAT;
  orgId: string;
  /** 1, 2, 3 … per org, without gaps. */
  sequence: number;
  /** Leaves of the Merkle tree: the entries sealed in this digest. */
  entryCount: number;
  /** Smallest and largest id sealed here, in code point order (the order of the leaves). */
  firstId: string;
  lastId: string;
  /** RFC 6962 Merkle tree hash over the leaves, lowercase hex. */
  root: string;
  /** SHA-256 (hex) of the previous digest's RFC 8785 JSON, signature included; null for sequence 1. */
  previousDigestHash: string | null;
  /** ISO time the digest was made. */
  sealedAt: string;
  /**
   * ISO time the seal run that made this digest began. A run seals every final entry present when it
   * began, so an entry recorded long before an earlier run began and sealed only later arrived too late.
   */
  runStartedAt: string;
  /** Which public key verifies {@link Digest.signature}. */
  keyId: string;
  /** Ed25519 signature (base64url) over the RFC 8785 JSON of every other field. */
  signature: string;
}

/** A digest before it is signed. */
export type UnsignedDigest = Omit<Digest, 'signature'>;

/** One sealed entry as the store keeps it beside the entry: which digest, and its leaf hash. */
export interface SealRow {
  id: string;
  sequence: number;
  /** RFC 6962 leaf hash (hex) of the entry's canonical JSON at sealing time. */
  leaf: string;
}

/** An entry as read back for checking: the row's own id, the parsed entry and whether its columns agree. */
export interface StoredRow {
  /** The id the row is stored (and looked up) under. */
  rowId: string;
  /** The org the row is stored under (its filter column), which may differ from the entry's after tampering. */
  rowOrgId: string;
  /** The parsed stored entry; undefined when the stored text is not JSON any more. */
  entry: ActivityEntry | undefined;
  /**
   * A filter or index column that disagrees with the stored entry (`status`, `occurred_at`, …): the
   * store's own consistency check, since those columns decide what a filter shows.
   */
  columnMismatch?: string | undefined;
  /**
   * The leaf hash the store computed when the entry became final (SQLite's `leafHashes`), when it keeps
   * one: sealing takes it instead of hashing the entry, and verify checks it against the entry.
   */
  leaf?: Uint8Array | undefined;
}

/** What the store does inside the sealing lock: given the org's last digest and the next entries, sign. */
export type SealBuilder = (
  previous: Digest | undefined,
  entries: StoredRow[],
) => { digest: Digest; seals: SealRow[] } | undefined;

/**
 * The store side of tamper evidence, implemented by every store of this package. Stores keep digests
 * and seal rows in their own tables; entries' stored bytes are never touched.
 */
export interface IntegrityStore {
  /**
   * Runs one seal of `orgId` under the org's exclusive lock: reads the last digest and up to `limit`
   * final (not IN_PROGRESS) unsealed entries with id greater than `afterId` (code point order), calls
   * `build`, and writes the digest and its seal rows atomically. Resolves with the new digest, or
   * undefined when there was nothing to seal.
   */
  sealBatch(
    orgId: string,
    options: { limit: number; afterId?: string | undefined },
    build: SealBuilder,
  ): Promise<Digest | undefined>;
  /** The org's digests with `sequence` in [from, to], in sequence order. */
  listDigests(orgId: string, range?: { from?: number; to?: number }): Promise<Digest[]>;
  /** Seal rows of one digest, in id (code point) order. */
  sealsOf(orgId: string, sequence: number): Promise<SealRow[]>;
  /** The seal row of one entry, if it is sealed. */
  sealOf(orgId: string, id: string): Promise<SealRow | undefined>;
  /** Seal rows whose sequence has no digest (after a truncation, or a seal interrupted mid-write). */
  orphanSeals(orgId: string, lastSequence: number): Promise<SealRow[]>;
  /**
   * Stored rows of the given ids in any org (missing ids are simply absent): a row moved to another
   * org is reported as changed, not as missing.
   */
  rowsByIds(ids: readonly string[]): Promise<StoredRow[]>;
  /** A page of final unsealed rows, id order, ids greater than `afterId`. */
  unsealedRows(orgId: string, options: { limit: number; afterId?: string | undefined }): Promise<StoredRow[]>;
}

/** Kinds of break {@link VerifyResult.firstBreak} reports. */
export type BreakKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'digest-chain-broken'
  | 'bad-signature'
  | 'truncated';

/** The first thing found wrong. */
export interface IntegrityBreak {
  kind: BreakKind;
  /** The first entry (in id order within the digest) that is wrong, when one can be named. */
  entryId?: string | undefined;
  /** The digest the break is in, or the one that is missing or wrong. */
  digestSequence?: number | undefined;
  /** One line for people. */
  message: string;
}

/** What `verify` found. */
export interface VerifyResult {
  ok: boolean;
  /** Entries and digests checked. */
  checked: { digests: number; entries: number; unsealed: number };
  firstBreak?: IntegrityBreak | undefined;
}

/** An inclusion proof: enough to check one entry against its signed digest alone. */
export interface InclusionProof {
  /** The entry exactly as stored (what the leaf hashes). */
  entry: ActivityEntry;
  /** Position of the leaf in the digest's tree (0-based) and the tree's size. */
  leafIndex: number;
  treeSize: number;
  /** Sibling hashes from the leaf up (RFC 6962 audit path), hex. */
  path: string[];
  digest: Digest;
}

/** A public key as `GET /integrity/keys` serves it (a JWK both Node and Web Crypto import). */
export interface PublicKeyInfo {
  keyId: string;
  algorithm: 'Ed25519';
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
}

/** `GET /entries/:id/proof`: the proof once the entry is sealed. */
export type EntryProofResponse =
  | { sealed: true; intervalMs: number; proof: InclusionProof }
  | { sealed: false; intervalMs: number };

/** `GET /integrity/keys`. */
export interface IntegrityKeysResponse {
  keys: PublicKeyInfo[];
  /** How often the sealer runs. */
  intervalMs: number;
}

/** `GET /integrity/verify`: the verify result and the range it covered. */
export interface IntegrityVerifyResponse extends VerifyResult {
  from: string | null;
  to: string | null;
}
