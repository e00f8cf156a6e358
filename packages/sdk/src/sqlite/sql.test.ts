import { describe, expect, it } from 'vitest';
import { buildWhere } from './sql.js';

describe('buildWhere', () => {
  it('folds the cursor and `to` into one upper bound, so deep pages under a `to` bound start at the cursor', () => {
    // Regression: with `occurred_at < to` and the row-value cursor as separate clauses, SQLite started the
    // index range at `to` and every deeper export page re-read all newer rows (O(n²) over 1M rows).
    const where = buildWhere(
      {
        orgId: 'org_a',
        to: '2026-03-15T12:00:00.000Z',
        after: { occurredAt: '2026-03-10T00:00:00.000Z', id: 'x' },
      },
      true,
    );
    expect(where.sql.match(/occurred_at <= \?/g)).toHaveLength(1);
    expect(where.sql).not.toContain('occurred_at < ?');
    expect(where.params).toContain(Date.parse('2026-03-10T00:00:00.000Z'));
  });

  it('keeps `to` exclusive when it is tighter than the cursor', () => {
    const to = '2026-03-01T00:00:00.000Z';
    const where = buildWhere(
      { orgId: 'org_a', to, after: { occurredAt: '2026-03-10T00:00:00.000Z', id: 'x' } },
      true,
    );
    expect(where.params).toContain(Date.parse(to) - 1);
  });
});
