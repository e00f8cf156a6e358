import { describe, expect, it } from 'vitest';
import { diffRows } from './diffRows.js';

describe('diffRows', () => {
  it('keeps a scalar change as one row with both values', () => {
    expect(diffRows([{ path: 'status', kind: 'changed', before: 'ACTIVE', after: 'VIP' }])).toEqual([
      {
        path: 'status',
        kind: 'changed',
        before: 'ACTIVE',
        after: 'VIP',
        hasBefore: true,
        hasAfter: true,
        redacted: false,
        depth: 0,
      },
    ]);
  });

  it('expands nested objects down to the leaves that differ', () => {
    const rows = diffRows([
      {
        path: 'address',
        kind: 'changed',
        before: { city: 'Napa', zip: '94558' },
        after: { city: 'Sonoma', zip: '94558', line2: 'Apt 4' },
      },
    ]);
    expect(rows.map((r) => [r.path, r.kind, r.before, r.after])).toEqual([
      ['address.city', 'changed', 'Napa', 'Sonoma'],
      ['address.line2', 'added', undefined, 'Apt 4'],
    ]);
    expect(rows[0]?.depth).toBe(1);
  });

  it('expands arrays by index and marks removed items', () => {
    const rows = diffRows([{ path: 'tags', kind: 'changed', before: ['a', 'b', 'c'], after: ['a', 'x'] }]);
    expect(rows.map((r) => [r.path, r.kind])).toEqual([
      ['tags.1', 'changed'],
      ['tags.2', 'removed'],
    ]);
  });

  it('expands an added object into added leaves', () => {
    const rows = diffRows([{ path: 'club', kind: 'added', after: { tier: 'Gold', since: '2026' } }]);
    expect(rows.map((r) => [r.path, r.kind, r.hasBefore, r.after])).toEqual([
      ['club.tier', 'added', false, 'Gold'],
      ['club.since', 'added', false, '2026'],
    ]);
  });

  it('hides redacted values', () => {
    const [row] = diffRows([
      { path: 'ssn', kind: 'changed', redacted: true, before: 'leak', after: 'leak2' },
    ]);
    expect(row).toMatchObject({ path: 'ssn', redacted: true, hasBefore: false, hasAfter: false });
    expect(row && 'before' in row).toBe(false);
  });

  it('distinguishes null from a missing side', () => {
    const [row] = diffRows([{ path: 'note', kind: 'changed', before: null, after: 'x' }]);
    expect(row).toMatchObject({ hasBefore: true, before: null, after: 'x' });
  });

  it('caps the number of rows', () => {
    const huge = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i]));
    expect(diffRows([{ path: 'blob', kind: 'added', after: huge }])).toHaveLength(500);
  });
});
