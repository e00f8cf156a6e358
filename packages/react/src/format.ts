import type { ActivityEntry, ActivityEntrySummary } from '@activity/sdk/client';
import { formatDistanceStrict } from 'date-fns';
import type { DateLocale as Locale } from './dateLocale.js';
import type { ActivityLabels } from './types.js';

// Building an Intl formatter costs far more than formatting with one (it loads locale data), and a
// virtualized table formats on every row it renders: one cached instance per locale, zone and options.
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

/** A shared `Intl.DateTimeFormat` for these arguments, created on first use. */
export function cachedDateTimeFormat(
  locale: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    dateTimeFormats.set(key, format);
  }
  return format;
}

function compactUnitFormat(locale: string, unit: string): Intl.NumberFormat {
  // Keyed by hand, not by JSON of the options: this runs for every row scrolled into view.
  const key = `${locale}|${unit}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, {
      style: 'unit',
      unit,
      unitDisplay: 'narrow',
      maximumFractionDigits: 0,
    });
    numberFormats.set(key, format);
  }
  return format;
}

const COMPACT_UNITS = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
] as const;

// Formatted ages, shared by every row of the same age: a scrolled table formats two ages per row it
// renders, and formatting (Intl, date-fns) costs far more than a lookup. Bounded: cleared when full.
const compactTexts = new Map<string, string>();
const relativeTexts = new WeakMap<object, Map<string, string>>();
const DEFAULT_LOCALE = {};
const MAX_CACHED = 2_000;

function remember<K>(cache: Map<K, string>, key: K, make: () => string): string {
  let text = cache.get(key);
  if (text === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    text = make();
    cache.set(key, text);
  }
  return text;
}

/** "2h", "21m", "3d": the largest whole unit, for narrow tables where "2 hours ago" does not fit. */
export function formatRelativeCompact(iso: string, now: Date | number, locale?: Locale): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  // Clock skew: an entry a few seconds "in the future" reads as 0s, as in formatRelative.
  const ms = Math.max(0, (typeof now === 'number' ? now : now.getTime()) - at);
  const [unit, size] = COMPACT_UNITS.find(([, s]) => ms >= s) ?? COMPACT_UNITS[3];
  const count = Math.floor(ms / size);
  const code = locale?.code ?? 'en-US';
  return remember(compactTexts, `${code}|${unit}|${count}`, () =>
    compactUnitFormat(code, unit).format(count),
  );
}

/**
 * "2 minutes ago", and `justNow` ("just now") under a minute (`null`: "12 seconds ago", for an age that
 * ticks by the second); relative to `now` so the table can re-render on a shared clock.
 */
export function formatRelative(
  iso: string,
  now: Date,
  locale?: Locale,
  justNow: string | null = 'just now',
): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // A clock skew of a few seconds must not print "in 3 seconds" for an entry that just happened.
  const at = date.getTime() > now.getTime() ? now : date;
  const ms = now.getTime() - at.getTime();
  if (justNow !== null && ms < 60_000) return justNow;
  const format = () => formatDistanceStrict(at, now, { addSuffix: true, ...(locale ? { locale } : {}) });
  // From a minute to a day, date-fns' text is a function of the rounded minutes or hours alone (its DST
  // correction applies from a day on), so one string serves every entry of that age.
  if (ms < 60_000 || ms >= 86_400_000) return format();
  const minutes = ms / 60_000;
  const key = minutes < 60 ? `m${Math.round(minutes)}` : `h${Math.round(minutes / 60)}`;
  const scope = locale ?? DEFAULT_LOCALE;
  let cache = relativeTexts.get(scope);
  if (!cache) {
    cache = new Map();
    relativeTexts.set(scope, cache);
  }
  return remember(cache, key, format);
}

/** Exact date and time in the viewer's (or the given) time zone, with the zone named. */
export function formatExact(
  iso: string,
  options: { locale?: Locale | undefined; timeZone?: string | undefined } = {},
): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return cachedDateTimeFormat(options.locale?.code ?? 'en-US', {
    dateStyle: 'medium',
    timeStyle: 'long',
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  }).format(date);
}

/** Short date and time for histogram bars and chips. */
export function formatShort(
  iso: string,
  options: { locale?: Locale | undefined; timeZone?: string | undefined } = {},
): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return cachedDateTimeFormat(options.locale?.code ?? 'en-US', {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  }).format(date);
}

/** Offset of `timeZone` from UTC at `date`, in minutes (positive east of Greenwich). */
export function timeZoneOffsetMinutes(date: Date, timeZone: string): number {
  const parts = cachedDateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(date);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
}

/**
 * The UTC instant of midnight starting `day` (`YYYY-MM-DD`) in `timeZone` (the browser's zone when omitted).
 * Used by the custom date range, so "from 3 March" means 3 March where the viewer is.
 */
export function startOfDayInZone(day: string, timeZone?: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${day}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  if (!timeZone) return new Date(y, mo, d);
  const guess = Date.UTC(y, mo, d);
  // Two passes settle the offset across a DST change happening on that day.
  let utc = guess - timeZoneOffsetMinutes(new Date(guess), timeZone) * 60_000;
  utc = guess - timeZoneOffsetMinutes(new Date(utc), timeZone) * 60_000;
  return new Date(utc);
}

/** `YYYY-MM-DD` of an instant in `timeZone` (browser zone when omitted), for date inputs. */
export function dayInZone(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  const parts = cachedDateTimeFormat('en-CA', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Human size: 1.2 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** 1.2 s, 3 min 4 s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (m < 60) return rest ? `${m} min ${rest} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/** One value for display in a diff or metadata cell. */
export function formatValue(value: unknown, empty = '—'): string {
  if (value === undefined) return empty;
  if (value === null) return 'null';
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Pretty JSON for webhook bodies; a string holding JSON is parsed first, other strings shown as is. */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        return JSON.stringify(JSON.parse(trimmed), null, 2);
      } catch {
        return value;
      }
    }
    return value;
  }
  if (value === undefined) return '';
  return JSON.stringify(value, null, 2) ?? String(value);
}

/**
 * The action's label: the catalog's when known, `contact.updated` → "Contact updated" for dotted
 * lower-case verbs, otherwise the code itself (job names and provider event types read best raw).
 */
export function actionLabel(entry: Pick<ActivityEntry, 'action' | 'type'>, labels?: ActivityLabels): string {
  const known = labels?.actions?.[entry.action];
  if (known) return known;
  if (entry.type !== 'WEBHOOK' && /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/.test(entry.action)) {
    const text = entry.action.replace('.', ' ').replace(/_/g, ' ');
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  return entry.action;
}

/** Entity type label from the catalog, or the code capitalised. */
export function entityTypeLabel(type: string, labels?: ActivityLabels): string {
  const known = labels?.entityTypes?.[type];
  if (known) return known;
  const text = type.replace(/[_-]/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "Contact updated · Alex Chen" — the table's Event column. */
export function eventLabel(
  entry: Pick<ActivityEntrySummary, 'action' | 'type' | 'entity'>,
  labels?: ActivityLabels,
): string {
  const action = actionLabel(entry, labels);
  const target = entry.entity?.label ?? entry.entity?.id;
  return target ? `${action} · ${target}` : action;
}

/** Actor display name, falling back to the id. */
export function actorLabel(entry: Pick<ActivityEntry, 'actor'>): string {
  return entry.actor.name ?? entry.actor.id;
}

/**
 * Reads display labels from whatever `client.catalog()` returns. Accepts `{ entityTypes: { contact: 'Contacts' } }`,
 * `{ entityTypes: { contact: { label: 'Contacts' } } }` or arrays of `{ type|name|value, label }`; ignores the rest.
 */
export function labelsFromCatalog(catalog: unknown): ActivityLabels {
  const out: ActivityLabels = {};
  if (!catalog || typeof catalog !== 'object') return out;
  const source = catalog as Record<string, unknown>;
  const pick = (value: unknown): Record<string, string> | undefined => {
    if (!value || typeof value !== 'object') return undefined;
    const map: Record<string, string> = {};
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((item): [string, unknown] => {
          const o = (item ?? {}) as Record<string, unknown>;
          const key = o.type ?? o.name ?? o.value ?? o.id ?? o.action;
          return [typeof key === 'string' ? key : '', o];
        })
      : Object.entries(value);
    for (const [key, v] of entries) {
      if (!key) continue;
      if (typeof v === 'string') map[key] = v;
      else if (v && typeof v === 'object' && typeof (v as { label?: unknown }).label === 'string') {
        map[key] = (v as { label: string }).label;
      }
    }
    return Object.keys(map).length ? map : undefined;
  };
  const entityTypes = pick(source.entityTypes ?? source.entities);
  const actions = pick(source.actions);
  if (entityTypes) out.entityTypes = entityTypes;
  if (actions) out.actions = actions;
  return out;
}

/**
 * True for a 403 from the API: an `ActivityError` with code `FORBIDDEN`, also when it comes from another
 * copy of the SDK (a host bundling its own), where `instanceof` fails.
 */
export function isForbiddenError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; status?: unknown };
  return e.code === 'FORBIDDEN' || e.status === 403;
}
