import { describe, expect, it } from 'vitest';
import {
  clearFilter,
  filterChips,
  filterFromSearch,
  isFailuresPreset,
  narrowToBucket,
  removeChip,
  searchWithFilter,
  setCustomRange,
  setQuery,
  setRange,
  toggleFailuresPreset,
  toggleValue,
} from './filterState.js';
import { DEFAULT_STRINGS } from './strings.js';

const ctx = {
  strings: DEFAULT_STRINGS,
  actorNames: { usr_riley: 'Riley Park' },
  labels: { entityTypes: { contact: 'Contacts' } },
};

describe('filterState', () => {
  it('toggles values on an axis and drops an emptied axis', () => {
    const a = toggleValue({}, 'types', 'WEBHOOK');
    expect(a).toEqual({ types: ['WEBHOOK'] });
    expect(toggleValue(a, 'types', 'BACKGROUND_JOB')).toEqual({ types: ['WEBHOOK', 'BACKGROUND_JOB'] });
    expect(toggleValue(a, 'types', 'WEBHOOK')).toEqual({});
  });

  it('switches the Failures preset on and off', () => {
    const on = toggleFailuresPreset({ types: ['BACKGROUND_JOB'] });
    expect(on.statuses?.slice().sort()).toEqual(['FAILED', 'WARNING']);
    expect(isFailuresPreset(on)).toBe(true);
    expect(isFailuresPreset({ statuses: ['FAILED'] })).toBe(false);
    expect(toggleFailuresPreset(on)).toEqual({ types: ['BACKGROUND_JOB'] });
  });

  it('keeps range and custom bounds exclusive', () => {
    const custom = setCustomRange({ range: '7d' }, '2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z');
    expect(custom).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' });
    expect(setRange(custom, '30d')).toEqual({ range: '30d' });
    // The default range is implied, so it leaves no trace in the URL.
    expect(setRange(custom, '24h')).toEqual({});
  });

  it('trims and clears the search text', () => {
    expect(setQuery({}, '  riley ')).toEqual({ q: 'riley' });
    expect(setQuery({ q: 'x' }, '   ')).toEqual({});
  });

  it('labels one chip per value, with names from facets and the catalog', () => {
    const chips = filterChips(
      {
        types: ['WEBHOOK'],
        statuses: ['FAILED'],
        actorIds: ['usr_riley'],
        entityTypes: ['contact'],
        q: 'vip',
        range: '7d',
      },
      ctx,
    );
    expect(chips.map((c) => c.label)).toEqual([
      'Type: Webhook',
      'Status: Failed',
      'User: Riley Park',
      'Entity: Contacts',
      '“vip”',
      'Date: Last 7 days',
    ]);
    expect(filterChips({}, ctx)).toEqual([]);
  });

  it('removes exactly the chip clicked', () => {
    const filter = {
      types: ['WEBHOOK', 'BACKGROUND_JOB'] as ('WEBHOOK' | 'BACKGROUND_JOB')[],
      q: 'x',
      range: '7d' as const,
    };
    const chips = filterChips(filter, ctx);
    const webhook = chips.find((c) => c.value === 'WEBHOOK');
    const range = chips.find((c) => c.axis === 'range');
    if (!webhook || !range) throw new Error('chips missing');
    expect(removeChip(filter, webhook)).toEqual({ types: ['BACKGROUND_JOB'], q: 'x', range: '7d' });
    expect(removeChip(filter, range)).toEqual({ types: ['WEBHOOK', 'BACKGROUND_JOB'], q: 'x' });
    expect(clearFilter(filter)).toEqual({});
  });

  it('round-trips through the URL, keeping the host parameters', () => {
    const filter = {
      types: ['WEBHOOK' as const],
      statuses: ['FAILED' as const, 'WARNING' as const],
      q: 'stripe',
    };
    const search = searchWithFilter('?tab=activity&type=USER_ACTION', filter);
    expect(search).toBe('?tab=activity&type=WEBHOOK&status=FAILED&status=WARNING&q=stripe');
    expect(filterFromSearch(search)).toEqual({
      types: ['WEBHOOK'],
      statuses: ['FAILED', 'WARNING'],
      q: 'stripe',
    });
    expect(searchWithFilter('?tab=activity&type=WEBHOOK', {})).toBe('?tab=activity');
  });

  it('falls back on a tampered URL instead of throwing', () => {
    expect(filterFromSearch('?type=NOPE', { range: '7d' })).toEqual({ range: '7d' });
    expect(filterFromSearch('?tab=x', { range: '1h' })).toEqual({ range: '1h' });
  });

  it('narrows to a histogram bucket', () => {
    expect(
      narrowToBucket({ range: '7d', types: ['WEBHOOK'] }, '2026-03-01T10:00:00.000Z', 3_600_000),
    ).toEqual({
      types: ['WEBHOOK'],
      from: '2026-03-01T10:00:00.000Z',
      to: '2026-03-01T11:00:00.000Z',
    });
  });
});
