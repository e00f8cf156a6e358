import {
  ACTIVITY_STATUSES,
  ACTIVITY_TYPES,
  type ActivityFilter,
  type ActivityStatus,
  type ActivityType,
  activeFilterCount,
  DATE_RANGE_PRESETS,
  type DateRangePreset,
  DEFAULT_RANGE,
  type FacetCount,
  type Facets,
} from '@activity/sdk/client';
import { Checkbox, Popover } from 'radix-ui';
import {
  type ComponentProps,
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
} from 'react';
import {
  type DaySelection,
  isCalendarDay,
  selectionBounds,
  selectionFromBounds,
  todayInZone,
  type WeekStart,
} from './calendar.js';
import { useActivityContext, useThemeAttributes } from './context.js';
import {
  clearFilter,
  type FilterChip,
  filterChips,
  hasCustomRange,
  isFailuresPreset,
  type MultiAxis,
  rangeLabel,
  removeChip,
  setAxis,
  setCustomRange,
  setQuery,
  setRange,
  toggleFailuresPreset,
  toggleValue,
} from './filterState.js';
import { cachedDateTimeFormat, entityTypeLabel } from './format.js';
import { useActivityFacets } from './hooks.js';
import { Icons } from './icons.js';
import { RangeCalendar } from './RangeCalendar.js';
import { cx } from './StatusBadge.js';

interface FilterBarContextValue {
  filter: ActivityFilter;
  setFilter: (filter: ActivityFilter) => void;
  /** Facets of the whole current filter (chips use its actor names). */
  facets: Facets | undefined;
}

const FilterBarContext = createContext<FilterBarContextValue | null>(null);

function useFilterBar(): FilterBarContextValue {
  const ctx = useContext(FilterBarContext);
  if (!ctx) throw new Error('@activity/react: FilterBar parts must be inside <FilterBar.Root>.');
  return ctx;
}

/** Props shared by controlled/uncontrolled filter inputs. */
export interface FilterValueProps {
  /** Controlled filter. */
  value?: ActivityFilter | undefined;
  /** Initial filter when uncontrolled. @default {} */
  defaultValue?: ActivityFilter | undefined;
  onValueChange?: ((filter: ActivityFilter) => void) | undefined;
}

/** Props of `FilterBar.Root`. */
export interface FilterBarRootProps extends FilterValueProps, Omit<ComponentProps<'div'>, 'defaultValue'> {}

/** Holds the filter (controlled or uncontrolled) for the parts inside it. */
function Root({
  value,
  defaultValue,
  onValueChange,
  className,
  children,
  ...rest
}: FilterBarRootProps): ReactNode {
  const { strings } = useActivityContext();
  const themed = useThemeAttributes();
  const [internal, setInternal] = useState<ActivityFilter>(defaultValue ?? {});
  const filter = value ?? internal;
  const setFilter = useCallback(
    (next: ActivityFilter) => {
      if (value === undefined) setInternal(next);
      onValueChange?.(next);
    },
    [value, onValueChange],
  );
  const facets = useActivityFacets(filter).data;
  const ctx = useMemo(() => ({ filter, setFilter, facets }), [filter, setFilter, facets]);
  const count = activeFilterCount(filter);
  return (
    <FilterBarContext.Provider value={ctx}>
      {/* biome-ignore lint/a11y/useSemanticElements: <search> is not yet in every browser the hosts support */}
      <div
        role="search"
        aria-label={strings.activeFilters}
        data-theme={themed['data-theme']}
        {...rest}
        className={cx(themed.className, 'activity-filterbar', className)}
        data-state={count > 0 ? 'filtered' : 'unfiltered'}
      >
        {children}
      </div>
    </FilterBarContext.Provider>
  );
}

interface Option {
  value: string;
  label: string;
  count?: number | undefined;
}

/** Popover open state props (controlled or uncontrolled). */
export interface PopoverStateProps {
  open?: boolean | undefined;
  defaultOpen?: boolean | undefined;
  onOpenChange?: ((open: boolean) => void) | undefined;
}

interface MultiSelectProps extends PopoverStateProps {
  axis: MultiAxis;
  label: string;
  options: (facets: Facets | undefined) => Option[];
  searchable?: string | undefined;
  className?: string | undefined;
  contentClassName?: string | undefined;
  header?: ReactNode;
}

/** Options for `values`, each counted from the facet list; counts stay unknown until facets load. */
function countedOptions(
  values: Iterable<string>,
  list: FacetCount[] | undefined,
  label: (value: string) => string,
): Option[] {
  const counts = new Map((list ?? []).map((f) => [f.value, f.count]));
  return [...values].map((value) => ({
    value,
    label: label(value),
    count: list ? (counts.get(value) ?? 0) : undefined,
  }));
}

function MultiSelect(props: MultiSelectProps): ReactNode {
  const { strings, theme } = useActivityContext();
  const { filter, setFilter } = useFilterBar();
  const [openInternal, setOpenInternal] = useState(props.defaultOpen ?? false);
  const open = props.open ?? openInternal;
  const setOpen = (next: boolean) => {
    if (props.open === undefined) setOpenInternal(next);
    props.onOpenChange?.(next);
  };
  // Counts ignore this axis's own selection, so picking one type still shows the others' counts.
  const axisFilter = useMemo(() => setAxis(filter, props.axis, []), [filter, props.axis]);
  const facets = useActivityFacets(axisFilter, { enabled: open }).data;
  const [search, setSearch] = useState('');
  const selected: string[] = filter[props.axis] ?? [];
  const options = props.options(facets);
  const needle = search.trim().toLowerCase();
  const shown = needle
    ? options.filter((o) => o.label.toLowerCase().includes(needle) || o.value.toLowerCase().includes(needle))
    : options;
  const baseId = useId();
  return (
    <Popover.Root open={open} onOpenChange={setOpen}>
      <Popover.Trigger
        className={cx('activity-filter-trigger', props.className)}
        data-active={selected.length > 0 ? '' : undefined}
      >
        <span>{props.label}</span>
        {selected.length > 0 && (
          <span className="activity-filter-count">
            <span aria-hidden="true">{selected.length}</span>
            <span className="activity-visually-hidden">{strings.selectedCount(selected.length)}</span>
          </span>
        )}
        <Icons.chevron />
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content
          className={cx('activity-theme activity-popover', props.contentClassName)}
          data-theme={theme}
          align="start"
          sideOffset={6}
          aria-label={props.label}
        >
          {props.header}
          {props.searchable !== undefined && (
            <div className="activity-popover-search">
              <Icons.search />
              <input
                type="search"
                aria-label={props.searchable}
                placeholder={props.searchable}
                value={search}
                onChange={(e) => setSearch(e.target.value)}
              />
            </div>
          )}
          {/* biome-ignore lint/a11y/useSemanticElements: a fieldset's legend would repeat the popover's label */}
          <div role="group" aria-label={props.label} className="activity-options">
            {shown.length === 0 && (
              <p className="activity-muted activity-options-empty">{strings.noOptions}</p>
            )}
            {shown.map((option, i) => {
              const id = `${baseId}-${i}`;
              const checked = selected.includes(option.value);
              return (
                <div
                  key={option.value}
                  className="activity-option"
                  data-state={checked ? 'checked' : 'unchecked'}
                >
                  <Checkbox.Root
                    id={id}
                    className="activity-checkbox"
                    checked={checked}
                    onCheckedChange={() => setFilter(toggleValue(filter, props.axis, option.value))}
                  >
                    <Checkbox.Indicator className="activity-checkbox-indicator">
                      <Icons.check />
                    </Checkbox.Indicator>
                  </Checkbox.Root>
                  <label htmlFor={id} className="activity-option-label">
                    {option.label}
                  </label>
                  {option.count !== undefined && (
                    <span className="activity-option-count" aria-hidden="true">
                      {option.count.toLocaleString()}
                    </span>
                  )}
                </div>
              );
            })}
          </div>
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

/** Props of a multi-select part. */
export interface FilterSelectProps extends PopoverStateProps {
  className?: string | undefined;
  /** Class of the popover content. */
  contentClassName?: string | undefined;
}

/** Type multi-select with counts. */
function Type(props: FilterSelectProps): ReactNode {
  const { strings } = useActivityContext();
  return (
    <MultiSelect
      {...props}
      axis="types"
      label={strings.filterType}
      options={(facets) =>
        countedOptions(ACTIVITY_TYPES, facets?.types, (t) => strings.types[t as ActivityType])
      }
    />
  );
}

/** Status multi-select with counts, plus the one-click Failures preset (FAILED + WARNING). */
function Status(props: FilterSelectProps & { hidePreset?: boolean | undefined }): ReactNode {
  const { strings } = useActivityContext();
  const { filter, setFilter } = useFilterBar();
  const preset = isFailuresPreset(filter);
  const { hidePreset, ...rest } = props;
  return (
    <>
      <MultiSelect
        {...rest}
        axis="statuses"
        label={strings.filterStatus}
        options={(facets) =>
          countedOptions(ACTIVITY_STATUSES, facets?.statuses, (s) => strings.statuses[s as ActivityStatus])
        }
      />
      {!hidePreset && (
        <button
          type="button"
          className="activity-preset"
          aria-pressed={preset}
          data-state={preset ? 'on' : 'off'}
          onClick={() => setFilter(toggleFailuresPreset(filter))}
        >
          {strings.failuresPreset}
        </button>
      )}
    </>
  );
}

/** Searchable picker of team members and other actors ("what did the new hire do today?"). */
function User(props: FilterSelectProps): ReactNode {
  const { strings } = useActivityContext();
  const { filter, facets: current } = useFilterBar();
  return (
    <MultiSelect
      {...props}
      axis="actorIds"
      label={strings.filterUser}
      searchable={strings.searchUsers}
      options={(facets) => {
        const list = facets?.actors ?? [];
        const byId = new Map(list.map((a) => [a.value, a]));
        const names = new Map((current?.actors ?? []).map((a) => [a.value, a.label]));
        // Keep selected actors listed even when they have no entries in the current range.
        for (const id of filter.actorIds ?? []) {
          if (!byId.has(id)) byId.set(id, { value: id, count: 0, label: names.get(id) });
        }
        return [...byId.values()].map((a) => ({ value: a.value, label: a.label ?? a.value, count: a.count }));
      }}
    />
  );
}

/** Entity type multi-select, labelled from the catalog. */
function Entity(props: FilterSelectProps): ReactNode {
  const { strings, labels } = useActivityContext();
  const { filter } = useFilterBar();
  return (
    <MultiSelect
      {...props}
      axis="entityTypes"
      label={strings.filterEntity}
      options={(facets) => {
        const values = new Set<string>([
          ...(facets?.entityTypes ?? []).map((f) => f.value),
          ...Object.keys(labels.entityTypes ?? {}),
          ...(filter.entityTypes ?? []),
        ]);
        return countedOptions(values, facets?.entityTypes, (v) => entityTypeLabel(v, labels));
      }}
    />
  );
}

/**
 * Date range: presets from 1 hour to everything retained, and a custom range picked on a calendar (or
 * typed), whose days are read in the provider's time zone.
 */
function DateRange(props: FilterSelectProps & { weekStartsOn?: WeekStart | undefined }): ReactNode {
  const { strings, theme, locale, timeZone } = useActivityContext();
  const { filter, setFilter } = useFilterBar();
  const [openInternal, setOpenInternal] = useState(props.defaultOpen ?? false);
  const open = props.open ?? openInternal;
  const setOpen = (next: boolean) => {
    if (props.open === undefined) setOpenInternal(next);
    props.onOpenChange?.(next);
  };
  const custom = hasCustomRange(filter);
  const current: DateRangePreset | undefined = custom ? undefined : (filter.range ?? DEFAULT_RANGE);
  const [selection, setSelection] = useState<DaySelection>({});
  // The typed text of the inputs, kept apart so a half-typed date does not clear the selection.
  const [fromText, setFromText] = useState('');
  const [toText, setToText] = useState('');
  const fromId = useId();
  const toId = useId();
  const hintId = useId();
  const zone = timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const today = todayInZone(timeZone);
  const select = (next: DaySelection) => {
    setSelection(next);
    setFromText(next.start ?? '');
    setToText(next.end ?? '');
  };
  useEffect(() => {
    if (!open) return;
    // Prefill with the current bounds, as days in the viewer's zone (`to` is exclusive).
    const days = selectionFromBounds(filter.from, filter.to, timeZone);
    setSelection(days);
    setFromText(days.start ?? '');
    setToText(days.end ?? '');
  }, [open, filter.from, filter.to, timeZone]);
  const onFromText = (text: string) => {
    setFromText(text);
    if (text === '') setSelection({});
    else if (isCalendarDay(text)) {
      setSelection((s) => ({ start: text, end: s.end !== undefined && s.end >= text ? s.end : undefined }));
    }
  };
  const onToText = (text: string) => {
    setToText(text);
    if (text === '') setSelection((s) => ({ start: s.start, end: undefined }));
    else if (isCalendarDay(text)) setSelection((s) => ({ start: s.start ?? text, end: text }));
  };
  const valid =
    selection.start !== undefined &&
    (selection.end === undefined || selection.end >= selection.start) &&
    (toText === '' || selection.end !== undefined);
  const apply = () => {
    const bounds = valid ? selectionBounds(selection, timeZone) : undefined;
    if (!bounds) return;
    setFilter(setCustomRange(filter, bounds.from, bounds.to));
    setOpen(false);
  };
  const dayText = (day: string) =>
    cachedDateTimeFormat(locale?.code ?? 'en-US', { dateStyle: 'medium', timeZone: 'UTC' }).format(
      new Date(`${day}T00:00:00Z`),
    );
  const summary =
    selection.start === undefined
      ? strings.pickStartDay
      : strings.rangeHint(
          `${dayText(selection.start)} – ${selection.end ? dayText(selection.end) : strings.openEnded}`,
          zone,
        );
  return (
    <Popover.Root open={open} onOpenChange={setOpen}>
      <Popover.Trigger
        className={cx('activity-filter-trigger', props.className)}
        data-active={custom || (current !== undefined && current !== DEFAULT_RANGE) ? '' : undefined}
        aria-label={`${strings.filterDate}: ${rangeLabel(filter, { strings, locale, timeZone })}`}
      >
        <Icons.calendar />
        <span>{rangeLabel(filter, { strings, locale, timeZone })}</span>
        <Icons.chevron />
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content
          className={cx('activity-theme activity-popover activity-daterange', props.contentClassName)}
          data-theme={theme}
          align="start"
          sideOffset={6}
          aria-label={strings.filterDate}
        >
          {/* biome-ignore lint/a11y/useSemanticElements: a fieldset's legend would repeat the popover's label */}
          <div role="group" aria-label={strings.filterDate} className="activity-range-presets">
            {DATE_RANGE_PRESETS.map((preset) => (
              <button
                key={preset}
                type="button"
                className="activity-range-preset"
                aria-pressed={current === preset}
                data-state={current === preset ? 'on' : 'off'}
                onClick={() => {
                  setFilter(setRange(filter, preset));
                  setOpen(false);
                }}
              >
                {strings.ranges[preset]}
              </button>
            ))}
          </div>
          <fieldset className="activity-range-custom" aria-describedby={hintId}>
            <legend>{strings.customRange}</legend>
            <RangeCalendar
              value={selection}
              onValueChange={select}
              today={today}
              weekStartsOn={props.weekStartsOn}
            />
            <p id={hintId} className="activity-muted activity-range-hint" aria-live="polite">
              {summary}
            </p>
            <div className="activity-range-inputs">
              <label htmlFor={fromId}>{strings.customFrom}</label>
              <input
                id={fromId}
                type="date"
                value={fromText}
                max={toText || undefined}
                onChange={(e) => onFromText(e.target.value)}
              />
              <label htmlFor={toId}>{strings.customTo}</label>
              <input
                id={toId}
                type="date"
                value={toText}
                min={fromText || undefined}
                onChange={(e) => onToText(e.target.value)}
              />
            </div>
            <button
              type="button"
              className="activity-button activity-button-primary"
              disabled={!valid}
              onClick={apply}
            >
              {strings.applyRange}
            </button>
          </fieldset>
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}

/** Props of `FilterBar.Search`. */
export interface FilterSearchProps
  extends Omit<ComponentProps<'input'>, 'value' | 'defaultValue' | 'onChange'> {
  /** Delay before the search applies. @default 300 */
  debounceMs?: number | undefined;
}

/** Free-text search over action, entity label and actor name (debounced). */
function Search({ debounceMs = 300, className, ...rest }: FilterSearchProps): ReactNode {
  const { strings } = useActivityContext();
  const { filter, setFilter } = useFilterBar();
  const [text, setText] = useState(filter.q ?? '');
  const committed = useRef(filter.q ?? '');
  const latest = useRef({ filter, setFilter });
  latest.current = { filter, setFilter };
  useEffect(() => {
    // Follow outside changes (a removed chip, Back) without clobbering what the user is typing.
    if ((filter.q ?? '') !== committed.current) {
      committed.current = filter.q ?? '';
      setText(filter.q ?? '');
    }
  }, [filter.q]);
  useEffect(() => {
    if (text.trim() === committed.current) return;
    const timer = setTimeout(() => {
      committed.current = text.trim();
      latest.current.setFilter(setQuery(latest.current.filter, text));
    }, debounceMs);
    return () => clearTimeout(timer);
  }, [text, debounceMs]);
  return (
    <div className={cx('activity-search', className)}>
      <Icons.search />
      <input
        type="search"
        aria-label={strings.searchLabel}
        placeholder={strings.searchPlaceholder}
        {...rest}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
    </div>
  );
}

/** Active filters as removable chips. */
function Chips({ className, ...rest }: ComponentProps<'ul'>): ReactNode {
  const { strings, labels, locale, timeZone } = useActivityContext();
  const { filter, setFilter, facets } = useFilterBar();
  const actorNames = useMemo(
    () =>
      Object.fromEntries(
        (facets?.actors ?? []).filter((a) => a.label).map((a) => [a.value, a.label as string]),
      ),
    [facets],
  );
  const chips: FilterChip[] = filterChips(filter, { strings, labels, actorNames, locale, timeZone });
  if (chips.length === 0) return null;
  return (
    <ul aria-label={strings.activeFilters} {...rest} className={cx('activity-chips', className)}>
      {chips.map((chip) => (
        <li key={chip.key} className="activity-chip" data-axis={chip.axis}>
          <span>{chip.label}</span>
          <button
            type="button"
            aria-label={strings.removeFilter(chip.label)}
            onClick={() => setFilter(removeChip(filter, chip))}
          >
            <Icons.close />
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Clears every filter (back to the last 24 hours); hidden when nothing is set. */
function Clear({ className, children, ...rest }: ComponentProps<'button'>): ReactNode {
  const { strings, locale, timeZone } = useActivityContext();
  const { filter, setFilter } = useFilterBar();
  if (filterChips(filter, { strings, locale, timeZone }).length === 0) return null;
  return (
    <button
      type="button"
      {...rest}
      className={cx('activity-link-button', className)}
      onClick={() => setFilter(clearFilter(filter))}
    >
      {children ?? strings.clearAll}
    </button>
  );
}

/**
 * The filter bar, as parts: `Root` holds the filter; `Type`, `Status`, `User`, `Entity`, `DateRange`,
 * `Search`, `Chips` and `Clear` edit it.
 * @example <FilterBar.Root value={filter} onValueChange={setFilter}><FilterBar.Type /><FilterBar.Chips /></FilterBar.Root>
 */
export const FilterBar = { Root, Type, Status, User, Entity, DateRange, Search, Chips, Clear };
