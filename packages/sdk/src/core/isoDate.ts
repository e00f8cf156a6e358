/**
 * The one strict ISO 8601 instant parser, shared by entry validation, filters and every store, so that
 * what is accepted, how it is normalised and which range is allowed never differ between them.
 */

/** Earliest instant every store holds (memory, SQLite, PostgreSQL, ClickHouse): `0001-01-01T00:00:00.000Z`. */
export const MIN_INSTANT_MS = -62_135_596_800_000;
/** Latest instant every store holds: `9999-12-31T23:59:59.999Z`. */
export const MAX_INSTANT_MS = 253_402_300_799_999;
/** {@link MIN_INSTANT_MS} in `toISOString()` form. */
export const MIN_INSTANT = '0001-01-01T00:00:00.000Z';
/** {@link MAX_INSTANT_MS} in `toISOString()` form. */
export const MAX_INSTANT = '9999-12-31T23:59:59.999Z';

/** What a parse found: the epoch milliseconds, or why the text is refused (a sentence ending a message). */
export type InstantResult = { ok: true; ms: number } | { ok: false; reason: string };

/** Options of {@link parseInstant}. */
export interface ParseInstantOptions {
  /**
   * Accept a plain calendar date (`2026-03-01`, midnight UTC) besides a date-time with a time zone.
   * @default false
   */
  allowDate?: boolean | undefined;
}

// Date, then optionally a time with hours and minutes, optional seconds and fraction, and a zone.
// A time without a zone is refused: it would mean the server's local time.
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2})))?$/;
/** `toISOString()`'s own form, the form stores hold. */
const CANONICAL =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

const FORMAT = 'must be an ISO 8601 date-time with a time zone (2026-03-01T12:00:00Z)';
const FORMAT_OR_DATE =
  'must be an ISO 8601 date (2026-03-01) or date-time with a time zone (2026-03-01T12:00:00Z)';
/** The refusal of an instant outside the range every store holds. */
export const OUT_OF_RANGE = `must be between ${MIN_INSTANT} and ${MAX_INSTANT}`;

const refuse = (reason: string): InstantResult => ({ ok: false, reason });

/**
 * Parses an ISO 8601 instant strictly: every calendar and clock component must exist (no 2025-02-30,
 * no 24:00, no leap second, no offset past ±23:59), and the instant must lie within
 * {@link MIN_INSTANT}..{@link MAX_INSTANT}. Fractions past milliseconds are truncated.
 * @example parseInstant('2026-03-01T12:00:00+01:00') // { ok: true, ms: 1772362800000 }
 */
export function parseInstant(value: string, options: ParseInstantOptions = {}): InstantResult {
  const m = INSTANT.exec(value);
  if (m === null) {
    // An expanded year (+010000-01-01…, what toISOString() writes past 9999) is well formed but out of range.
    return /^[+-]\d{6}-/.test(value)
      ? refuse(OUT_OF_RANGE)
      : refuse(options.allowDate ? FORMAT_OR_DATE : FORMAT);
  }
  const hasTime = m[4] !== undefined;
  if (!hasTime && !options.allowDate) return refuse(FORMAT);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = hasTime ? Number(m[4]) : 0;
  const minute = hasTime ? Number(m[5]) : 0;
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const milli = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  // Date.UTC would read years 0-99 as 1900-1999; setUTCFullYear takes the year as given.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, milli);
  // Date rolls impossible components over (02-30 → 03-02, 24:00 → next day): compare them back.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    return refuse(`names no real date and time (${value.slice(0, 40)})`);
  }
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return refuse(`has an impossible time zone offset`);
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const ms = date.getTime() - offsetMinutes * 60_000;
  if (ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS) return refuse(OUT_OF_RANGE);
  return { ok: true, ms };
}

/**
 * True when `value` is already in `toISOString()` form, names a real day and lies in range: the form
 * stores hold, checked without building a Date (the recorder's hot path).
 */
export function isCanonicalInstant(value: string): boolean {
  if (!CANONICAL.test(value)) return false;
  // Year 0000 is the one canonical-looking year before MIN_INSTANT; 9999 is the last a 4-digit year names.
  if (value.startsWith('0000')) return false;
  const day = (value.charCodeAt(8) - 48) * 10 + (value.charCodeAt(9) - 48);
  if (day <= 28) return true;
  const month = (value.charCodeAt(5) - 48) * 10 + (value.charCodeAt(6) - 48);
  if (month !== 2) return day <= 30 || [1, 3, 5, 7, 8, 10, 12].includes(month);
  const year = Number(value.slice(0, 4));
  return day === 29 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** The canonical `toISOString()` form of an instant {@link parseInstant} accepted. */
export function formatInstant(ms: number): string {
  return new Date(ms).toISOString();
}

/** True when `ms` is an instant every store holds. */
export function inInstantRange(ms: number): boolean {
  return ms >= MIN_INSTANT_MS && ms <= MAX_INSTANT_MS;
}
