/**
 * The RFC 6962 / RFC 9162 Merkle tree: leaf hash `SHA-256(0x00 || data)`, node hash
 * `SHA-256(0x01 || left || right)`, the tree split at the largest power of two below its size, and
 * standard inclusion proofs (audit paths).
 */
import * as nodeCrypto from 'node:crypto';

// Nothing computed at load: this module reaches browser bundles through the handler (Storybook's msw
// scenarios), where `Buffer` does not exist until a function actually runs.

type OneShot = (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer;

/**
 * `crypto.hash` (Node 20.12+): one native call per hash, about three times faster than `createHash`
 * for short inputs, which is what a tree of a million nodes is made of. Read when called, not at load.
 */
function oneShot(): OneShot | undefined {
  const fn = (nodeCrypto as { hash?: unknown }).hash;
  return typeof fn === 'function' ? (fn as OneShot) : undefined;
}

function sha256(data: Uint8Array): Buffer {
  const hash = oneShot();
  return hash ? hash('sha256', data, 'buffer') : nodeCrypto.createHash('sha256').update(data).digest();
}

/** The leaf hash of `data` (a UTF-8 string or bytes). */
export function hashLeaf(data: string | Uint8Array): Buffer {
  if (typeof data === 'string') {
    const input = Buffer.allocUnsafe(1 + Buffer.byteLength(data, 'utf8'));
    input[0] = 0;
    input.write(data, 1, 'utf8');
    return sha256(input);
  }
  const input = Buffer.allocUnsafe(data.length + 1);
  input[0] = 0;
  input.set(data, 1);
  return sha256(input);
}

/** The interior node hash of two children. */
export function hashNode(left: Uint8Array, right: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** SHA-256 of the empty string: the root of an empty tree (RFC 9162 §2.1.1). */
export function emptyRoot(): Buffer {
  return nodeCrypto.createHash('sha256').digest();
}

/**
 * The Merkle tree hash of the leaves. Pairing left to right and lifting an odd last node unchanged is
 * the same tree as RFC 6962's recursive split (the left subtree is always the largest power of two).
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return emptyRoot();
  let level: Uint8Array[] = leaves.slice();
  while (level.length > 1) level = parents(level);
  return Buffer.from(level[0] as Uint8Array);
}

/** The next level up: pairs hashed left to right, an odd last node lifted unchanged. */
function parents(level: readonly Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = new Array(Math.ceil(level.length / 2));
  const hash = oneShot();
  // One buffer for every 32-byte pair: the copy is cheaper than allocating a million small inputs.
  const input = Buffer.allocUnsafe(65);
  input[0] = 1;
  for (let i = 0; i + 1 < level.length; i += 2) {
    const left = level[i] as Uint8Array;
    const right = level[i + 1] as Uint8Array;
    if (hash && left.length === 32 && right.length === 32) {
      input.set(left, 1);
      input.set(right, 33);
      next[i / 2] = hash('sha256', input, 'buffer');
    } else next[i / 2] = hashNode(left, right);
  }
  if (level.length % 2 === 1) next[next.length - 1] = level[level.length - 1] as Uint8Array;
  return next;
}

/** The audit path of leaf `index` (RFC 6962 §2.1.1 PATH), siblings from the leaf up. */
export function inclusionPath(leaves: readonly Uint8Array[], index: number): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`inclusionPath: index ${index} outside a tree of ${leaves.length}`);
  }
  const path: Buffer[] = [];
  let level: Uint8Array[] = leaves.slice();
  let i = index;
  while (level.length > 1) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < level.length) path.push(Buffer.from(level[sibling] as Uint8Array));
    level = parents(level);
    i = Math.floor(i / 2);
  }
  return path;
}

/**
 * The root an audit path leads to (RFC 9162 §2.1.3.2), or undefined when the path's length does not fit
 * the tree. Compare it with the signed root.
 */
export function rootFromPath(
  leaf: Uint8Array,
  index: number,
  size: number,
  path: readonly Uint8Array[],
  node: (left: Uint8Array, right: Uint8Array) => Uint8Array = hashNode,
): Uint8Array | undefined {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}
