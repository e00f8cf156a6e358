// biome-ignore-all lint/a11y/noNoninteractiveElementToInteractiveRole: the WAI-ARIA date picker pattern gives a table grid semantics
// biome-ignore-all lint/a11y/useFocusableInteractive: focus goes to the day button inside each cell (roving tabindex)
import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import {
  type CalendarDay,
  type DaySelection,
  inSelection,
  monthGrid,
  moveByKey,
  sameMonth,
  selectDay,
  shiftMonth,
  type WeekStart,
} from './calendar.js';
import { useActivityContext } from './context.js';
import { cachedDateTimeFormat } from './format.js';
import { Icons } from './icons.js';
import { cx } from './StatusBadge.js';

/** Props of {@link RangeCalendar}. */
export interface RangeCalendarProps {
  /** The picked days (controlled). */
  value: DaySelection;
  onValueChange: (selection: DaySelection) => void;
  /** Today in the viewer's zone, marked with `aria-current="date"`. */
  today: CalendarDay;
  /** First day of the week. @default the locale's, else Sunday */
  weekStartsOn?: WeekStart | undefined;
  className?: string | undefined;
}

/** A day as a UTC date, so Intl formats its calendar fields whatever the runtime's zone. */
function utcDate(day: CalendarDay): Date {
  return new Date(`${day}T00:00:00Z`);
}

/**
 * A month grid for picking a range of days: click (or Enter) a start then an end. Arrow keys move a day
 * or a week, Home/End to the week's ends, PageUp/PageDown a month (Shift: a year).
 */
export function RangeCalendar({
  value,
  onValueChange,
  today,
  weekStartsOn,
  className,
}: RangeCalendarProps): ReactNode {
  const { strings, locale } = useActivityContext();
  const weekStart: WeekStart = weekStartsOn ?? locale?.options?.weekStartsOn ?? 0;
  const lang = locale?.code ?? 'en-US';
  const [focused, setFocused] = useState<CalendarDay>(value.end ?? value.start ?? today);
  const [month, setMonth] = useState<CalendarDay>(shiftMonth(focused, 0));
  const grid = useRef<HTMLTableElement>(null);
  // Only move DOM focus after a key press inside the grid, never when the popover merely opens.
  const moveFocus = useRef(false);
  const captionId = useId();

  // An outside change (typing a date in the inputs) brings its month into view.
  const anchor = value.end ?? value.start;
  useEffect(() => {
    if (anchor === undefined) return;
    setFocused(anchor);
    setMonth(shiftMonth(anchor, 0));
  }, [anchor]);

  useEffect(() => {
    if (!moveFocus.current) return;
    moveFocus.current = false;
    grid.current?.querySelector<HTMLButtonElement>(`button[data-day="${focused}"]`)?.focus();
  }, [focused]);

  const weeks = monthGrid(month, weekStart);
  const monthName = cachedDateTimeFormat(lang, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    utcDate(month),
  );
  const weekdayShort = cachedDateTimeFormat(lang, { weekday: 'short', timeZone: 'UTC' });
  const weekdayLong = cachedDateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' });
  const dayLabel = cachedDateTimeFormat(lang, { dateStyle: 'full', timeZone: 'UTC' });

  const goMonth = (n: number) => {
    const next = shiftMonth(month, n);
    setMonth(next);
    setFocused(sameMonth(focused, next) ? focused : next);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTableElement>) => {
    const next = moveByKey(focused, event.key, { shiftKey: event.shiftKey, weekStartsOn: weekStart });
    if (next === undefined) return;
    event.preventDefault();
    moveFocus.current = true;
    setFocused(next);
    if (!sameMonth(next, month)) setMonth(shiftMonth(next, 0));
  };

  const { start, end } = value;
  return (
    <div className={cx('activity-calendar', className)}>
      <div className="activity-calendar-header">
        <button
          type="button"
          className="activity-icon-button"
          aria-label={strings.previousMonth}
          onClick={() => goMonth(-1)}
        >
          <Icons.chevronLeft />
        </button>
        <h3 id={captionId} className="activity-calendar-caption" aria-live="polite">
          {monthName}
        </h3>
        <button
          type="button"
          className="activity-icon-button"
          aria-label={strings.nextMonth}
          onClick={() => goMonth(1)}
        >
          <Icons.chevronRight />
        </button>
      </div>
      <table
        ref={grid}
        role="grid"
        aria-labelledby={captionId}
        aria-multiselectable="true"
        className="activity-calendar-grid"
        onKeyDown={onKeyDown}
      >
        <thead>
          <tr>
            {weeks[0]?.map((day) => (
              <th key={day} scope="col" abbr={weekdayLong.format(utcDate(day))}>
                {weekdayShort.format(utcDate(day))}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weeks.map((week) => (
            <tr key={week[0]}>
              {week.map((day) => {
                const selected = inSelection(value, day);
                const outside = !sameMonth(day, month);
                return (
                  <td
                    key={day}
                    role="gridcell"
                    aria-selected={selected}
                    className="activity-calendar-cell"
                    data-outside={outside ? '' : undefined}
                    data-selected={selected ? '' : undefined}
                    data-range-start={day === start ? '' : undefined}
                    data-range-end={day === (end ?? start) ? '' : undefined}
                  >
                    <button
                      type="button"
                      className="activity-calendar-day"
                      data-day={day}
                      tabIndex={day === focused ? 0 : -1}
                      aria-label={dayLabel.format(utcDate(day))}
                      aria-current={day === today ? 'date' : undefined}
                      onClick={() => {
                        setFocused(day);
                        onValueChange(selectDay(value, day));
                      }}
                    >
                      {Number(day.slice(8))}
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
