/**
 * Pure logic of the range calendar: calendar days as `YYYY-MM-DD` strings (a day in the viewer's zone,
 * not an instant), the month grid, keyboard moves and the UTC bounds of a selected range.
 */
import {
  addDays,
  addMonths,
  addYears,
  eachDayOfInterval,
  endOfMonth,
  endOfWeek,
  format,
  isValid,
  parseISO,
  startOfMonth,
  startOfWeek,
} from 'date-fns';
import { dayInZone, startOfDayInZone } from './format.js';

/** A calendar day, `YYYY-MM-DD`. */
export type CalendarDay = string;

/** First day of the week: 0 = Sunday … 6 = Saturday. */
export type WeekStart = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** A range being picked: `end` is undefined until the second click. Both ends are inclusive days. */
export interface DaySelection {
  start?: CalendarDay | undefined;
  end?: CalendarDay | undefined;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

// date-fns parses a date-only string as local midnight; only its year, month and day are used here,
// so the runtime's own zone never leaks into the result.
function toDate(day: CalendarDay): Date {
  return parseISO(day);
}

function toDay(date: Date): CalendarDay {
  return format(date, 'yyyy-MM-dd');
}

/** True for a real `YYYY-MM-DD` day (`2026-02-30` is not). */
export function isCalendarDay(value: string): value is CalendarDay {
  return DAY_RE.test(value) && isValid(toDate(value)) && toDay(toDate(value)) === value;
}

/** `day` moved by `n` days. */
export function shiftDays(day: CalendarDay, n: number): CalendarDay {
  return toDay(addDays(toDate(day), n));
}

/** The first day of the month of `day`, moved by `n` months. */
export function shiftMonth(day: CalendarDay, n: number): CalendarDay {
  return toDay(startOfMonth(addMonths(toDate(day), n)));
}

/** Today in `timeZone` (the runtime's when omitted). */
export function todayInZone(timeZone?: string, now: Date = new Date()): CalendarDay {
  return dayInZone(now.toISOString(), timeZone);
}

/** Weeks (rows of 7 days) covering the month of `month`, padded with the neighbouring months' days. */
export function monthGrid(month: CalendarDay, weekStartsOn: WeekStart = 0): CalendarDay[][] {
  const first = startOfMonth(toDate(month));
  const days = eachDayOfInterval({
    start: startOfWeek(first, { weekStartsOn }),
    end: endOfWeek(endOfMonth(first), { weekStartsOn }),
  }).map(toDay);
  const weeks: CalendarDay[][] = [];
  for (let i = 0; i < days.length; i += 7) weeks.push(days.slice(i, i + 7));
  return weeks;
}

/** Same month and year. */
export function sameMonth(a: CalendarDay, b: CalendarDay): boolean {
  return a.slice(0, 7) === b.slice(0, 7);
}

/**
 * Where the focus goes for a key in the grid (ArrowLeft/Right a day, ArrowUp/Down a week, Home/End the
 * week's ends, PageUp/PageDown a month, with Shift a year); undefined for any other key.
 */
export function moveByKey(
  day: CalendarDay,
  key: string,
  options: { shiftKey?: boolean; weekStartsOn?: WeekStart } = {},
): CalendarDay | undefined {
  const date = toDate(day);
  const weekStartsOn = options.weekStartsOn ?? 0;
  switch (key) {
    case 'ArrowLeft':
      return shiftDays(day, -1);
    case 'ArrowRight':
      return shiftDays(day, 1);
    case 'ArrowUp':
      return shiftDays(day, -7);
    case 'ArrowDown':
      return shiftDays(day, 7);
    case 'Home':
      return toDay(startOfWeek(date, { weekStartsOn }));
    case 'End':
      return toDay(endOfWeek(date, { weekStartsOn }));
    case 'PageUp':
      return toDay(options.shiftKey ? addYears(date, -1) : addMonths(date, -1));
    case 'PageDown':
      return toDay(options.shiftKey ? addYears(date, 1) : addMonths(date, 1));
    default:
      return undefined;
  }
}

/**
 * The selection after clicking `day`: the first click starts a range, the second ends it (in either
 * order), a third starts over.
 */
export function selectDay(selection: DaySelection, day: CalendarDay): DaySelection {
  const { start, end } = selection;
  if (start === undefined || end !== undefined) return { start: day, end: undefined };
  return day < start ? { start: day, end: start } : { start, end: day };
}

/** Whether `day` is inside the selection (ends included). */
export function inSelection(selection: DaySelection, day: CalendarDay): boolean {
  const { start, end } = selection;
  if (start === undefined) return false;
  if (end === undefined) return day === start;
  return day >= start && day <= end;
}

/**
 * The filter bounds of a selection, as UTC instants: `from` is midnight starting `start` in `timeZone`,
 * `to` (exclusive) midnight after `end`, or undefined for an open end ("from this day on").
 */
export function selectionBounds(
  selection: DaySelection,
  timeZone?: string,
): { from: string; to: string | undefined } | undefined {
  if (selection.start === undefined) return undefined;
  const from = startOfDayInZone(selection.start, timeZone).toISOString();
  const to =
    selection.end === undefined
      ? undefined
      : startOfDayInZone(shiftDays(selection.end, 1), timeZone).toISOString();
  return { from, to };
}

/** The selection shown for filter bounds: the days holding `from` and the last instant before `to`. */
export function selectionFromBounds(
  from: string | undefined,
  to: string | undefined,
  timeZone?: string,
): DaySelection {
  if (!from) return {};
  const start = dayInZone(from, timeZone);
  const end = to ? dayInZone(new Date(Date.parse(to) - 1).toISOString(), timeZone) : undefined;
  return { start, end };
}
