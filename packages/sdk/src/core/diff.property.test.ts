import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldChange } from '../types.js';
import { diffObjects } from './diff.js';

/** Keys without dots (a dotted path cannot tell `a.b` from a key named "a.b"). */
const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    ),
    fc.array(tie('value'), { maxLength: 5 }),
    tie('object'),
  ),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
}));
const jsonObject = json.object as fc.Arbitrary<Record<string, unknown>>;

function setOwn(target: Record<string, unknown> | unknown[], segment: string, value: unknown): void {
  Object.defineProperty(target, segment, { value, enumerable: true, writable: true, configurable: true });
}

/** Applies field changes to a copy of `base`, the way a reader would replay a diff. */
function apply(base: Record<string, unknown>, changes: FieldChange[]): Record<string, unknown> {
  const result = structuredClone(base);
  for (const change of changes) {
    const segments = change.path.split('.');
    const last = segments.pop() as string;
    let parent: unknown = result;
    for (const segment of segments) parent = (parent as Record<string, unknown>)[segment];
    const container = parent as Record<string, unknown> | unknown[];
    if (change.kind === 'removed') {
      // Array removals are always at the tail (diffs are index-wise), so truncating replays them.
      if (Array.isArray(container)) container.length = Math.min(container.length, Number(last));
      else delete container[last];
    } else {
      setOwn(container, last, structuredClone(change.after));
    }
  }
  return result;
}

describe('diffObjects (properties)', () => {
  it('finds no change between a value and its deep copy', () => {
    fc.assert(
      fc.property(
        fc.object({ withDate: true, withNullPrototype: true, withBoxedValues: true, withSparseArray: true }),
        (value) => {
          expect(diffObjects(value, structuredClone(value))).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('turns a into b when its changes are applied to a', () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, (a, b) => {
        expect(apply(a, diffObjects(a, b, { maxChanges: 10_000 }))).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });

  it('still turns a into b when changes are rolled up past maxChanges', () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, fc.integer({ min: 1, max: 4 }), (a, b, maxChanges) => {
        const changes = diffObjects(a, b, { maxChanges });
        expect(changes.length).toBeLessThanOrEqual(maxChanges);
        // Only when no top-level cut happened can the rolled-up changes be replayed in full.
        if (
          diffObjects(a, b, { maxChanges: 10_000 }).filter((c) => !c.path.includes('.')).length < maxChanges
        ) {
          expect(apply(a, changes)).toEqual(b);
        }
      }),
      { numRuns: 300 },
    );
  });
});
