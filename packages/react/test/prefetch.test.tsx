/**
 * Issue 12: the list sends summaries; the drawer loads the full entry from `GET /entries/:id`, prefetched
 * when the pointer rests on a row or the keyboard makes it active, and cached by react-query.
 */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ActivityLog } from '../src/index.js';
import { expectNoAxeViolations } from './axe.js';
import { entry, specEntries } from './fixtures.js';
import { installServer, renderWithProvider, useApi } from './server.js';

installServer();

const rows = () => screen.queryAllByRole('row').filter((r) => r.id);
const detailRequests = (requests: URL[], id: string) =>
  requests.filter((u) => u.pathname.endsWith(`/entries/${id}`)).length;

describe('list summaries and the drawer', () => {
  it('hovering a row prefetches its full entry; the drawer shows the diff and metadata from it', async () => {
    const userAction = entry(5, {
      changes: [{ path: 'status', kind: 'changed', before: 'ACTIVE', after: 'VIP' }],
      metadata: { source: 'import-csv' },
    });
    const { client, requests } = useApi([userAction, entry(9), entry(12)]);
    // The list carries no diff or metadata: they can only come from the detail route.
    const page = await client.list({});
    expect(page.entries.find((e) => e.id === userAction.id)).not.toHaveProperty('changes');
    expect(page.entries.find((e) => e.id === userAction.id)).not.toHaveProperty('metadata');

    const user = userEvent.setup();
    renderWithProvider(<ActivityLog live={false} histogram={false} />, { client });
    await waitFor(() => expect(rows().length).toBe(3));
    const row = rows().find((r) => r.getAttribute('aria-rowindex') === '2');
    if (!row) throw new Error('no first row');
    expect(detailRequests(requests, userAction.id)).toBe(0);
    await user.hover(within(row).getByText('Riley Park'));
    await waitFor(() => expect(detailRequests(requests, userAction.id)).toBe(1));

    await user.click(row);
    const dialog = await screen.findByRole('dialog');
    const diff = within(dialog).getByRole('table');
    expect(diff.textContent).toContain('ACTIVE');
    expect(diff.textContent).toContain('VIP');
    expect(within(dialog).getByText('import-csv')).toBeTruthy();
    expect(within(dialog).queryByText('Loading details…')).toBeNull();
    // Opened from the cache: no second request.
    expect(detailRequests(requests, userAction.id)).toBe(1);
    await expectNoAxeViolations(document.body);
  });

  it('does not prefetch rows the pointer only crosses', async () => {
    const entries = [entry(1), entry(2), entry(3), entry(4)];
    const { client, requests } = useApi(entries);
    const user = userEvent.setup({ delay: null });
    renderWithProvider(<ActivityLog live={false} histogram={false} />, { client });
    await waitFor(() => expect(rows().length).toBe(4));
    for (const row of rows()) await user.hover(row);
    await user.unhover(rows()[3]!);
    await new Promise((r) => setTimeout(r, 200));
    expect(requests.filter((u) => /\/entries\/[^/]+$/.test(u.pathname))).toHaveLength(0);
  });

  it('the keyboard prefetches the active row; opening it shows the full entry', async () => {
    const { all, failedJob } = specEntries();
    const { client, requests } = useApi(all);
    const user = userEvent.setup();
    renderWithProvider(<ActivityLog live={false} histogram={false} />, { client });
    await waitFor(() => expect(rows().length).toBe(all.length));
    const grid = screen.getByRole('grid');
    grid.focus();
    const index = rows().findIndex(
      (r) => r.textContent?.includes('SYNC_SQUARE_STOCK') && r.textContent.includes('Failed'),
    );
    for (let i = 0; i < index; i++) await user.keyboard('{ArrowDown}');
    await waitFor(() => expect(detailRequests(requests, failedJob.id)).toBe(1));
    await user.keyboard('{Enter}');
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/at syncStock/).tagName).toBe('PRE');
  });

  it('opening a row that was not prefetched shows its summary, then the full entry', async () => {
    const { all, userAction } = specEntries();
    const { client, requests } = useApi(all);
    renderWithProvider(<ActivityLog live={false} histogram={false} />, { client });
    await waitFor(() => expect(rows().length).toBe(all.length));
    const row = rows().find((r) => r.textContent?.includes('Contact updated · Alex Chen'));
    if (!row) throw new Error('no row');
    row.click();
    const dialog = await screen.findByRole('dialog');
    // The summary's facts show at once, under the entry's title.
    expect(within(dialog).getByRole('heading', { name: 'Contact updated · Alex Chen' })).toBeTruthy();
    await waitFor(() => expect(within(dialog).getByRole('table').textContent).toContain('address.city'));
    expect(detailRequests(requests, userAction.id)).toBe(1);
  });
});
