/**
 * The leaf hash of an entry as a store writes it, computed from the entry object at write time so the
 * sealer can read 32 bytes per entry instead of parsing and canonicalising the stored JSON.
 */
import { canonicalJson } from './canonical.js';
import { hashLeaf } from './merkle.js';

// Keys that JavaScript enumerates first (array indices) or cannot set as own data properties by
// assignment: a copy with sorted keys would not keep their order, so such values take the library path.
const INDEX_KEY = /^(?:0|[1-9][0-9]*)$/;

class NeedsLibrary extends Error {}

/** `value` after `toJSON`, with every object's own keys in UTF-16 order (a copy only where needed). */
function sortedKeys(value: unknown, key: string): unknown {
  let v = value;
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON(key: string): unknown }).toJSON(key);
  }
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const next = sortedKeys(item, String(i));
      if (next !== item) {
        copy ??= v.slice();
        copy[i] = next;
      }
    }
    return copy ?? v;
  }
  const object = v as Record<string, unknown>;
  const keys = Object.keys(object);
  let inOrder = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (k === '__proto__' || INDEX_KEY.test(k)) throw new NeedsLibrary();
    if (i > 0 && (keys[i - 1] as string) > k) inOrder = false;
  }
  if (!inOrder) keys.sort();
  let copy: Record<string, unknown> | undefined = inOrder ? undefined : {};
  for (const k of keys) {
    const item = object[k];
    const next = sortedKeys(item, k);
    if (copy) copy[k] = next;
    else if (next !== item) {
      copy = {};
      for (const j of keys) {
        if (j === k) break;
        copy[j] = object[j];
      }
      copy[k] = next;
    }
  }
  return copy ?? v;
}

/**
 * The RFC 8785 JSON of what `JSON.stringify(value)` stores, that is
 * `canonicalJson(JSON.parse(JSON.stringify(value)))`, without the round trip: keys are put in UTF-16
 * order and the native serialiser writes numbers and strings exactly as RFC 8785 asks (it defines them
 * by ECMAScript's). Values with index-like or `__proto__` keys go through the library.
 */
export function storedCanonicalJson(value: unknown): string {
  try {
    const text = JSON.stringify(sortedKeys(value, ''));
    if (text === undefined) throw new TypeError('storedCanonicalJson: the value has no JSON form');
    return text;
  } catch (error) {
    if (!(error instanceof NeedsLibrary)) throw error;
    return canonicalJson(JSON.parse(JSON.stringify(value)));
  }
}

/** The RFC 6962 leaf hash of the entry a store writes as `JSON.stringify(entry)`. */
export function storedLeaf(entry: unknown): Buffer {
  return hashLeaf(storedCanonicalJson(entry));
}
