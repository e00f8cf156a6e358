import { MSW_DEFAULT_VIEWER } from '@activity/sdk/testing/msw';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { delay, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { ActivityLog, DEFAULT_STRINGS, ExportButton, retryAvailability } from '../src/index.js';
import { expectNoAxeViolations } from './axe.js';
import { specEntries } from './fixtures.js';
import { BASE_URL, installServer, renderWithProvider, server, useApi } from './server.js';

installServer();

const rows = () => screen.queryAllByRole('row').filter((r) => r.id);

async function openRow(text: string) {
  const user = userEvent.setup();
  await waitFor(() => expect(rows().some((r) => r.textContent?.includes(text))).toBe(true), {
    timeout: 5000,
  });
  const row = rows().find((r) => r.textContent?.includes(text));
  if (!row) throw new Error(`no row with ${text}`);
  await user.click(row);
  return { user, dialog: await screen.findByRole('dialog') };
}

/** Retry handlers for every job of the spec entries, so all of them come back `retryable`. */
const everyJob = {
  jobs: {
    async SYNC_SQUARE_STOCK() {},
    async IMPORT_CONTACTS() {},
    async PROCESS_RELEASE_PAYMENTS() {},
  },
};

describe('retryAvailability', () => {
  it('offers Retry on finished failures only, on successes when opted in, never while running', () => {
    const allowed = { allowed: true };
    expect(retryAvailability({ retryable: true, status: 'FAILED' }, allowed)).toBe('offer');
    expect(retryAvailability({ retryable: true, status: 'WARNING' }, allowed)).toBe('offer');
    expect(retryAvailability({ retryable: true, status: 'IN_PROGRESS' }, allowed)).toBe('running');
    expect(retryAvailability({ retryable: true, status: 'SUCCESS' }, allowed)).toBe('none');
    expect(
      retryAvailability({ retryable: true, status: 'SUCCESS' }, { ...allowed, retrySucceeded: true }),
    ).toBe('offer');
    expect(retryAvailability({ retryable: false, status: 'FAILED' }, allowed)).toBe('none');
    expect(retryAvailability({ retryable: true, status: 'FAILED' }, { allowed: false })).toBe('none');
  });
});

describe('Retry in the drawer', () => {
  it('is not offered while the entry is IN_PROGRESS (the server would answer 409)', async () => {
    const { all } = specEntries();
    const { client, requests } = useApi(all, { retry: everyJob });
    renderWithProvider(<ActivityLog live={false} />, { client });
    const { dialog } = await openRow('IMPORT_CONTACTS');
    await within(dialog).findByText(DEFAULT_STRINGS.retryWhenFinished);
    expect(within(dialog).queryByRole('button', { name: 'Retry' })).toBeNull();
    expect(requests.some((u) => u.pathname.endsWith('/retry'))).toBe(false);
    await expectNoAxeViolations(document.body);
  });

  it('is offered on a retryable SUCCESS entry only when the host opts in', async () => {
    const { all } = specEntries();
    const { client } = useApi(all, { retry: everyJob });
    const view = renderWithProvider(<ActivityLog live={false} />, { client });
    const first = await openRow('PROCESS_RELEASE_PAYMENTS');
    await within(first.dialog).findByText(DEFAULT_STRINGS.entryId);
    expect(within(first.dialog).queryByRole('button', { name: 'Retry' })).toBeNull();
    view.unmount();
    renderWithProvider(<ActivityLog live={false} retrySucceeded />, { client });
    const second = await openRow('PROCESS_RELEASE_PAYMENTS');
    expect(await within(second.dialog).findByRole('button', { name: 'Retry' })).toBeTruthy();
  });

  it('is disabled with a reason while the retry request is pending, and sends one request', async () => {
    const { all, failedJob } = specEntries();
    const { client, requests } = useApi(all, { retry: everyJob });
    // Added after the API's handlers, so it answers first: the retry never gets a response.
    server.use(http.post(`${BASE_URL}/entries/:id/retry`, () => delay('infinite')));
    renderWithProvider(<ActivityLog live={false} />, { client });
    const { user, dialog } = await openRow('SYNC_SQUARE_STOCK');
    await user.click(await within(dialog).findByRole('button', { name: 'Retry' }));
    const pending = await within(dialog).findByRole('button', { name: DEFAULT_STRINGS.retrying });
    expect((pending as HTMLButtonElement).disabled).toBe(true);
    expect(pending.getAttribute('title')).toBe(DEFAULT_STRINGS.retryPending);
    const describedBy = pending.getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(describedBy)?.textContent).toBe(DEFAULT_STRINGS.retryPending);
    await user.click(pending);
    const retries = requests.filter((u) => u.pathname.endsWith(`/entries/${failedJob.id}/retry`));
    expect(retries).toHaveLength(1);
  });

  it('is hidden when the provider says the viewer lacks the retry permission', async () => {
    const { all } = specEntries();
    const { client } = useApi(all, { retry: everyJob });
    renderWithProvider(<ActivityLog live={false} />, { client, permissions: ['read', 'export'] });
    const { dialog } = await openRow('SYNC_SQUARE_STOCK');
    await within(dialog).findByText(DEFAULT_STRINGS.entryId);
    expect(within(dialog).queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('shows a clear message when the server refuses the retry with 403', async () => {
    const { all } = specEntries();
    const { client } = useApi(all, {
      retry: everyJob,
      viewer: { ...MSW_DEFAULT_VIEWER, permissions: ['read', 'export'] },
    });
    renderWithProvider(<ActivityLog live={false} />, { client });
    const { user, dialog } = await openRow('SYNC_SQUARE_STOCK');
    await user.click(await within(dialog).findByRole('button', { name: 'Retry' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe(DEFAULT_STRINGS.retryForbidden);
  });
});

describe('Export CSV and permissions', () => {
  it('is disabled with its reason, and exports nothing, without the export permission', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client, requests } = useApi(all);
    renderWithProvider(<ActivityLog live={false} />, { client, permissions: ['read', 'retry'] });
    const button = screen.getByRole('button', { name: 'Export CSV' });
    expect(button.getAttribute('aria-disabled')).toBe('true');
    expect(button.getAttribute('title')).toBe(DEFAULT_STRINGS.exportNotAllowed);
    expect(document.getElementById(button.getAttribute('aria-describedby') ?? '')?.textContent).toBe(
      DEFAULT_STRINGS.exportNotAllowed,
    );
    await user.click(button);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    expect(requests.some((u) => u.pathname.endsWith('/export.csv'))).toBe(false);
    await expectNoAxeViolations(document.body);
  });

  it('can be hidden instead, and is enabled when the permission is there', async () => {
    const { all } = specEntries();
    const { client } = useApi(all);
    const view = renderWithProvider(<ExportButton filter={{}} whenForbidden="hide" />, {
      client,
      permissions: ['read'],
    });
    expect(screen.queryByRole('button', { name: 'Export CSV' })).toBeNull();
    view.unmount();
    renderWithProvider(<ExportButton filter={{}} whenForbidden="hide" />, {
      client,
      permissions: ['read', 'export'],
    });
    expect(screen.getByRole('button', { name: 'Export CSV' }).getAttribute('aria-disabled')).toBeNull();
  });

  it('shows a clear error when the server answers 403 to the export', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client, requests } = useApi(all, {
      viewer: { ...MSW_DEFAULT_VIEWER, permissions: ['read', 'retry'] },
    });
    renderWithProvider(<ExportButton filter={{}} onFile={() => {}} />, { client });
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(DEFAULT_STRINGS.exportForbidden);
    expect(requests.some((u) => u.pathname.endsWith('/export.csv'))).toBe(true);
    expect(screen.getByRole('button', { name: 'Export CSV' }).hasAttribute('disabled')).toBe(false);
  });
});
