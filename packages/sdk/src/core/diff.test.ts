import { describe, expect, it } from 'vitest';
import { ActivityError } from '../errors.js';
import { diffObjects, summarizeChanges } from './diff.js';

describe('diffObjects', () => {
  it('reports changed, added and removed fields with dotted paths', () => {
    const before = { name: 'Alex', status: 'LEAD', phone: '555', address: { city: 'Lyon', zip: '69001' } };
    const after = { name: 'Alex', status: 'VIP', email: 'a@x.io', address: { city: 'Paris', zip: '69001' } };
    expect(diffObjects(before, after)).toEqual([
      { path: 'status', kind: 'changed', before: 'LEAD', after: 'VIP' },
      { path: 'phone', kind: 'removed', before: '555' },
      { path: 'address.city', kind: 'changed', before: 'Lyon', after: 'Paris' },
      { path: 'email', kind: 'added', after: 'a@x.io' },
    ]);
  });

  it('diffs arrays by index', () => {
    expect(diffObjects({ tags: ['a', 'b'] }, { tags: ['a', 'c', 'd'] })).toEqual([
      { path: 'tags.1', kind: 'changed', before: 'b', after: 'c' },
      { path: 'tags.2', kind: 'added', after: 'd' },
    ]);
    expect(diffObjects({ items: [{ qty: 1 }] }, { items: [{ qty: 2 }] })).toEqual([
      { path: 'items.0.qty', kind: 'changed', before: 1, after: 2 },
    ]);
  });

  it('reports a new or removed nested object as one change', () => {
    const shipping = { city: 'Lyon', lines: ['1 rue'] };
    expect(diffObjects({}, { shipping })).toEqual([{ path: 'shipping', kind: 'added', after: shipping }]);
    expect(diffObjects({ shipping }, {})).toEqual([{ path: 'shipping', kind: 'removed', before: shipping }]);
  });

  it('compares Dates by value', () => {
    expect(diffObjects({ at: new Date(1000) }, { at: new Date(1000) })).toEqual([]);
    const changes = diffObjects({ at: new Date(1000) }, { at: new Date(2000) });
    expect(changes).toHaveLength(1);
    expect(changes[0]?.path).toBe('at');
  });

  it('reports a type change (object → string, array → object) at its path', () => {
    expect(diffObjects({ a: { x: 1 } }, { a: 'x' })).toEqual([
      { path: 'a', kind: 'changed', before: { x: 1 }, after: 'x' },
    ]);
    expect(diffObjects({ a: [1] }, { a: { 0: 1 } })).toHaveLength(1);
    expect(diffObjects({ a: null }, { a: {} })).toEqual([
      { path: 'a', kind: 'changed', before: null, after: {} },
    ]);
  });

  it('treats null/undefined sides as empty objects (creation and deletion)', () => {
    expect(diffObjects(undefined, { a: 1 })).toEqual([{ path: 'a', kind: 'added', after: 1 }]);
    expect(diffObjects({ a: 1 }, null)).toEqual([{ path: 'a', kind: 'removed', before: 1 }]);
  });

  it('works on raw rows whose keys collide with Object.prototype names', () => {
    expect(diffObjects({}, { toString: 'x', constructor: 'y' })).toEqual([
      { path: 'toString', kind: 'added', after: 'x' },
      { path: 'constructor', kind: 'added', after: 'y' },
    ]);
    expect(diffObjects({ valueOf: 1 }, {})).toEqual([{ path: 'valueOf', kind: 'removed', before: 1 }]);
    const raw = Object.assign(Object.create(null), { id: 1, qty: 2 });
    expect(diffObjects(raw, { id: 1, qty: 3 })).toEqual([
      { path: 'qty', kind: 'changed', before: 2, after: 3 },
    ]);
  });

  it('skips ignored top-level keys, dotted paths and wildcard paths', () => {
    const before = { updatedAt: 1, meta: { syncedAt: 1, v: 1 }, items: [{ at: 1, q: 1 }] };
    const after = { updatedAt: 2, meta: { syncedAt: 2, v: 2 }, items: [{ at: 2, q: 2 }] };
    const paths = diffObjects(before, after, { ignore: ['updatedAt', 'meta.syncedAt', 'items.*.at'] }).map(
      (change) => change.path,
    );
    expect(paths).toEqual(['meta.v', 'items.0.q']);
  });

  it('rolls changes up to parent paths past maxChanges', () => {
    const row = (v: number) =>
      Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, { a: v, b: v }]));
    expect(diffObjects(row(1), row(2))).toHaveLength(20);
    const rolled = diffObjects(row(1), row(2), { maxChanges: 15 });
    expect(rolled).toHaveLength(10);
    expect(rolled[0]).toEqual({ path: 'f0', kind: 'changed', before: { a: 1, b: 1 }, after: { a: 2, b: 2 } });
    expect(diffObjects(row(1), row(2), { maxChanges: 4 })).toHaveLength(4);
  });

  it('is deterministic', () => {
    const a = { z: 1, a: { c: [1, 2], b: 2 } };
    const b = { a: { b: 3, c: [2] }, y: 1 };
    expect(diffObjects(a, b)).toEqual(diffObjects(a, b));
  });

  it('handles cycles without hanging', () => {
    const a: Record<string, unknown> = { v: 1 };
    a.self = a;
    const b: Record<string, unknown> = { v: 2 };
    b.self = b;
    expect(diffObjects(a, b).map((change) => change.path)).toContain('v');
  });

  it('turns absurd nesting into an ActivityError instead of a stack overflow', () => {
    const deep = (v: number) => {
      const root: Record<string, unknown> = {};
      let current = root;
      for (let i = 0; i < 10_000; i++) {
        const next: Record<string, unknown> = {};
        current.a = next;
        current = next;
      }
      current.v = v;
      return root;
    };
    expect(() => diffObjects(deep(1), deep(2))).toThrow(ActivityError);
  });

  it('rejects a nonsensical maxChanges', () => {
    expect(() => diffObjects({}, {}, { maxChanges: 0 })).toThrow(/maxChanges/);
  });
});

describe('summarizeChanges', () => {
  it('names changed top-level fields grouped by kind', () => {
    const changes = diffObjects(
      { tags: ['a'], status: 'LEAD', phone: '1' },
      { tags: ['a', 'b'], status: 'VIP', email: 'x' },
    );
    expect(summarizeChanges(changes)).toBe('tags, status changed; email added; phone removed');
  });

  it('counts the rest when many fields changed', () => {
    const before = { a: 1, b: 1, c: 1, d: 1, e: 1 };
    const after = { a: 2, b: 2, c: 2, d: 2, e: 2 };
    expect(summarizeChanges(diffObjects(before, after))).toBe('a, b, c, 2 more changed');
  });

  it('says so when nothing changed, and includes redacted fields', () => {
    expect(summarizeChanges([])).toBe('no changes');
    expect(summarizeChanges([{ path: 'ssn', kind: 'changed', redacted: true }])).toBe('ssn changed');
  });
});
