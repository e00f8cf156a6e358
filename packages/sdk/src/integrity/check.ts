/**
 * Checks an inclusion proof with Web Crypto only (SHA-256 and Ed25519 `subtle.verify`), so a browser can
 * confirm an entry against its signed digest without trusting the page's server for the math.
 * Browser-safe: no Node import. Served as `@activity/sdk/integrity/check`.
 */
import type { webcrypto } from 'node:crypto';
import { canonicalJson } from './canonical.js';
import type { Digest, InclusionProof, PublicKeyInfo } from './types.js';

export { canonicalJson, compareIds } from './canonical.js';
export type {
  Digest,
  EntryProofResponse,
  InclusionProof,
  IntegrityBreak,
  IntegrityKeysResponse,
  IntegrityVerifyResponse,
  PublicKeyInfo,
  VerifyResult,
} from './types.js';

/** Outcome of {@link checkProof}. */
export type ProofCheck =
  | { ok: true; digest: Digest }
  | { ok: false; reason: 'modified' | 'bad-proof' | 'bad-signature' | 'unsupported'; message: string };

const enc = new TextEncoder();

// Types only (erased): the sdk compiles without the DOM lib, and Node's Web Crypto types are the same API.
type Subtle = webcrypto.SubtleCrypto;

function subtle(): Subtle | undefined {
  return (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
}

async function sha256(parts: Uint8Array[]): Promise<Uint8Array> {
  const size = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    buf.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await (subtle() as Subtle).digest('SHA-256', buf));
}

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function fromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new Error('not hex');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function fromBase64url(text: string): Uint8Array {
  const b64 = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** RFC 9162 §2.1.3.2: the root an audit path leads to, or undefined when it does not fit the tree. */
async function rootFromPath(leaf: Uint8Array, index: number, size: number, path: Uint8Array[]) {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256([NODE, p, r]);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256([NODE, r, p]);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/**
 * Checks one entry's proof: the entry hashes to a leaf of the tree, the path leads to the digest's root,
 * and the digest is signed by `keys[digest.keyId]`. `unsupported` when this runtime's Web Crypto has no
 * Ed25519 (the hash part is then still checked).
 * @example const result = await checkProof(await (await fetch(`/api/activity/entries/${id}/proof`)).json(), keys);
 */
export async function checkProof(proof: InclusionProof, keys: readonly PublicKeyInfo[]): Promise<ProofCheck> {
  const crypto = subtle();
  if (!crypto) return { ok: false, reason: 'unsupported', message: 'Web Crypto is not available here' };
  const { digest } = proof;
  let root: Uint8Array | undefined;
  try {
    const leaf = await sha256([LEAF, enc.encode(canonicalJson(proof.entry))]);
    root = await rootFromPath(leaf, proof.leafIndex, proof.treeSize, proof.path.map(fromHex));
  } catch {
    root = undefined;
  }
  if (!root) return { ok: false, reason: 'bad-proof', message: 'the proof does not fit the digest' };
  if (hex(root) !== digest.root || proof.treeSize !== digest.entryCount) {
    return { ok: false, reason: 'modified', message: 'the entry is not what the digest sealed' };
  }
  const info = keys.find((k) => k.keyId === digest.keyId);
  if (!info) return { ok: false, reason: 'bad-signature', message: `no public key "${digest.keyId}"` };
  let key: webcrypto.CryptoKey;
  try {
    key = await crypto.importKey('jwk', info.jwk, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return { ok: false, reason: 'unsupported', message: 'this browser cannot verify Ed25519 signatures' };
  }
  const { signature, ...signed } = digest;
  let valid = false;
  try {
    valid = await crypto.verify(
      { name: 'Ed25519' },
      key,
      fromBase64url(signature),
      enc.encode(canonicalJson(signed)),
    );
  } catch {
    valid = false;
  }
  return valid
    ? { ok: true, digest }
    : { ok: false, reason: 'bad-signature', message: 'the digest signature does not verify' };
}
