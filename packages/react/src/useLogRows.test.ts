import { describe, expect, it } from 'vitest';
import { moveIndex, progressPercent, shouldLoadMore } from './useLogRows.js';

describe('useLogRows helpers', () => {
  it('moves the active row with arrows, j/k, Home/End and pages, clamped', () => {
    expect(moveIndex('j', -1, 5)).toBe(0);
    expect(moveIndex('ArrowDown', 3, 5)).toBe(4);
    expect(moveIndex('j', 4, 5)).toBe(4);
    expect(moveIndex('k', 0, 5)).toBe(0);
    expect(moveIndex('ArrowUp', 3, 5)).toBe(2);
    expect(moveIndex('End', 0, 5)).toBe(4);
    expect(moveIndex('Home', 4, 5)).toBe(0);
    expect(moveIndex('PageDown', 0, 50, 10)).toBe(10);
    expect(moveIndex('x', 0, 5)).toBeUndefined();
    expect(moveIndex('j', 0, 0)).toBeUndefined();
  });
  it('asks for the next page only near the end, once', () => {
    expect(shouldLoadMore(15, 50, true, false)).toBe(false);
    expect(shouldLoadMore(39, 50, true, false)).toBe(true);
    expect(shouldLoadMore(49, 50, true, true)).toBe(false);
    expect(shouldLoadMore(49, 50, false, false)).toBe(false);
  });
  it('computes progress percent only with a total', () => {
    expect(progressPercent({ processed: 25, total: 100 })).toBe(25);
    expect(progressPercent({ processed: 300, total: 100 })).toBe(100);
    expect(progressPercent({ processed: 3 })).toBeUndefined();
  });
});
