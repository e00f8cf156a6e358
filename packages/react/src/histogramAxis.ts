/**
 * The histogram's logic, outside JSX: the bucket series with empty buckets filled in (the stores return
 * only buckets holding entries, so a few entries used to draw as one wide block), the time-axis ticks (in the viewer's time zone, labelled with
 * date-fns to fit the span) and the tooltip's range text.
 */
import type { HistogramBucket } from '@activity/sdk/client';
import { tz } from '@date-fns/tz';
import {
  addDays,
  addHours,
  addMinutes,
  addMonths,
  addYears,
  type ContextOptions,
  format,
  getHours,
  getMinutes,
  getMonth,
  isSameDay,
  isSameYear,
  type Locale,
  setHours,
  setMinutes,
  setMonth,
  startOfDay,
  startOfHour,
  startOfMonth,
  startOfWeek,
  startOfYear,
} from 'date-fns';

/** Most buckets the API gives for one request; a longer series is cut there. */
const MAX_BUCKETS = 2000;

/** One bar: a bucket of the series, empty or not. */
export interface HistogramSlot extends HistogramBucket {
  /** Start in ms. */
  startMs: number;
  /** End (exclusive) in ms. */
  endMs: number;
}

/**
 * Every bucket from the one holding `from` to the one before `to`, with the counted ones filled in:
 * empty stretches are drawn as empty bars instead of closing up. Buckets are aligned as the stores align
 * them (multiples of the width since the epoch). Without bounds the counted buckets' own span is used.
 */
export function fillBuckets(
  buckets: readonly HistogramBucket[],
  bucketMs: number,
  fromIso?: string | undefined,
  toIso?: string | undefined,
): HistogramSlot[] {
  const counted = new Map<number, HistogramBucket>();
  for (const b of buckets) counted.set(Date.parse(b.start), b);
  const starts = [...counted.keys()].filter(Number.isFinite).sort((a, b) => a - b);
  const fromMs = fromIso ? Date.parse(fromIso) : starts[0];
  const toMs = toIso ? Date.parse(toIso) : (starts[starts.length - 1] ?? Number.NaN) + bucketMs;
  if (fromMs === undefined || !Number.isFinite(fromMs) || !Number.isFinite(toMs) || !(bucketMs > 0))
    return [];
  const first = Math.floor(fromMs / bucketMs) * bucketMs;
  const slots: HistogramSlot[] = [];
  for (let start = first; start < toMs && slots.length < MAX_BUCKETS; start += bucketMs) {
    const b = counted.get(start);
    slots.push({
      start: b?.start ?? new Date(start).toISOString(),
      count: b?.count ?? 0,
      failures: b?.failures ?? 0,
      startMs: start,
      endMs: start + bucketMs,
    });
  }
  return slots;
}

/** Display options: the viewer's time zone (the browser's when omitted) and locale. */
export interface AxisOptions {
  timeZone?: string | undefined;
  locale?: Locale | undefined;
}

type Unit = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
const STEPS: readonly [number, Unit, number][] = [
  [1, 'minute', 60_000],
  [5, 'minute', 300_000],
  [15, 'minute', 900_000],
  [30, 'minute', 1_800_000],
  [1, 'hour', 3_600_000],
  [3, 'hour', 10_800_000],
  [6, 'hour', 21_600_000],
  [12, 'hour', 43_200_000],
  [1, 'day', 86_400_000],
  [1, 'week', 604_800_000],
  [1, 'month', 2_629_800_000],
  [3, 'month', 7_889_400_000],
  [1, 'year', 31_557_600_000],
];

/** One label of the time axis. */
export interface AxisTick {
  ms: number;
  /** 0..1 along the axis. */
  position: number;
  label: string;
}

function context(options: AxisOptions): ContextOptions<Date> {
  return options.timeZone ? { in: tz(options.timeZone) } : {};
}

/** The first tick at or after `ms`: the start of the unit in the viewer's zone, on a multiple of `n`. */
function firstTick(ms: number, n: number, unit: Unit, ctx: ContextOptions<Date>): Date {
  const at = new Date(ms);
  switch (unit) {
    case 'minute': {
      const h = startOfHour(at, ctx);
      return setMinutes(h, Math.floor(getMinutes(at, ctx) / n) * n, ctx);
    }
    case 'hour': {
      const d = startOfDay(at, ctx);
      return setHours(d, Math.floor(getHours(at, ctx) / n) * n, ctx);
    }
    case 'day':
      return startOfDay(at, ctx);
    case 'week':
      return startOfWeek(at, { ...ctx, weekStartsOn: 1 });
    case 'month': {
      const m = startOfMonth(at, ctx);
      return setMonth(m, Math.floor(getMonth(at, ctx) / n) * n, ctx);
    }
    case 'year':
      return startOfYear(at, ctx);
  }
}

function addStep(date: Date, n: number, unit: Unit, ctx: ContextOptions<Date>): Date {
  switch (unit) {
    case 'minute':
      return addMinutes(date, n, ctx);
    case 'hour':
      return addHours(date, n, ctx);
    case 'day':
      return addDays(date, n, ctx);
    case 'week':
      return addDays(date, 7 * n, ctx);
    case 'month':
      return addMonths(date, n, ctx);
    case 'year':
      return addYears(date, n, ctx);
  }
}

/** The label of a tick: times within a day, the date at midnight and for day steps, months, years. */
function tickLabel(date: Date, unit: Unit, options: AxisOptions, spansYears: boolean): string {
  const opts = { ...context(options), ...(options.locale ? { locale: options.locale } : {}) };
  const midnight = getHours(date, context(options)) === 0 && getMinutes(date, context(options)) === 0;
  switch (unit) {
    case 'minute':
    case 'hour':
      return midnight ? format(date, 'MMM d', opts) : format(date, 'HH:mm', opts);
    case 'day':
    case 'week':
      return format(date, spansYears ? 'MMM d, yyyy' : 'MMM d', opts);
    case 'month':
      return getMonth(date, context(options)) === 0 ? format(date, 'yyyy', opts) : format(date, 'MMM', opts);
    case 'year':
      return format(date, 'yyyy', opts);
  }
}

/**
 * Ticks for the span `[fromMs, toMs)`: the finest step giving at most `maxTicks` labels, placed on round
 * times of the viewer's zone (every 3 hours at 00:00, 03:00 …; midnights; Mondays; month starts).
 */
export function axisTicks(
  fromMs: number,
  toMs: number,
  maxTicks: number,
  options: AxisOptions = {},
): AxisTick[] {
  const span = toMs - fromMs;
  if (!(span > 0) || maxTicks < 1) return [];
  const [n, unit] = STEPS.find(([, , ms]) => span / ms <= maxTicks) ?? [1, 'year', 0];
  const ctx = context(options);
  const spansYears = !isSameYear(new Date(fromMs), new Date(toMs - 1), ctx);
  const ticks: AxisTick[] = [];
  let date = firstTick(fromMs, n, unit, ctx);
  for (let guard = 0; guard < 1000 && date.getTime() < toMs; guard++) {
    const ms = date.getTime();
    if (ms >= fromMs) {
      ticks.push({ ms, position: (ms - fromMs) / span, label: tickLabel(date, unit, options, spansYears) });
    }
    date = addStep(date, n, unit, ctx);
  }
  return ticks;
}

/** "Mar 3, 14:00 – 15:00", "Mar 3 – Mar 4, 2026": a bucket's range for its tooltip, in the viewer's zone. */
export function bucketRangeLabel(startMs: number, endMs: number, options: AxisOptions = {}): string {
  const ctx = context(options);
  const opts = { ...ctx, ...(options.locale ? { locale: options.locale } : {}) };
  const start = new Date(startMs);
  const end = new Date(endMs);
  const sameYearAsNow = isSameYear(start, new Date(), ctx);
  const day = sameYearAsNow ? 'MMM d' : 'MMM d, yyyy';
  if (endMs - startMs >= 86_400_000 && getHours(start, ctx) === 0 && getMinutes(start, ctx) === 0) {
    // Whole days: the last day included, not the midnight that ends it.
    const last = new Date(endMs - 1);
    return isSameDay(start, last, ctx)
      ? format(start, day, opts)
      : `${format(start, day, opts)} – ${format(last, day, opts)}`;
  }
  if (isSameDay(start, new Date(endMs - 1), ctx)) {
    return `${format(start, `${day}, HH:mm`, opts)} – ${format(end, 'HH:mm', opts)}`;
  }
  return `${format(start, `${day}, HH:mm`, opts)} – ${format(end, `${day}, HH:mm`, opts)}`;
}
