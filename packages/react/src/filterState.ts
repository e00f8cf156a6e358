import {
  type ActivityFilter,
  type ActivityStatus,
  type ActivityType,
  DEFAULT_RANGE,
  FAILURES_PRESET,
  FILTER_PARAMS,
  parseFilter,
  serializeFilter,
} from '@activity/sdk/client';
import type { DateLocale as Locale } from './dateLocale.js';
import { entityTypeLabel, formatShort } from './format.js';
import type { ActivityStrings } from './strings.js';
import type { ActivityLabels } from './types.js';

/** The multi-valued axes of the filter bar. */
export type MultiAxis = 'types' | 'statuses' | 'actorIds' | 'entityTypes';

/** Adds or removes one value on a multi-valued axis; an emptied axis is dropped. */
export function toggleValue(filter: ActivityFilter, axis: MultiAxis, value: string): ActivityFilter {
  const current: string[] = filter[axis] ?? [];
  const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
  return setAxis(filter, axis, next);
}

/** Replaces the values of one axis; an empty list removes it. */
export function setAxis(filter: ActivityFilter, axis: MultiAxis, values: readonly string[]): ActivityFilter {
  const { [axis]: _drop, ...rest } = filter;
  if (values.length === 0) return rest;
  return { ...rest, [axis]: [...new Set(values)] } as ActivityFilter;
}

/** True when the statuses are exactly the Failures preset (FAILED + WARNING). */
export function isFailuresPreset(filter: ActivityFilter): boolean {
  const s = filter.statuses ?? [];
  return s.length === FAILURES_PRESET.length && FAILURES_PRESET.every((v) => s.includes(v));
}

/** Switches the Failures preset on (statuses = FAILED + WARNING) or off (no status filter). */
export function toggleFailuresPreset(filter: ActivityFilter): ActivityFilter {
  return setAxis(filter, 'statuses', isFailuresPreset(filter) ? [] : FAILURES_PRESET);
}

/** Sets a relative range preset, dropping any custom bounds. */
export function setRange(
  filter: ActivityFilter,
  range: NonNullable<ActivityFilter['range']>,
): ActivityFilter {
  const { from: _f, to: _t, range: _r, ...rest } = filter;
  return range === DEFAULT_RANGE ? rest : { ...rest, range };
}

/** Sets absolute bounds (ISO), dropping the relative range. */
export function setCustomRange(
  filter: ActivityFilter,
  from: string | undefined,
  to: string | undefined,
): ActivityFilter {
  const { from: _f, to: _t, range: _r, ...rest } = filter;
  return { ...rest, ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** Sets or clears the free-text search. */
export function setQuery(filter: ActivityFilter, q: string): ActivityFilter {
  const { q: _q, ...rest } = filter;
  const trimmed = q.trim();
  return trimmed ? { ...rest, q: trimmed } : rest;
}

/** Everything back to the default view (last 24 hours, no filters). */
export function clearFilter(_filter?: ActivityFilter): ActivityFilter {
  return {};
}

/** True when the filter has custom bounds rather than a relative range. */
export function hasCustomRange(filter: ActivityFilter): boolean {
  return filter.from !== undefined || filter.to !== undefined;
}

/** One removable chip of the active filters. */
export interface FilterChip {
  /** Stable React key. */
  key: string;
  axis: MultiAxis | 'range' | 'q' | 'entityId' | 'correlationId';
  value?: string | undefined;
  /** "Type: Background job". */
  label: string;
}

/** Context needed to label chips. */
export interface ChipContext {
  strings: ActivityStrings;
  labels?: ActivityLabels | undefined;
  /** Actor id → display name (from facets). */
  actorNames?: Record<string, string> | undefined;
  locale?: Locale | undefined;
  timeZone?: string | undefined;
}

/** Describes the date part of a filter: "Last 7 days" or "Mar 3, 10:00 – Mar 4, 10:00". */
export function rangeLabel(filter: ActivityFilter, ctx: ChipContext): string {
  if (hasCustomRange(filter)) {
    const opts = { locale: ctx.locale, timeZone: ctx.timeZone };
    const from = filter.from ? formatShort(filter.from, opts) : '…';
    const to = filter.to ? formatShort(filter.to, opts) : '…';
    return `${from} – ${to}`;
  }
  return ctx.strings.ranges[filter.range ?? DEFAULT_RANGE];
}

/** The chips for a filter, in axis order. The default 24-hour range gets no chip. */
export function filterChips(filter: ActivityFilter, ctx: ChipContext): FilterChip[] {
  const { strings } = ctx;
  const chips: FilterChip[] = [];
  for (const t of filter.types ?? []) {
    chips.push({
      key: `types:${t}`,
      axis: 'types',
      value: t,
      label: `${strings.filterType}: ${strings.types[t as ActivityType] ?? t}`,
    });
  }
  for (const s of filter.statuses ?? []) {
    chips.push({
      key: `statuses:${s}`,
      axis: 'statuses',
      value: s,
      label: `${strings.filterStatus}: ${strings.statuses[s as ActivityStatus] ?? s}`,
    });
  }
  for (const a of filter.actorIds ?? []) {
    chips.push({
      key: `actorIds:${a}`,
      axis: 'actorIds',
      value: a,
      label: `${strings.filterUser}: ${ctx.actorNames?.[a] ?? a}`,
    });
  }
  for (const e of filter.entityTypes ?? []) {
    chips.push({
      key: `entityTypes:${e}`,
      axis: 'entityTypes',
      value: e,
      label: `${strings.filterEntity}: ${entityTypeLabel(e, ctx.labels)}`,
    });
  }
  if (filter.entityId)
    chips.push({
      key: 'entityId',
      axis: 'entityId',
      value: filter.entityId,
      label: `${strings.entity}: ${filter.entityId}`,
    });
  if (filter.correlationId)
    chips.push({
      key: 'correlationId',
      axis: 'correlationId',
      value: filter.correlationId,
      label: `${strings.related}: ${filter.correlationId}`,
    });
  if (filter.q) chips.push({ key: 'q', axis: 'q', value: filter.q, label: `“${filter.q}”` });
  if (hasCustomRange(filter) || (filter.range !== undefined && filter.range !== DEFAULT_RANGE)) {
    chips.push({ key: 'range', axis: 'range', label: `${strings.filterDate}: ${rangeLabel(filter, ctx)}` });
  }
  return chips;
}

/** The filter without one chip. */
export function removeChip(filter: ActivityFilter, chip: FilterChip): ActivityFilter {
  switch (chip.axis) {
    case 'types':
    case 'statuses':
    case 'actorIds':
    case 'entityTypes':
      return setAxis(
        filter,
        chip.axis,
        (filter[chip.axis] ?? []).filter((v: string) => v !== chip.value),
      );
    case 'range':
      return setRange(filter, DEFAULT_RANGE);
    case 'q':
    case 'entityId':
    case 'correlationId': {
      const { [chip.axis]: _drop, ...rest } = filter;
      return rest;
    }
  }
}

/** Reads the filter from a query string; an invalid or tampered URL yields the fallback instead of a crash. */
export function filterFromSearch(search: string, fallback: ActivityFilter = {}): ActivityFilter {
  const params = new URLSearchParams(search);
  const names = Object.values(FILTER_PARAMS) as string[];
  if (![...params.keys()].some((k) => names.includes(k))) return fallback;
  try {
    return parseFilter(params);
  } catch {
    return fallback;
  }
}

/** Writes the filter into a query string, keeping the host's unrelated parameters. Returns `?…` or ''. */
export function searchWithFilter(search: string, filter: ActivityFilter): string {
  const params = new URLSearchParams(search);
  for (const name of Object.values(FILTER_PARAMS)) params.delete(name);
  for (const [k, v] of serializeFilter(filter)) params.append(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The filter narrowed to one histogram bucket. */
export function narrowToBucket(filter: ActivityFilter, start: string, widthMs: number): ActivityFilter {
  const from = new Date(start);
  return setCustomRange(filter, from.toISOString(), new Date(from.getTime() + widthMs).toISOString());
}
