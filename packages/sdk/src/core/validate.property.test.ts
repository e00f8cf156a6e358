import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActivityError } from '../errors.js';
import { validateEntry } from './validate.js';

/** Strings of arbitrary UTF-16 code units: NUL, lone surrogates and control characters included. */
const hostileString = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
});
const hostileKey = fc.oneof(
  hostileString,
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', ''),
);

const hostileValue = fc.anything({
  key: hostileKey,
  values: [hostileString, fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined)],
  maxDepth: 14,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withObjectString: true,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
});

function entryWith(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    id: '0195f3c2-7a10-7c4e-9a3b-2f1d0c9b8a70',
    orgId: 'org_acme',
    occurredAt: '2026-03-01T12:00:00.000Z',
    recordedAt: '2026-03-01T12:00:00.050Z',
    schemaVersion: 1,
    type: 'WEBHOOK',
    status: 'SUCCESS',
    actor: { kind: 'external', id: 'stripe' },
    action: 'payment_intent.succeeded',
    ...fields,
  };
}

/** Runs validateEntry and returns the result, or undefined after checking the only thing thrown is an ActivityError. */
function attempt(candidate: unknown): ReturnType<typeof validateEntry> | undefined {
  try {
    return validateEntry(candidate);
  } catch (error) {
    expect(error).toBeInstanceOf(ActivityError);
    expect(['INVALID_EVENT', 'EVENT_TOO_LARGE']).toContain((error as ActivityError).code);
    return undefined;
  }
}

function expectStorable(result: ReturnType<typeof validateEntry>): void {
  const json = JSON.stringify(result.entry);
  expect(JSON.parse(json)).toEqual(result.entry);
  expect(result.bytes).toBe(Buffer.byteLength(json, 'utf8'));
  // Look for the character itself, in keys and values: the text `\\u0000` is legitimate data (a backslash
  // followed by "u0000"), which the earlier substring check on the JSON mistook for a NUL.
  expect(hasNul(result.entry)).toBe(false);
  // A lone surrogate would not survive a UTF-8 round trip; PostgreSQL jsonb rejects it.
  expect(new TextDecoder().decode(new TextEncoder().encode(json))).toBe(json);
}

/** True when a NUL character appears in any key or string value. */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, item]) => key.includes('\u0000') || hasNul(item));
}

/** The value with NUL characters removed from every key and string (what validation does to them). */
function stripNul(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('\u0000', '');
  if (Array.isArray(value)) return value.map(stripNul);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key.replaceAll('\u0000', ''), stripNul(item)]),
  );
}

const DANGEROUS = ['__proto__', 'constructor', 'prototype'];

function hasDangerousKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, item]) => DANGEROUS.includes(key) || hasDangerousKey(item));
}

describe('validateEntry (properties)', () => {
  it('never throws anything but an ActivityError on arbitrary input', () => {
    fc.assert(
      fc.property(hostileValue, (candidate) => {
        attempt(candidate);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts or rejects hostile metadata cleanly, and what it accepts round-trips JSON', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.dictionary(hostileKey, hostileValue, { maxKeys: 8 }),
        hostileString,
        (metadata, summary) => {
          const result = attempt(entryWith({ metadata, summary }));
          if (result === undefined) return;
          accepted++;
          expectStorable(result);
        },
      ),
      { numRuns: 400 },
    );
    // Guard against a vacuous property: plenty of hostile-but-acceptable inputs must get through.
    expect(accepted).toBeGreaterThan(40);
  });

  it('accepts any JSON metadata within the limits unchanged except for string cleaning', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary-ascii', minLength: 1 }), fc.jsonValue({ maxDepth: 6 }), {
          maxKeys: 10,
        }),
        (metadata) => {
          const result = attempt(entryWith({ metadata }));
          if (result === undefined) return;
          expectStorable(result);
          // NUL is the only thing binary-ascii strings can lose; -0 becomes 0 as in JSON.
          const expected = stripNul(JSON.parse(JSON.stringify(metadata)));
          // Dangerous keys are dropped at any depth, so only compare metadata that has none anywhere.
          if (!hasDangerousKey(expected)) {
            expect(result.entry.metadata).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
