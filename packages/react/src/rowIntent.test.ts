import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRowIntent } from './rowIntent.js';

describe('createRowIntent', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires for a row the pointer rests on, once', () => {
    const fired: string[] = [];
    const intent = createRowIntent((k) => fired.push(k), 80);
    intent.point('a');
    vi.advanceTimersByTime(50);
    intent.point('a');
    vi.advanceTimersByTime(40);
    expect(fired).toEqual(['a']);
  });

  it('does not fire for rows crossed while scrolling, nor after cancel', () => {
    const fired: string[] = [];
    const intent = createRowIntent((k) => fired.push(k), 80);
    for (const k of ['a', 'b', 'c', 'd']) {
      intent.point(k);
      vi.advanceTimersByTime(20);
    }
    intent.cancel();
    vi.advanceTimersByTime(500);
    expect(fired).toEqual([]);
    intent.point('e');
    vi.advanceTimersByTime(80);
    expect(fired).toEqual(['e']);
  });
});
