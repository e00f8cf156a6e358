/**
 * The RFC 6962 / RFC 9162 Merkle tree: leaf hash `SHA-256(0x00 || data)`, node hash
 * `SHA-256(0x01 || left || right)`, the tree split at the largest power of two below its size, and
 * standard inclusion proofs (audit paths).
 */
import { createHash } from 'node:crypto';

// Plain bytes and nothing computed at load: this module reaches browser bundles through the handler
// (Storybook's msw scenarios), where `Buffer` does not exist until a function actually runs.
const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** The leaf hash of `data` (a UTF-8 string or bytes). */
export function hashLeaf(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(LEAF).update(data).digest();
}

/** The interior node hash of two children. */
export function hashNode(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

/** SHA-256 of the empty string: the root of an empty tree (RFC 9162 §2.1.1). */
export function emptyRoot(): Buffer {
  return createHash('sha256').digest();
}

/**
 * The Merkle tree hash of the leaves. Pairing left to right and lifting an odd last node unchanged is
 * the same tree as RFC 6962's recursive split (the left subtree is always the largest power of two).
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return emptyRoot();
  let level: Uint8Array[] = leaves.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2)
      next.push(hashNode(level[i] as Uint8Array, level[i + 1] as Uint8Array));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array);
    level = next;
  }
  return Buffer.from(level[0] as Uint8Array);
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
    const next: Uint8Array[] = [];
    for (let j = 0; j + 1 < level.length; j += 2)
      next.push(hashNode(level[j] as Uint8Array, level[j + 1] as Uint8Array));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array);
    level = next;
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
