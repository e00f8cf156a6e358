import { formatDistanceStrict } from 'date-fns';
import { enUS, fr } from 'date-fns/locale';
import { describe, expect, it } from 'vitest';
import {
  actionLabel,
  cachedDateTimeFormat,
  dayInZone,
  eventLabel,
  formatBytes,
  formatDuration,
  formatExact,
  formatRelative,
  formatRelativeCompact,
  formatValue,
  labelsFromCatalog,
  prettyJson,
  startOfDayInZone,
} from './format.js';

const now = new Date('2026-03-10T12:00:00Z');

describe('formatRelative', () => {
  it('says "2 minutes ago"', () => {
    expect(formatRelative('2026-03-10T11:58:00Z', now)).toBe('2 minutes ago');
  });
  it('uses the given locale', () => {
    expect(formatRelative('2026-03-10T11:00:00Z', now, fr)).toBe('il y a 1 heure');
  });
  it('never says "in …" for a slightly future timestamp (clock skew)', () => {
    expect(formatRelative('2026-03-10T12:00:05Z', now)).toBe('just now');
  });
  it('says "just now" under a minute (the given text), and minutes from one minute on', () => {
    expect(formatRelative('2026-03-10T11:59:59Z', now)).toBe('just now');
    expect(formatRelative('2026-03-10T11:59:01Z', now)).toBe('just now');
    expect(formatRelative('2026-03-10T11:59:30Z', now, fr, 'à l’instant')).toBe('à l’instant');
    expect(formatRelative('2026-03-10T11:59:00Z', now)).toBe('1 minute ago');
    // A ticking age (a job's heartbeat) keeps its seconds.
    expect(formatRelative('2026-03-10T11:59:48Z', now, undefined, null)).toBe('12 seconds ago');
  });
});

describe('formatRelative cache', () => {
  it('gives date-fns’ own text at every age, rounding boundaries and locales included', () => {
    // Ages around each rounding boundary (x.5 minutes, x.5 hours) and the unit changes, then a sweep.
    const ages = [
      59_999, 60_000, 89_999, 90_000, 90_001, 3_569_999, 3_570_000, 3_599_999, 3_600_000, 5_399_999,
      5_400_000, 5_400_001, 84_599_999, 84_600_000, 86_399_999, 86_400_000, 86_400_001, 200_000_000,
    ];
    for (let ms = 0; ms < 2 * 86_400_000; ms += 77_777) ages.push(ms);
    for (const locale of [undefined, fr, enUS]) {
      for (const age of ages) {
        const at = new Date(now.getTime() - age);
        const text = formatRelative(at.toISOString(), now, locale, null);
        expect(text).toBe(formatDistanceStrict(at, now, { addSuffix: true, ...(locale ? { locale } : {}) }));
      }
    }
  });
  it('keeps locales apart', () => {
    expect(formatRelative('2026-03-10T11:00:00Z', now)).toBe('1 hour ago');
    expect(formatRelative('2026-03-10T11:00:00Z', now, fr)).toBe('il y a 1 heure');
    expect(formatRelativeCompact('2026-03-10T11:00:00Z', now, fr)).toBe(
      new Intl.NumberFormat('fr', { style: 'unit', unit: 'hour', unitDisplay: 'narrow' }).format(1),
    );
    expect(formatRelativeCompact('2026-03-10T11:00:00Z', now)).toBe('1h');
  });
});

describe('formatRelativeCompact', () => {
  it('gives the largest whole unit, narrow', () => {
    expect(formatRelativeCompact('2026-03-10T11:58:30Z', now)).toBe('1m');
    expect(formatRelativeCompact('2026-03-10T09:59:00Z', now)).toBe('2h');
    expect(formatRelativeCompact('2026-03-07T12:00:00Z', now.getTime())).toBe('3d');
  });
  it('says 0s for a slightly future timestamp (clock skew) and passes bad input through', () => {
    expect(formatRelativeCompact('2026-03-10T12:00:05Z', now)).toBe('0s');
    expect(formatRelativeCompact('not a date', now)).toBe('not a date');
  });
});

describe('cachedDateTimeFormat', () => {
  it('returns one formatter per locale and options, a new one when either differs', () => {
    const a = cachedDateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' });
    expect(cachedDateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' })).toBe(a);
    expect(cachedDateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'Asia/Tokyo' })).not.toBe(a);
    expect(cachedDateTimeFormat('fr', { dateStyle: 'medium', timeZone: 'UTC' })).not.toBe(a);
  });
});

describe('formatExact', () => {
  it('shows the time in the requested time zone', () => {
    const text = formatExact('2026-03-10T12:00:00Z', { timeZone: 'America/New_York', locale: enUS });
    expect(text).toContain('8:00:00');
    expect(text).toMatch(/EDT|GMT-4/);
  });
});

describe('time zones', () => {
  it('finds midnight of a day in a zone, across a DST change', () => {
    expect(startOfDayInZone('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(startOfDayInZone('2026-03-09', 'America/New_York').toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(startOfDayInZone('2026-03-09', 'Asia/Tokyo').toISOString()).toBe('2026-03-08T15:00:00.000Z');
  });
  it('names the day of an instant in a zone', () => {
    expect(dayInZone('2026-03-09T02:00:00Z', 'America/Los_Angeles')).toBe('2026-03-08');
    expect(dayInZone('2026-03-09T02:00:00Z', 'Europe/Paris')).toBe('2026-03-09');
  });
  it('rejects a malformed day', () => {
    expect(() => startOfDayInZone('03/09/2026', 'UTC')).toThrow(RangeError);
  });
});

describe('labels', () => {
  it('humanises dotted user actions and keeps job names and webhook events raw', () => {
    expect(actionLabel({ action: 'contact.tags_added', type: 'USER_ACTION' })).toBe('Contact tags added');
    expect(actionLabel({ action: 'PROCESS_RELEASE_PAYMENTS', type: 'BACKGROUND_JOB' })).toBe(
      'PROCESS_RELEASE_PAYMENTS',
    );
    expect(actionLabel({ action: 'payment_intent.succeeded', type: 'WEBHOOK' })).toBe(
      'payment_intent.succeeded',
    );
  });
  it('prefers catalog labels', () => {
    expect(
      actionLabel(
        { action: 'release.promoted', type: 'USER_ACTION' },
        { actions: { 'release.promoted': 'Release promoted to PENDING' } },
      ),
    ).toBe('Release promoted to PENDING');
  });
  it('builds the Event column as action · entity label', () => {
    const e = {
      action: 'contact.updated',
      type: 'USER_ACTION' as const,
      entity: { type: 'contact', id: 'c1', label: 'Alex Chen' },
    };
    expect(eventLabel(e as Parameters<typeof eventLabel>[0])).toBe('Contact updated · Alex Chen');
  });
  it('reads the SDK catalog labels shape', () => {
    const labels = labelsFromCatalog({
      entityTypes: [{ value: 'contact', label: 'Contact', plural: 'Contacts' }],
      actions: { 'contact.updated': 'Contact updated' },
      jobs: [],
    });
    expect(labels).toEqual({
      entityTypes: { contact: 'Contact' },
      actions: { 'contact.updated': 'Contact updated' },
    });
    expect(labelsFromCatalog(null)).toEqual({});
    expect(labelsFromCatalog({ entityTypes: { release: { label: 'Release' } } })).toEqual({
      entityTypes: { release: 'Release' },
    });
  });
});

describe('values', () => {
  it('formats values for diff cells', () => {
    expect(formatValue(undefined)).toBe('—');
    expect(formatValue(null)).toBe('null');
    expect(formatValue('')).toBe('""');
    expect(formatValue(12)).toBe('12');
    expect(formatValue({ a: [1] })).toBe('{"a":[1]}');
  });
  it('pretty-prints JSON bodies, including JSON inside a string', () => {
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson({ b: true })).toBe('{\n  "b": true\n}');
    expect(prettyJson('plain text')).toBe('plain text');
    expect(prettyJson('{broken')).toBe('{broken');
  });
  it('formats bytes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(formatDuration(450)).toBe('450 ms');
    expect(formatDuration(4200)).toBe('4.2 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
  });
});
