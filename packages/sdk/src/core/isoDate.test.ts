import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatInstant,
  isCanonicalInstant,
  MAX_INSTANT,
  MAX_INSTANT_MS,
  MIN_INSTANT,
  MIN_INSTANT_MS,
  parseInstant,
} from './isoDate.js';

// A plain model of the proleptic Gregorian calendar, built from component arithmetic only (no Date).
const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysInMonth = (y: number, m: number) =>
  m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
/** Days from 1970-01-01 to y-m-d (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
  /** Offset east of UTC in minutes. */
  off: number;
}
const modelMs = (p: Parts) =>
  daysFromCivil(p.y, p.mo, p.d) * 86_400_000 + ((p.h * 60 + p.mi - p.off) * 60 + p.s) * 1000 + p.ms;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Text of components in one of the accepted spellings. */
function text(p: Parts, style: { fraction: number; zone: 'Z' | 'colon' | 'plain'; lower: boolean }): string {
  let out = `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)}${style.lower ? 't' : 'T'}${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
  if (style.fraction > 0) out += `.${pad(p.ms, 3)}${'0'.repeat(style.fraction - 1)}`;
  if (style.zone === 'Z' && p.off === 0) return `${out}${style.lower ? 'z' : 'Z'}`;
  const sign = p.off < 0 ? '-' : '+';
  const a = Math.abs(p.off);
  return `${out}${sign}${pad(Math.floor(a / 60))}${style.zone === 'plain' ? '' : ':'}${pad(a % 60)}`;
}

const realParts = fc
  .record({
    y: fc.integer({ min: 1, max: 9999 }),
    mo: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 31 }),
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
    s: fc.integer({ min: 0, max: 59 }),
    ms: fc.integer({ min: 0, max: 999 }),
    off: fc.oneof(fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })),
  })
  .map((p) => ({ ...p, d: Math.min(p.d, daysInMonth(p.y, p.mo)) }));
const style = fc.record({
  fraction: fc.integer({ min: 0, max: 3 }),
  zone: fc.constantFrom('Z' as const, 'colon' as const, 'plain' as const),
  lower: fc.boolean(),
});

describe('parseInstant', () => {
  it('accepts every real date-time in any accepted spelling, at the instant the calendar model gives', () => {
    fc.assert(
      fc.property(realParts, style, (p, st) => {
        const value = text(p, st);
        const expected = modelMs({ ...p, ms: st.fraction > 0 ? p.ms : 0 });
        const parsed = parseInstant(value);
        if (expected < MIN_INSTANT_MS || expected > MAX_INSTANT_MS) {
          expect(parsed).toEqual({ ok: false, reason: expect.stringContaining(MIN_INSTANT) });
        } else {
          expect(parsed).toEqual({ ok: true, ms: expected });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every instant of the range through its canonical form', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_INSTANT_MS, max: MAX_INSTANT_MS }), (ms) => {
        const iso = formatInstant(ms);
        expect(isCanonicalInstant(iso)).toBe(true);
        expect(parseInstant(iso)).toEqual({ ok: true, ms });
      }),
      { numRuns: 2000 },
    );
  });

  it('fault 4: refuses every impossible calendar date and clock time, on both paths', () => {
    const impossible = fc.oneof(
      // A day past the month's end (02-29 in common years, 04-31, …, up to 99).
      realParts.chain((p) =>
        fc.integer({ min: daysInMonth(p.y, p.mo) + 1, max: 99 }).map((d) => ({ ...p, d, off: 0 })),
      ),
      realParts.chain((p) => fc.constantFrom(0, 13, 19, 99).map((mo) => ({ ...p, mo, off: 0 }))),
      realParts.map((p) => ({ ...p, d: 0, off: 0 })),
      realParts.chain((p) => fc.integer({ min: 24, max: 99 }).map((h) => ({ ...p, h, off: 0 }))),
      realParts.chain((p) => fc.integer({ min: 60, max: 99 }).map((mi) => ({ ...p, mi, off: 0 }))),
      realParts.chain((p) => fc.integer({ min: 60, max: 99 }).map((s) => ({ ...p, s, off: 0 }))),
    );
    fc.assert(
      fc.property(impossible, (p) => {
        const value = text(p, { fraction: 3, zone: 'Z', lower: false });
        expect(parseInstant(value).ok).toBe(false);
        expect(parseInstant(value, { allowDate: true }).ok).toBe(false);
        expect(isCanonicalInstant(value)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('fault 4: refuses the issue’s dates and everything outside 0001-01-01..9999-12-31 UTC', () => {
    for (const value of [
      '2025-02-30T00:00:00Z',
      '2024-04-31T10:00:00Z',
      '2023-02-29T00:00:00.000Z',
      '0000-01-01T00:00:00Z',
      '0000-12-31T23:59:59.999Z',
      '9999-12-31T23:00:00-05:00',
      '0001-01-01T00:30:00+01:00',
      '+010000-01-01T00:00:00.000Z',
      '-000001-01-01T00:00:00.000Z',
      '2024-01-01T24:00:00Z',
      '2024-06-30T23:59:60Z',
      '2024-01-01T10:00:00+24:00',
      '2024-01-01T10:00:00+05:60',
    ]) {
      expect(parseInstant(value), value).toMatchObject({ ok: false });
    }
    expect(parseInstant('0000-01-01T00:00:00Z')).toEqual({
      ok: false,
      reason: expect.stringMatching(/between/),
    });
    expect(parseInstant('2025-02-30T00:00:00Z')).toEqual({
      ok: false,
      reason: expect.stringMatching(/no real/),
    });
    expect(isCanonicalInstant('0000-06-01T00:00:00.000Z')).toBe(false);
    expect(parseInstant(MIN_INSTANT)).toEqual({ ok: true, ms: MIN_INSTANT_MS });
    expect(parseInstant(MAX_INSTANT)).toEqual({ ok: true, ms: MAX_INSTANT_MS });
    expect(parseInstant('2024-02-29T12:00:00Z').ok).toBe(true);
    expect(parseInstant('2000-02-29T12:00:00Z').ok).toBe(true);
    expect(parseInstant('1900-02-29T12:00:00Z').ok).toBe(false);
  });

  it('fault 7: refuses trailing text, a time without a zone, and a plain date unless allowed', () => {
    for (const value of [
      '2024-01-01 junk',
      '2024-01-01T00:00:00Z junk',
      ' 2024-01-01T00:00:00Z',
      '2024-01-01T10:00:00',
      '2024-1-1',
      '20240101',
      'March 1, 2024',
      '1709251200000',
      '',
    ]) {
      expect(parseInstant(value, { allowDate: true }), value).toMatchObject({ ok: false });
    }
    expect(parseInstant('2024-01-01').ok).toBe(false);
    expect(parseInstant('2024-01-01', { allowDate: true })).toEqual({ ok: true, ms: Date.UTC(2024, 0, 1) });
    expect(parseInstant('0050-06-01', { allowDate: true })).toEqual({
      ok: true,
      ms: daysFromCivil(50, 6, 1) * 86_400_000,
    });
  });

  it('truncates fractions past milliseconds and applies offsets', () => {
    expect(parseInstant('2026-03-01T12:00:00.123999999Z')).toEqual({
      ok: true,
      ms: Date.UTC(2026, 2, 1, 12, 0, 0, 123),
    });
    expect(parseInstant('2026-03-01T14:00+02:00')).toEqual({ ok: true, ms: Date.UTC(2026, 2, 1, 12) });
    expect(parseInstant('2026-03-01T00:00:00-0130')).toEqual({ ok: true, ms: Date.UTC(2026, 2, 1, 1, 30) });
  });
});
