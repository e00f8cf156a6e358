import { describe, expect, it } from 'vitest';
import {
  inSelection,
  isCalendarDay,
  monthGrid,
  moveByKey,
  selectDay,
  selectionBounds,
  selectionFromBounds,
  todayInZone,
} from './calendar.js';

describe('monthGrid', () => {
  it('covers the month in whole weeks starting on the given weekday', () => {
    const sunday = monthGrid('2026-03-15', 0);
    expect(sunday[0]?.[0]).toBe('2026-03-01'); // 1 March 2026 is a Sunday
    expect(sunday.at(-1)?.at(-1)).toBe('2026-04-04');
    expect(sunday.every((w) => w.length === 7)).toBe(true);
    const monday = monthGrid('2026-03-15', 1);
    expect(monday[0]?.[0]).toBe('2026-02-23');
    expect(monday.flat()).toContain('2026-03-31');
  });
});

describe('moveByKey', () => {
  it('moves by day, week, week end and month, across month and year ends', () => {
    expect(moveByKey('2026-03-31', 'ArrowRight')).toBe('2026-04-01');
    expect(moveByKey('2026-01-01', 'ArrowLeft')).toBe('2025-12-31');
    expect(moveByKey('2026-03-03', 'ArrowDown')).toBe('2026-03-10');
    expect(moveByKey('2026-03-03', 'ArrowUp')).toBe('2026-02-24');
    expect(moveByKey('2026-03-04', 'Home', { weekStartsOn: 1 })).toBe('2026-03-02');
    expect(moveByKey('2026-03-04', 'End', { weekStartsOn: 0 })).toBe('2026-03-07');
    expect(moveByKey('2026-03-31', 'PageUp')).toBe('2026-02-28');
    expect(moveByKey('2026-03-31', 'PageDown', { shiftKey: true })).toBe('2027-03-31');
    expect(moveByKey('2026-03-31', 'x')).toBeUndefined();
  });
});

describe('selectDay', () => {
  it('starts a range, ends it in either order, and starts over on a third click', () => {
    const one = selectDay({}, '2026-03-10');
    expect(one).toEqual({ start: '2026-03-10', end: undefined });
    expect(selectDay(one, '2026-03-12')).toEqual({ start: '2026-03-10', end: '2026-03-12' });
    expect(selectDay(one, '2026-03-05')).toEqual({ start: '2026-03-05', end: '2026-03-10' });
    expect(selectDay({ start: '2026-03-05', end: '2026-03-10' }, '2026-03-20')).toEqual({
      start: '2026-03-20',
      end: undefined,
    });
    expect(inSelection({ start: '2026-03-05', end: '2026-03-10' }, '2026-03-10')).toBe(true);
    expect(inSelection({ start: '2026-03-05', end: '2026-03-10' }, '2026-03-11')).toBe(false);
  });
});

describe('selectionBounds', () => {
  it('reads the days in the given zone: midnight of the first day to midnight after the last', () => {
    expect(selectionBounds({ start: '2026-03-03', end: '2026-03-04' }, 'Asia/Tokyo')).toEqual({
      from: '2026-03-02T15:00:00.000Z',
      to: '2026-03-04T15:00:00.000Z',
    });
    // New York moves to summer time on 8 March 2026: that day is 23 hours long.
    const dst = selectionBounds({ start: '2026-03-08', end: '2026-03-08' }, 'America/New_York');
    expect(dst).toEqual({ from: '2026-03-08T05:00:00.000Z', to: '2026-03-09T04:00:00.000Z' });
    expect(selectionBounds({ start: '2026-03-08' }, 'UTC')).toEqual({
      from: '2026-03-08T00:00:00.000Z',
      to: undefined,
    });
    expect(selectionBounds({}, 'UTC')).toBeUndefined();
  });

  it('round-trips through filter bounds in the same zone', () => {
    const days = { start: '2026-10-24', end: '2026-10-26' }; // Paris leaves summer time on the 25th
    const bounds = selectionBounds(days, 'Europe/Paris');
    expect(selectionFromBounds(bounds?.from, bounds?.to, 'Europe/Paris')).toEqual(days);
    // The same instants are other days on the other side of the world.
    expect(selectionFromBounds(bounds?.from, bounds?.to, 'Pacific/Honolulu')).toEqual({
      start: '2026-10-23',
      end: '2026-10-26',
    });
  });
});

describe('isCalendarDay / todayInZone', () => {
  it('accepts only real days, and names today in the zone', () => {
    expect(isCalendarDay('2026-02-28')).toBe(true);
    expect(isCalendarDay('2026-02-30')).toBe(false);
    expect(isCalendarDay('2026-2-3')).toBe(false);
    const now = new Date('2026-03-09T02:00:00Z');
    expect(todayInZone('America/Los_Angeles', now)).toBe('2026-03-08');
    expect(todayInZone('Asia/Tokyo', now)).toBe('2026-03-09');
  });
});
