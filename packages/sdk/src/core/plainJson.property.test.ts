import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Check,
  isPlainJson,
  isSnapshotSafe,
  isStorableId,
  newCheck,
  resolveLimits,
  type ValidationLimits,
} from './sanitize.js';

/** Strings of arbitrary UTF-16 code units: NUL, lone surrogates and control characters included. */
const hostileString = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
});

const hostileValue = fc.anything({
  key: fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toJSON'),
  ),
  values: [hostileString, fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined)],
  maxDepth: 5,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
});

/** Plain JSON objects and arrays of up to 10 members, so the key and item counts cross their limits. */
const wideValue = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 10 }),
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 10 }),
);

/** Limits small enough that generated values cross each of them. */
const smallLimits = fc
  .record({
    maxBytes: fc.integer({ min: 8, max: 2000 }),
    maxDepth: fc.integer({ min: 1, max: 6 }),
    maxStringLength: fc.integer({ min: 1, max: 40 }),
    maxKeys: fc.integer({ min: 1, max: 8 }),
    maxArrayLength: fc.integer({ min: 1, max: 8 }),
  })
  .map((limits) => resolveLimits(limits));

function check(limits: ValidationLimits, forIn: boolean, dates: boolean): Check {
  return { ...newCheck(limits), forIn, dates };
}

describe('isPlainJson', () => {
  it('answers the same listing keys with for…in (the fast path) as with Object.keys', () => {
    fc.assert(
      fc.property(fc.oneof(hostileValue, wideValue), smallLimits, fc.boolean(), (value, limits, dates) => {
        const fast = isPlainJson(check(limits, true, dates), value, 0);
        const keys = isPlainJson(check(limits, false, dates), value, 0);
        expect(fast).toBe(keys);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers the same on JSON values under the default limits, as the writer meets them', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 14 }), (value) => {
        const parsed: unknown = JSON.parse(JSON.stringify(value));
        const limits = resolveLimits();
        expect(isPlainJson(check(limits, true, false), parsed, 0)).toBe(
          isPlainJson(check(limits, false, false), parsed, 0),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a parsed __proto__ key, a toJSON method and a cycle on the fast path', () => {
    const limits = resolveLimits();
    expect(isPlainJson(newCheck(limits), JSON.parse('{"a":{"__proto__":{"x":1}}}'), 0)).toBe(false);
    expect(isPlainJson(newCheck(limits), { a: { toJSON: () => 'x' } }, 0)).toBe(false);
    const hidden = {};
    Object.defineProperty(hidden, 'toJSON', { value: () => 1, enumerable: false });
    expect(isPlainJson(newCheck(limits), { a: hidden }, 0)).toBe(false);
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(isPlainJson({ ...newCheck(limits), maxString: limits.maxBytes }, cycle, 0)).toBe(false);
    expect(isPlainJson(newCheck(limits), { a: [1, 'x', { b: null }] }, 0)).toBe(true);
  });

  it('lists own keys only when Object.prototype carries an enumerable key', () => {
    const limits = resolveLimits({ maxKeys: 2 });
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = { deep: 1 };
    try {
      const polluted = newCheck(limits);
      expect(polluted.forIn).toBe(false);
      // Two own keys fit maxKeys: 2; the inherited third must not count against them.
      expect(isPlainJson(polluted, { a: 1, b: 2 }, 0)).toBe(true);
    } finally {
      delete proto.polluted;
    }
    expect(newCheck(limits).forIn).toBe(true);
  });
});

describe('isSnapshotSafe', () => {
  const base = {
    orgId: 'org_acme',
    occurredAt: '2026-03-01T12:00:00.000Z',
    recordedAt: '2026-03-01T12:00:00.050Z',
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_riley' },
    action: 'contact.updated',
  };

  it('refuses exactly the identifiers a store could not hold, through its cheap first test', () => {
    const limits = resolveLimits();
    fc.assert(
      fc.property(
        hostileString.filter((s) => s.length > 0 && s.length <= 256),
        (id) => {
          expect(isSnapshotSafe({ ...base, id }, limits)).toBe(isStorableId(id));
          expect(isSnapshotSafe({ ...base, id: 'x', actor: { kind: 'user', id } }, limits)).toBe(
            isStorableId(id),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
