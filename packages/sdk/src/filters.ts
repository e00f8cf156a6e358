import { formatInstant, parseInstant } from './core/isoDate.js';
import { ActivityError } from './errors.js';
import {
  ACTIVITY_STATUSES,
  ACTIVITY_TYPES,
  type ActivityFilter,
  type ActivityStatus,
  type ActivityType,
  DATE_RANGE_PRESETS,
  type DateRangePreset,
} from './types.js';

/** Length of each relative range in milliseconds (`all` has none). */
export const RANGE_MS: Record<Exclude<DateRangePreset, 'all'>, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '90d': 90 * 86_400_000,
  '1y': 365 * 86_400_000,
};

/** The default range when a filter names none. */
export const DEFAULT_RANGE: DateRangePreset = '24h';

/** Query-string names of each filter field. Multi-valued fields repeat (`type=A&type=B`). */
export const FILTER_PARAMS = {
  types: 'type',
  statuses: 'status',
  actorIds: 'actor',
  entityTypes: 'entityType',
  entityId: 'entityId',
  from: 'from',
  to: 'to',
  range: 'range',
  correlationId: 'correlationId',
  q: 'q',
} as const satisfies Record<keyof ActivityFilter, string>;

const MAX_VALUES = 100;
const MAX_TEXT = 200;

function multi(params: URLSearchParams, name: string): string[] {
  const values = params
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (values.length > MAX_VALUES) {
    throw new ActivityError('INVALID_FILTER', `${name}: at most ${MAX_VALUES} values`, { field: name });
  }
  for (const v of values) text(v, name);
  return [...new Set(values)];
}

function text(value: string, name: string): string {
  if (value.length > MAX_TEXT) {
    throw new ActivityError('INVALID_FILTER', `${name}: longer than ${MAX_TEXT} characters`, { field: name });
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f]/.test(value)) {
    throw new ActivityError('INVALID_FILTER', `${name}: contains control characters`, { field: name });
  }
  return value;
}

function oneOf<T extends string>(values: string[], allowed: readonly T[], name: string): T[] {
  for (const v of values) {
    if (!(allowed as readonly string[]).includes(v)) {
      throw new ActivityError('INVALID_FILTER', `${name}: "${v}" is not one of ${allowed.join(', ')}`, {
        field: name,
      });
    }
  }
  return values as T[];
}

function isoDate(value: string, name: string): string {
  const parsed = parseInstant(value, { allowDate: true });
  if (!parsed.ok) {
    // The value is echoed only in part: it may be long, and the field already says where the fault is.
    throw new ActivityError('INVALID_FILTER', `${name}: "${value.slice(0, 40)}" ${parsed.reason}`, {
      field: name,
    });
  }
  return formatInstant(parsed.ms);
}

/**
 * Parses a filter from a query string. Unknown parameters are ignored; an invalid value throws an
 * `ActivityError` with code `INVALID_FILTER` whose `field` names the parameter.
 * @example parseFilter('type=BACKGROUND_JOB&status=FAILED&range=7d')
 */
export function parseFilter(input: URLSearchParams | string): ActivityFilter {
  const params = typeof input === 'string' ? new URLSearchParams(input) : input;
  const filter: ActivityFilter = {};
  const types = oneOf<ActivityType>(multi(params, FILTER_PARAMS.types), ACTIVITY_TYPES, FILTER_PARAMS.types);
  if (types.length) filter.types = types;
  const statuses = oneOf<ActivityStatus>(
    multi(params, FILTER_PARAMS.statuses),
    ACTIVITY_STATUSES,
    FILTER_PARAMS.statuses,
  );
  if (statuses.length) filter.statuses = statuses;
  const actors = multi(params, FILTER_PARAMS.actorIds);
  if (actors.length) filter.actorIds = actors;
  const entityTypes = multi(params, FILTER_PARAMS.entityTypes);
  if (entityTypes.length) filter.entityTypes = entityTypes;
  for (const key of ['entityId', 'correlationId', 'q'] as const) {
    const v = params.get(FILTER_PARAMS[key]);
    if (v !== null && v.trim() !== '') filter[key] = text(v.trim(), FILTER_PARAMS[key]);
  }
  const range = params.get(FILTER_PARAMS.range);
  if (range !== null && range !== '') {
    filter.range = oneOf<DateRangePreset>([range], DATE_RANGE_PRESETS, FILTER_PARAMS.range)[0];
  }
  const from = params.get(FILTER_PARAMS.from);
  if (from) filter.from = isoDate(from, FILTER_PARAMS.from);
  const to = params.get(FILTER_PARAMS.to);
  if (to) filter.to = isoDate(to, FILTER_PARAMS.to);
  if (filter.from && filter.to && filter.from >= filter.to) {
    throw new ActivityError('INVALID_FILTER', 'from: must be earlier than to', { field: FILTER_PARAMS.from });
  }
  return filter;
}

/** Serializes a filter to query-string parameters, in a stable order; `parseFilter` reverses it. */
export function serializeFilter(filter: ActivityFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of Object.keys(FILTER_PARAMS) as (keyof ActivityFilter)[]) {
    const value = filter[key];
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      for (const v of [...value].sort()) params.append(FILTER_PARAMS[key], v);
    } else {
      params.set(FILTER_PARAMS[key], value);
    }
  }
  return params;
}

/** A filter with concrete `from`/`to` bounds, as stores receive it. */
export type ResolvedFilter = Omit<ActivityFilter, 'range'>;

/**
 * Turns the relative range into absolute bounds, the one meaning list, facets, histogram and export
 * share: explicit `from`/`to` win (from inclusive, to exclusive); a relative range `d` is
 * `[now - d, now]` (nothing dated after now); `all` has no bounds, except `retainedSince` as its lower
 * bound when given. With no range and no bounds the range is the last 24 hours.
 */
export function resolveFilter(
  filter: ActivityFilter,
  now: Date = new Date(),
  retainedSince?: string,
): ResolvedFilter {
  const { range, ...rest } = filter;
  if (rest.from !== undefined || rest.to !== undefined) return rest;
  const preset = range ?? DEFAULT_RANGE;
  if (preset === 'all') return retainedSince ? { ...rest, from: retainedSince } : rest;
  const end = now.getTime();
  // `to` is exclusive: one millisecond past now keeps an entry recorded at this very instant.
  return {
    ...rest,
    from: new Date(end - RANGE_MS[preset]).toISOString(),
    to: new Date(end + 1).toISOString(),
  };
}

/** True when two filters select the same entries (order of multi-values ignored). */
export function filtersEqual(a: ActivityFilter, b: ActivityFilter): boolean {
  return serializeFilter(a).toString() === serializeFilter(b).toString();
}

/** Number of active axes other than the date range, for "N filters" badges and empty states. */
export function activeFilterCount(filter: ActivityFilter): number {
  let n = 0;
  if (filter.types?.length) n++;
  if (filter.statuses?.length) n++;
  if (filter.actorIds?.length) n++;
  if (filter.entityTypes?.length) n++;
  if (filter.entityId) n++;
  if (filter.correlationId) n++;
  if (filter.q) n++;
  return n;
}

/** The spec's "investigating failures" preset: FAILED + WARNING. */
export const FAILURES_PRESET: ActivityStatus[] = ['FAILED', 'WARNING'];
