import { describe, expect, it } from 'vitest';
import { axisTicks, bucketRangeLabel, fillBuckets } from './histogramAxis.js';

const H = 3_600_000;
const D = 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();
const year = new Date().getUTCFullYear();
const t0 = Date.UTC(year, 2, 3, 0, 0, 0);

describe('fillBuckets', () => {
  it('draws the empty buckets between counted ones and up to the bounds', () => {
    const slots = fillBuckets(
      [
        { start: iso(t0 + 2 * H), count: 4, failures: 1 },
        { start: iso(t0 + 5 * H), count: 1, failures: 0 },
      ],
      H,
      iso(t0 + 30 * 60_000),
      iso(t0 + 8 * H),
    );
    // The bucket holding `from` (00:00) to the one before `to` (07:00).
    expect(slots.map((s) => s.count)).toEqual([0, 0, 4, 0, 0, 1, 0, 0]);
    expect(slots[2]).toMatchObject({ failures: 1, startMs: t0 + 2 * H, endMs: t0 + 3 * H });
  });

  it('gives empty bars for an empty range and nothing without bounds', () => {
    expect(fillBuckets([], H, iso(t0), iso(t0 + 3 * H)).map((s) => s.count)).toEqual([0, 0, 0]);
    expect(fillBuckets([], H)).toEqual([]);
  });
});

describe('axisTicks', () => {
  it('labels a day every 3 hours, the midnight with its date (UTC)', () => {
    const ticks = axisTicks(t0, t0 + D, 8, { timeZone: 'UTC' });
    expect(ticks.map((t) => t.label)).toEqual([
      'Mar 3',
      '03:00',
      '06:00',
      '09:00',
      '12:00',
      '15:00',
      '18:00',
      '21:00',
    ]);
    expect(ticks[4]?.position).toBeCloseTo(0.5);
  });

  it("places ticks on the viewer's round hours in their time zone", () => {
    const ticks = axisTicks(t0, t0 + D, 8, { timeZone: 'America/New_York' });
    // 00:00 UTC is 19:00 in New York (EST): the first round 3 hours after it is 21:00, i.e. 02:00 UTC.
    expect(ticks[0]).toMatchObject({ label: '21:00', ms: t0 + 2 * H });
    expect(ticks.some((t) => t.label === 'Mar 3')).toBe(true);
  });

  it('uses dates for weeks and months for a year', () => {
    const week = axisTicks(t0, t0 + 7 * D, 8, { timeZone: 'UTC' });
    expect(week.map((t) => t.label)).toEqual(['Mar 3', 'Mar 4', 'Mar 5', 'Mar 6', 'Mar 7', 'Mar 8', 'Mar 9']);
    const months = axisTicks(Date.UTC(2025, 0, 1), Date.UTC(2026, 0, 1), 6, { timeZone: 'UTC' });
    expect(months.map((t) => t.label)).toEqual(['2025', 'Apr', 'Jul', 'Oct']);
  });

  it('gives no ticks for an empty span', () => {
    expect(axisTicks(t0, t0, 8)).toEqual([]);
  });
});

describe('bucketRangeLabel', () => {
  it("names an hour's bucket with its day in the viewer's zone", () => {
    expect(bucketRangeLabel(t0 + 14 * H, t0 + 15 * H, { timeZone: 'UTC' })).toBe('Mar 3, 14:00 – 15:00');
    expect(bucketRangeLabel(t0 + 14 * H, t0 + 15 * H, { timeZone: 'Europe/Berlin' })).toBe(
      'Mar 3, 15:00 – 16:00',
    );
  });

  it('names whole days by their dates and other years with the year', () => {
    expect(bucketRangeLabel(t0, t0 + D, { timeZone: 'UTC' })).toBe('Mar 3');
    expect(bucketRangeLabel(t0, t0 + 7 * D, { timeZone: 'UTC' })).toBe('Mar 3 – Mar 9');
    const old = Date.UTC(2001, 0, 5, 10);
    expect(bucketRangeLabel(old, old + H, { timeZone: 'UTC' })).toBe('Jan 5, 2001, 10:00 – 11:00');
  });
});
