/**
 * RFC 8785 (JSON Canonicalization Scheme) through the `canonicalize` package, and the one total order
 * of ids every store agrees on. Browser-safe: no Node import.
 */
import canonicalize from 'canonicalize';

/** The RFC 8785 canonical JSON text of a JSON value (sorted keys, ES number form, minimal escapes). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return text;
}

/**
 * Compares ids by Unicode code point, which is the byte order of their UTF-8 form: what SQLite's
 * BINARY, PostgreSQL's "C" collation and ClickHouse's String compare. JavaScript's `<` compares UTF-16
 * units, which puts U+E000–U+FFFF after astral characters; this does not.
 */
export function compareIds(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (D800–DFFF) stands for a code point above FFFF: it sorts after every BMP unit.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
