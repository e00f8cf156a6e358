import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ActivityLog } from '../src/index.js';
import { expectNoAxeViolations } from './axe.js';
import { manyEntries, specEntries } from './fixtures.js';
import { installServer, renderWithProvider, useApi } from './server.js';

installServer();

const rows = () =>
  screen.queryAllByRole('row').filter((r) => r.getAttribute('aria-rowindex') !== '1' && r.id);
const listRequests = (requests: URL[]) => requests.filter((u) => u.pathname.endsWith('/entries'));

describe('<ActivityLog/>', () => {
  it('renders the spec page from the API: title, toolbar, rows with every column', async () => {
    const { all } = specEntries();
    const { client } = useApi(all);
    const { container } = renderWithProvider(<ActivityLog live={false} />, { client });
    expect(screen.getByRole('heading', { name: 'Activity Logs' })).toBeTruthy();
    expect(
      screen.getByText('Tracking all system activities and events across your organization'),
    ).toBeTruthy();
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    const first = rows()[1];
    if (!first) throw new Error('no row');
    const cells = within(first).getAllByRole('gridcell');
    expect(cells.map((c) => c.textContent)).toEqual([
      '2 minutes ago',
      'Background job',
      'Ssystem',
      'PROCESS_RELEASE_PAYMENTS · Spring 2026 Reds',
      'Success',
    ]);
    // The exact time is formatted on hover (not for every row scrolled past), then shown as the title.
    const time = within(first).getByText('2 minutes ago');
    expect(time.getAttribute('data-short')).toBe('2m');
    await userEvent.hover(time);
    expect(time.getAttribute('title')).toMatch(/\d{4}/);
    const running = rows()[0];
    if (!running) throw new Error('no row');
    expect(within(running).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('25');
    expect(screen.getByRole('grid').getAttribute('aria-rowcount')).toBe(String(all.length + 1));
    await expectNoAxeViolations(container);
  });

  it('filters by type through the popover, showing facet counts', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client, requests } = useApi(all);
    renderWithProvider(<ActivityLog live={false} />, { client });
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    await user.click(screen.getByRole('button', { name: /^Type/ }));
    const group = await screen.findByRole('group', { name: 'Type' });
    await waitFor(() => expect(within(group).getByText('3')).toBeTruthy()); // 3 background jobs
    await user.click(within(group).getByRole('checkbox', { name: 'Background job' }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(listRequests(requests).at(-1)?.searchParams.getAll('type')).toEqual(['BACKGROUND_JOB']);
    expect(rows().every((r) => within(r).getByText('Background job'))).toBe(true);
    await expectNoAxeViolations(document.body);
  });

  it('filters by status with the one-click Failures preset', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client, requests } = useApi(all);
    renderWithProvider(<ActivityLog live={false} />, { client });
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    const preset = screen.getByRole('button', { name: 'Failures' });
    await user.click(preset);
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(preset.getAttribute('aria-pressed')).toBe('true');
    expect(listRequests(requests).at(-1)?.searchParams.getAll('status').sort()).toEqual([
      'FAILED',
      'WARNING',
    ]);
    expect(screen.getByRole('list', { name: 'Active filters' }).textContent).toContain('Status: Failed');
    await expectNoAxeViolations(document.body);
  });

  it('filters by user with the searchable picker', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client } = useApi([
      ...all,
      {
        ...all[2]!,
        id: '01900000-0000-7000-8000-00000000abcd',
        actor: { kind: 'user', id: 'usr_sam', name: 'Sam Newhire' },
      },
    ]);
    renderWithProvider(<ActivityLog live={false} />, { client });
    await waitFor(() => expect(rows()).toHaveLength(all.length + 1));
    await user.click(screen.getByRole('button', { name: /^User/ }));
    const search = await screen.findByRole('searchbox', { name: 'Search people' });
    await user.type(search, 'new');
    const group = screen.getByRole('group', { name: 'User' });
    await waitFor(() => expect(within(group).getAllByRole('checkbox')).toHaveLength(1));
    await user.click(within(group).getByRole('checkbox', { name: 'Sam Newhire' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByRole('list', { name: 'Active filters' }).textContent).toContain('User: Sam Newhire');
    await expectNoAxeViolations(document.body);
  });

  it('filters by entity type, labelled from the catalog', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client, requests } = useApi(all, {
      handlerOptions: {
        catalog: {
          types: [],
          statuses: [],
          entityTypes: [
            { value: 'release', label: 'Release', plural: 'Releases' },
            { value: 'contact', label: 'Contact', plural: 'Contacts' },
          ],
          actions: {},
          jobs: [],
          providers: [],
          systemEvents: [],
        },
      },
    });
    renderWithProvider(<ActivityLog live={false} />, { client });
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    await user.click(screen.getByRole('button', { name: /^Entity/ }));
    const group = await screen.findByRole('group', { name: 'Entity' });
    await user.click(await within(group).findByRole('checkbox', { name: 'Release' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(listRequests(requests).at(-1)?.searchParams.get('entityType')).toBe('release');
    expect(screen.getByRole('list', { name: 'Active filters' }).textContent).toContain('Entity: Release');
  });

  it('filters by date range presets and a custom range', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const old = {
      ...all[1]!,
      id: '01800000-0000-7000-8000-00000000beef',
      occurredAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
      action: 'OLD_JOB',
    };
    const { client, requests } = useApi([...all, old]);
    renderWithProvider(<ActivityLog live={false} />, { client });
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    await user.click(screen.getByRole('button', { name: 'Date: Last 24 hours' }));
    await user.click(await screen.findByRole('button', { name: 'Last 7 days' }));
    await waitFor(() => expect(rows()).toHaveLength(all.length + 1));
    expect(listRequests(requests).at(-1)?.searchParams.get('range')).toBe('7d');
    await user.click(screen.getByRole('button', { name: 'Date: Last 7 days' }));
    const day = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const from = await screen.findByLabelText('From');
    await user.type(from, day);
    await user.type(screen.getByLabelText('To'), day);
    await expectNoAxeViolations(document.body);
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(listRequests(requests).at(-1)?.searchParams.get('from')).toBeTruthy());
    const last = listRequests(requests).at(-1);
    expect(
      Date.parse(last?.searchParams.get('to') ?? '') - Date.parse(last?.searchParams.get('from') ?? ''),
    ).toBeGreaterThanOrEqual(23 * 3_600_000);
    await waitFor(() =>
      expect(
        rows()
          .map((r) => r.textContent)
          .join(),
      ).toContain('OLD_JOB'),
    );
  });

  it('searches free text after a debounce', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client, requests } = useApi(all);
    renderWithProvider(<ActivityLog live={false} />, { client });
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    await user.type(screen.getByRole('searchbox', { name: 'Search activity' }), 'square');
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(
      listRequests(requests)
        .filter((u) => u.searchParams.has('q'))
        .map((u) => u.searchParams.get('q')),
    ).toEqual(['square']);
  });

  it('removes one chip, then clears all', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client } = useApi(all);
    renderWithProvider(
      <ActivityLog
        live={false}
        defaultFilter={{ types: ['BACKGROUND_JOB', 'WEBHOOK'], statuses: ['SUCCESS'] }}
        syncUrl={false}
      />,
      { client },
    );
    // The successful payment run and the successful Stripe webhook.
    await waitFor(() => expect(rows()).toHaveLength(2));
    await user.click(screen.getByRole('button', { name: 'Remove filter Type: Webhook' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rows()[0]?.textContent).toContain('PROCESS_RELEASE_PAYMENTS');
    await user.click(screen.getByRole('button', { name: 'Clear all' }));
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    expect(screen.queryByRole('list', { name: 'Active filters' })).toBeNull();
    await expectNoAxeViolations(document.body);
  });

  it('syncs the filter to the URL and back (load, change, Back)', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client } = useApi(all);
    window.history.replaceState(null, '', '/activity?tab=logs&type=WEBHOOK');
    renderWithProvider(<ActivityLog live={false} />, { client });
    await waitFor(() => expect(rows()).toHaveLength(2));
    await user.click(screen.getByRole('button', { name: 'Failures' }));
    await waitFor(() =>
      expect(window.location.search).toBe('?tab=logs&type=WEBHOOK&status=FAILED&status=WARNING'),
    );
    await waitFor(() => expect(rows()).toHaveLength(1));
    act(() => {
      window.history.replaceState(null, '', '/activity?status=FAILED');
      window.dispatchEvent(new PopStateEvent('popstate'));
    });
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(rows()[0]?.textContent).toContain('SYNC_SQUARE_STOCK');
    expect(screen.getByRole('button', { name: 'Failures' }).getAttribute('aria-pressed')).toBe('false');
  });

  it('shows an empty state naming the filters, with Clear filters', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client } = useApi(all);
    const { container } = renderWithProvider(
      <ActivityLog
        live={false}
        syncUrl={false}
        defaultFilter={{ types: ['SYSTEM_EVENT'], statuses: ['FAILED'] }}
      />,
      { client },
    );
    expect(await screen.findByText('No activity found')).toBeTruthy();
    expect(screen.getByText('Nothing matches Type: System event, Status: Failed.')).toBeTruthy();
    await expectNoAxeViolations(container);
    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(rows()).toHaveLength(all.length));
  });

  it('shows an error state with a Retry that reloads', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client: failing } = useApi([], { failWith: 500 });
    const { container } = renderWithProvider(<ActivityLog live={false} histogram={false} />, {
      client: failing,
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load activity');
    await expectNoAxeViolations(container);
    useApi(all);
    await user.click(within(alert).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(rows()).toHaveLength(all.length));
  });

  it('shows a loading skeleton while the first page loads', async () => {
    const { client } = useApi([], { delayMs: Number.POSITIVE_INFINITY });
    const { container } = renderWithProvider(<ActivityLog live={false} />, { client });
    expect(screen.getByText('Loading activity…').closest('[role=status]')).toBeTruthy();
    expect(screen.getByRole('grid').getAttribute('aria-busy')).toBe('true');
    await expectNoAxeViolations(container);
  });

  it('loads the next page when the rendered rows near the end', async () => {
    const entries = manyEntries(70);
    const { client, requests } = useApi(entries);
    renderWithProvider(<ActivityLog live={false} pageSize={20} />, { client });
    // 600 px / 44 px rows + overscan reach row 20 at once: the second page loads by itself.
    await waitFor(() =>
      expect(
        listRequests(requests).filter((u) => u.searchParams.has('cursor')).length,
      ).toBeGreaterThanOrEqual(1),
    );
    const grid = screen.getByRole('grid');
    await waitFor(() => expect(grid.getAttribute('aria-rowcount')).toBe('-1'));
    // Scroll to the bottom: the rest loads, and the count becomes exact.
    for (let i = 0; i < 5; i++) {
      act(() => grid.scrollTo({ top: 70 * 44 }));
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(() => expect(grid.getAttribute('aria-rowcount')).toBe('71'));
    const cursors = listRequests(requests).map((u) => u.searchParams.get('cursor'));
    expect(new Set(cursors).size).toBe(cursors.length);
  });
});
