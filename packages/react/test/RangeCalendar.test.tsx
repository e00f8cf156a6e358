import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ActivityLog } from '../src/index.js';
import { expectNoAxeViolations } from './axe.js';
import { specEntries } from './fixtures.js';
import { installServer, renderWithProvider, useApi } from './server.js';

installServer();

const ZONE = 'Asia/Tokyo'; // UTC+9 all year, so expected instants can be written with a fixed offset

/** `YYYY-MM` of today in Tokyo, and of the month before. */
function tokyoMonths(): { current: string; previous: string } {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date());
  const [y, m] = today.split('-').map(Number) as [number, number];
  const prev = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  return { current: today.slice(0, 7), previous: prev };
}

function monthName(month: string): string {
  return new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${month}-01T00:00:00Z`),
  );
}

describe('FilterBar.DateRange calendar', () => {
  it('picks a range with the keyboard and the mouse, highlights it, and applies it in the provider’s zone', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client, requests } = useApi(all);
    renderWithProvider(<ActivityLog live={false} histogram={false} />, { client, timeZone: ZONE });
    await user.click(screen.getByRole('button', { name: 'Date: Last 24 hours' }));
    const { current, previous } = tokyoMonths();
    const grid = await screen.findByRole('grid', { name: monthName(current) });
    // Today (in Tokyo) is marked and is the one tabbable day.
    const today = grid.querySelector('[aria-current="date"]');
    expect(today?.getAttribute('tabindex')).toBe('0');
    expect(today?.getAttribute('data-day')?.slice(0, 7)).toBe(current);

    await user.click(screen.getByRole('button', { name: 'Next month' }));
    await user.click(screen.getByRole('button', { name: 'Previous month' }));
    await user.click(screen.getByRole('button', { name: 'Previous month' }));
    const prevGrid = screen.getByRole('grid', { name: monthName(previous) });
    const first = prevGrid.querySelector<HTMLButtonElement>(`button[data-day="${previous}-01"]`);
    expect(first?.tabIndex).toBe(0);

    // Keyboard: from the 1st, down a week and right two days is the 10th; Enter starts the range.
    first?.focus();
    await user.keyboard('{ArrowDown}{ArrowRight}{ArrowRight}');
    expect(document.activeElement?.getAttribute('data-day')).toBe(`${previous}-10`);
    await user.keyboard('{Enter}');
    // The mouse ends it on the 12th.
    await user.click(prevGrid.querySelector(`button[data-day="${previous}-12"]`) as HTMLElement);
    const selected = within(prevGrid)
      .getAllByRole('gridcell')
      .filter((c) => c.getAttribute('aria-selected') === 'true')
      .map((c) => c.querySelector('button')?.getAttribute('data-day'));
    expect(selected).toEqual([`${previous}-10`, `${previous}-11`, `${previous}-12`]);
    expect((screen.getByLabelText('From') as HTMLInputElement).value).toBe(`${previous}-10`);
    expect((screen.getByLabelText('To') as HTMLInputElement).value).toBe(`${previous}-12`);
    expect(screen.getByText(/days in Asia\/Tokyo/)).toBeTruthy();
    await expectNoAxeViolations(document.body);

    await user.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() =>
      expect(
        requests
          .filter((u) => u.pathname.endsWith('/entries'))
          .at(-1)
          ?.searchParams.get('from'),
      ).toBeTruthy(),
    );
    const last = requests.filter((u) => u.pathname.endsWith('/entries')).at(-1);
    // Midnight of the 10th to midnight after the 12th, Tokyo time.
    expect(Date.parse(last?.searchParams.get('from') ?? '')).toBe(
      Date.parse(`${previous}-10T00:00:00+09:00`),
    );
    expect(Date.parse(last?.searchParams.get('to') ?? '')).toBe(Date.parse(`${previous}-13T00:00:00+09:00`));
  });

  it('keeps the presets and reopens on the applied range', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client, requests } = useApi(all);
    renderWithProvider(<ActivityLog live={false} histogram={false} />, { client, timeZone: ZONE });
    await user.click(screen.getByRole('button', { name: 'Date: Last 24 hours' }));
    const presets = await screen.findByRole('group', { name: 'Date' });
    expect(
      within(presets)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual([
      'Last hour',
      'Last 24 hours',
      'Last 7 days',
      'Last 30 days',
      'Last 90 days',
      'Last year',
      'Everything retained',
    ]);
    const { previous } = tokyoMonths();
    await user.type(screen.getByLabelText('From'), `${previous}-03`);
    await user.type(screen.getByLabelText('To'), `${previous}-05`);
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() =>
      expect(
        requests
          .filter((u) => u.pathname.endsWith('/entries'))
          .at(-1)
          ?.searchParams.get('to'),
      ).toBe(new Date(`${previous}-06T00:00:00+09:00`).toISOString()),
    );
    await user.click(screen.getByRole('button', { name: /^Date: / }));
    const grid = await screen.findByRole('grid', { name: monthName(previous) });
    const selected = within(grid)
      .getAllByRole('gridcell')
      .filter((c) => c.getAttribute('aria-selected') === 'true');
    expect(selected).toHaveLength(3);
    expect(selected[0]?.hasAttribute('data-range-start')).toBe(true);
    expect(selected[2]?.hasAttribute('data-range-end')).toBe(true);
  });
});
