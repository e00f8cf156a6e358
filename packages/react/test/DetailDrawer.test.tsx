import { createMemoryStore } from '@activity/sdk/testing';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ActivityLog, DetailDrawer, formatExact } from '../src/index.js';
import { expectNoAxeViolations } from './axe.js';
import { entry, specEntries } from './fixtures.js';
import { installServer, renderWithProvider, useApi } from './server.js';

installServer();

const rows = () => screen.queryAllByRole('row').filter((r) => r.id);

async function openRow(text: string) {
  const user = userEvent.setup();
  await waitFor(() => expect(rows().length).toBeGreaterThan(0));
  const row = rows().find((r) => r.textContent?.includes(text));
  if (!row) throw new Error(`no row with ${text}`);
  await user.click(row);
  return { user, dialog: await screen.findByRole('dialog') };
}

describe('<DetailDrawer/>', () => {
  it('shows a user action with actor, entity link and the diff table', async () => {
    const { all, userAction } = specEntries();
    const { client } = useApi(all);
    renderWithProvider(<ActivityLog live={false} entityHref={(e) => `/contacts/${e.id}`} />, { client });
    const { dialog } = await openRow('Contact updated · Alex Chen');
    expect(within(dialog).getByRole('heading', { name: 'Contact updated · Alex Chen' })).toBeTruthy();
    expect(within(dialog).getByText('Riley Park')).toBeTruthy();
    expect(within(dialog).getByRole('link', { name: 'Alex Chen' }).getAttribute('href')).toBe(
      '/contacts/ct_alex',
    );
    const table = within(dialog).getByRole('table');
    const body = within(table).getAllByRole('row').slice(1);
    const text = body.map((r) => r.textContent);
    expect(text).toContain('statusACTIVEVIP');
    expect(text).toContain('address.cityNapaSonoma');
    expect(text).toContain('tags.1added—vip');
    expect(text).toContain('phoneadded—+1 415 555 0134');
    expect(text).toContain('faxremoved+1 415 555 0199—');
    expect(text).toContain('ssnchanged, hidden');
    // The zip did not change, so the expanded address shows only the city.
    expect(text.some((t) => t?.startsWith('address.zip'))).toBe(false);
    expect(dialog.textContent).toContain(userAction.id);
    await expectNoAxeViolations(document.body);
  });

  it('never renders a javascript: entity link', async () => {
    const { all } = specEntries();
    const { client } = useApi(all);
    renderWithProvider(<ActivityLog live={false} entityHref={() => 'javascript:alert(1)'} />, { client });
    const { dialog } = await openRow('Contact updated · Alex Chen');
    expect(within(dialog).queryByRole('link')).toBeNull();
    expect(within(dialog).getByText('Alex Chen')).toBeTruthy();
  });

  it('shows a failed job with its error, stack trace and a copy button', async () => {
    const { all, failedJob } = specEntries();
    const { client } = useApi(all);
    renderWithProvider(<ActivityLog live={false} />, { client });
    const { user, dialog } = await openRow('SYNC_SQUARE_STOCK');
    // user-event installs its own clipboard on setup; watch that one.
    const write = vi.spyOn(navigator.clipboard, 'writeText');
    expect(within(dialog).getByText(/Square answered 503 three times/, { selector: 'p' })).toBeTruthy();
    const stack = within(dialog).getByText(/at syncStock/);
    expect(stack.tagName).toBe('PRE');
    await user.click(within(dialog).getByRole('button', { name: 'Copy error and stack trace' }));
    expect(write).toHaveBeenCalledWith(
      `SquareApiError: Square answered 503 three times\n${failedJob.error?.stack}`,
    );
    await expectNoAxeViolations(document.body);
  });

  it('shows a webhook with pretty request and response bodies and headers', async () => {
    const { all } = specEntries();
    const { client } = useApi(all);
    renderWithProvider(<ActivityLog live={false} />, { client });
    const { dialog } = await openRow('payment_intent.succeeded');
    expect(
      within(dialog).getByText('Request Body').closest('figure')?.querySelector('pre')?.textContent,
    ).toBe('{\n  "id": "evt_1",\n  "amount": 12900\n}');
    expect(
      within(dialog).getByText('Response Body').closest('figure')?.querySelector('pre')?.textContent,
    ).toBe('{\n  "received": true\n}');
    expect(
      within(dialog).getByRole('rowheader', { name: 'stripe-signature' }).nextElementSibling?.textContent,
    ).toBe('[REDACTED]');
    expect(within(dialog).getByText('200')).toBeTruthy();
    await expectNoAxeViolations(document.body);
  });

  it('shows a system event with its summary and metadata tree', async () => {
    const { all } = specEntries();
    const { client } = useApi(all);
    renderWithProvider(<ActivityLog live={false} />, { client });
    const { dialog } = await openRow('Schema migrated');
    expect(within(dialog).getByText('Migrated to schema 7')).toBeTruthy();
    const tree = dialog.querySelector('.activity-tree');
    expect(tree?.textContent).toContain('from: 6');
    expect(tree?.textContent).toContain('to: 7');
    expect(within(dialog).getByText('(System)')).toBeTruthy();
    await expectNoAxeViolations(document.body);
  });

  it('copies the entry ID for support', async () => {
    const { all, job } = specEntries();
    const { client } = useApi(all);
    renderWithProvider(<ActivityLog live={false} />, { client });
    const { user, dialog } = await openRow('PROCESS_RELEASE_PAYMENTS');
    const write = vi.spyOn(navigator.clipboard, 'writeText');
    expect(within(dialog).getByText('Give this ID to support to look up the full server logs.')).toBeTruthy();
    await user.click(within(dialog).getByRole('button', { name: 'Copy entry ID' }));
    expect(write).toHaveBeenCalledTimes(1);
    expect(write).toHaveBeenCalledWith(job.id);
    expect(await navigator.clipboard.readText()).toBe(job.id);
    expect(within(dialog).getByRole('button', { name: 'Copy entry ID: Copied' })).toBeTruthy();
    // Metadata of the job is a collapsible tree.
    expect(dialog.querySelector('.activity-tree details summary')?.textContent).toContain('batches');
  });

  it('retries a retryable failed job and opens the new run', async () => {
    const { all, failedJob } = specEntries();
    const store = createMemoryStore();
    let ran = 0;
    const { client, requests } = useApi(all, {
      store,
      retry: {
        jobs: {
          async SYNC_SQUARE_STOCK() {
            ran++;
            return { synced: 12 };
          },
        },
      },
    });
    renderWithProvider(<ActivityLog live={false} />, { client });
    const { user, dialog } = await openRow('SYNC_SQUARE_STOCK');
    const retry = await within(dialog).findByRole('button', { name: 'Retry' });
    await user.click(retry);
    await within(dialog).findByText('Retry started as a new run.');
    expect(requests.some((u) => u.pathname.endsWith(`/entries/${failedJob.id}/retry`))).toBe(true);
    expect(ran).toBe(1);
    await user.click(within(dialog).getByRole('button', { name: 'Open new run' }));
    const dialog2 = await screen.findByRole('dialog');
    await waitFor(() => expect(within(dialog2).getByText('Retry of')).toBeTruthy());
    expect(within(dialog2).getByText(failedJob.id)).toBeTruthy();
    await expectNoAxeViolations(document.body);
  });

  it('hides Retry when the viewer may not retry, and links to the re-trigger page when not retryable', async () => {
    const { all, failedJob } = specEntries();
    const store = createMemoryStore();
    const oneTime = {
      ...failedJob,
      id: '01900000-0000-7000-8000-00000000f00d',
      action: 'ONE_TIME_SYNC',
      retriggerUrl: '/integrations/square',
    };
    const { client } = useApi([...all, oneTime], {
      store,
      retry: { jobs: { async SYNC_SQUARE_STOCK() {} } },
    });
    renderWithProvider(<ActivityLog live={false} canRetry={false} />, { client });
    const { user, dialog } = await openRow('SYNC_SQUARE_STOCK');
    expect(within(dialog).queryByRole('button', { name: 'Retry' })).toBeNull();
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const second = await openRow('ONE_TIME_SYNC');
    expect(
      within(second.dialog)
        .getByRole('link', { name: /Re-trigger/ })
        .getAttribute('href'),
    ).toBe('/integrations/square');
  });

  it('lists related entries (same correlation id) as a timeline', async () => {
    const { all, failedJob } = specEntries();
    const child = {
      ...failedJob,
      id: '01900000-0000-7000-8000-0000000c0ffe',
      occurredAt: new Date(Date.parse(failedJob.occurredAt) + 1000).toISOString(),
      type: 'USER_ACTION' as const,
      status: 'SUCCESS' as const,
      error: undefined,
      action: 'product.stock_adjusted',
      entity: { type: 'product', id: 'p1', label: 'Rosé 2024' },
    };
    const { client } = useApi([...all, child]);
    renderWithProvider(<DetailDrawer defaultEntryId={failedJob.id} />, { client });
    const dialog = await screen.findByRole('dialog');
    const timeline = await within(dialog).findByRole('region', { name: 'Related entries' });
    const items = within(timeline).getAllByRole('listitem');
    expect(items.map((i) => i.textContent?.includes('this entry'))).toEqual([true, false]);
    expect(items[1]?.textContent).toContain('Product stock adjusted · Rosé 2024');
    await expectNoAxeViolations(document.body);
  });

  it('fault 6: never renders a script link hidden behind Unicode whitespace (entity and re-trigger links)', async () => {
    const { failedJob } = specEntries();
    const hostile = {
      ...failedJob,
      action: 'ONE_TIME_SYNC',
      retriggerUrl: '\u3000data:text/html,<script>alert(1)</script>',
    };
    const { client } = useApi([hostile]);
    renderWithProvider(
      <DetailDrawer defaultEntryId={hostile.id} entityHref={() => '\u00a0javascript:alert(1)'} />,
      { client },
    );
    const dialog = await screen.findByRole('dialog');
    const links = await within(dialog).findAllByRole('link');
    expect(links).toHaveLength(2);
    for (const link of links as HTMLAnchorElement[]) {
      // What a click would open: the old code trimmed the value into `javascript:` / `data:`.
      expect(link.protocol).toBe('http:');
      expect(link.origin).toBe(window.location.origin);
      expect(link.getAttribute('href')).toMatch(/^\.\/%E3%80%80data:|^\.\/%C2%A0javascript:/);
    }
  });

  it('fault 5: shows an abandoned run plainly, with when it was last seen alive, and offers Retry', async () => {
    const seen = new Date(Date.now() - 4 * 60_000).toISOString();
    const abandoned = entry(10, {
      type: 'BACKGROUND_JOB',
      status: 'FAILED',
      actor: { kind: 'system', id: 'system', name: 'system' },
      action: 'SYNC_SQUARE_STOCK',
      entity: undefined,
      progress: { processed: 40, total: 120 },
      heartbeatAt: seen,
      error: {
        name: 'JobAbandoned',
        code: 'ABANDONED',
        message: `No heartbeat since ${seen}: the process running this job stopped (crash, deploy or kill) before it finished.`,
      },
    });
    let ran = 0;
    const { client } = useApi([abandoned], {
      store: createMemoryStore(),
      retry: {
        jobs: {
          async SYNC_SQUARE_STOCK() {
            ran++;
          },
        },
      },
    });
    renderWithProvider(<DetailDrawer defaultEntryId={abandoned.id} />, { client, timeZone: 'UTC' });
    const dialog = await screen.findByRole('dialog');
    const error = await within(dialog).findByRole('region', { name: 'Error' });
    expect(error.querySelector('.activity-error-message')?.textContent).toBe(
      `Abandoned — last seen alive 4 minutes ago (${formatExact(seen, { timeZone: 'UTC' })})`,
    );
    expect(error.querySelector('time')?.getAttribute('dateTime')).toBe(seen);
    expect(error.textContent).toContain('stopped (crash, deploy or kill) before it finished');
    // Not a generic error box with a stack trace.
    expect(within(dialog).queryByText('Stack trace')).toBeNull();
    expect(error.textContent).not.toContain('JobAbandoned');
    const user = userEvent.setup();
    const write = vi.spyOn(navigator.clipboard, 'writeText');
    await user.click(within(error).getByRole('button', { name: 'Copy error and stack trace' }));
    expect(write).toHaveBeenCalledWith(`JobAbandoned [ABANDONED]: ${abandoned.error?.message}`);
    await user.click(await within(dialog).findByRole('button', { name: 'Retry' }));
    await within(dialog).findByText('Retry started as a new run.');
    expect(ran).toBe(1);
    await expectNoAxeViolations(document.body);
  });

  it('fault 5: says so when an abandoned run has no heartbeat time', async () => {
    const abandoned = entry(10, {
      type: 'BACKGROUND_JOB',
      status: 'FAILED',
      action: 'LEGACY_JOB',
      entity: undefined,
      error: { name: 'JobAbandoned', code: 'ABANDONED', message: 'No heartbeat.' },
    });
    const { client } = useApi([abandoned]);
    renderWithProvider(<DetailDrawer defaultEntryId={abandoned.id} />, { client });
    const dialog = await screen.findByRole('dialog');
    const error = await within(dialog).findByRole('region', { name: 'Error' });
    expect(error.querySelector('.activity-error-message')?.textContent).toBe(
      'Abandoned — no heartbeat was recorded',
    );
    expect(within(dialog).queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it("fault 5: shows a running job's last heartbeat, ticking, and warns once its lease has passed", async () => {
    const now = Date.now();
    const alive = entry(3, {
      type: 'BACKGROUND_JOB',
      status: 'IN_PROGRESS',
      action: 'IMPORT_CONTACTS',
      entity: undefined,
      progress: { processed: 25, total: 100 },
      heartbeatAt: new Date(now - 12_000).toISOString(),
      leaseExpiresAt: new Date(now + 60_000).toISOString(),
    });
    const stale = entry(30, {
      ...alive,
      id: '01900000-0000-7000-8000-00000000beef',
      action: 'EXPORT_ORDERS',
      heartbeatAt: new Date(now - 5 * 60_000).toISOString(),
      leaseExpiresAt: new Date(now - 3 * 60_000).toISOString(),
    });
    const { client } = useApi([alive, stale]);
    const view = renderWithProvider(<DetailDrawer defaultEntryId={alive.id} />, { client });
    const dialog = await screen.findByRole('dialog');
    const line = await within(dialog).findByText(/^Last heartbeat \d+ seconds ago$/);
    const age = () => Number(/(\d+) seconds/.exec(line.textContent ?? '')?.[1]);
    expect(age()).toBeGreaterThanOrEqual(11);
    expect(age()).toBeLessThan(20);
    expect(line.closest('[data-state]')?.getAttribute('data-state')).toBe('alive');
    // The age follows a clock that ticks every second, not the rows' 30-second one.
    const first = age();
    await waitFor(() => expect(age()).toBeGreaterThan(first), { timeout: 3000 });
    expect(within(dialog).queryByText(/may have stopped/)).toBeNull();
    view.unmount();

    renderWithProvider(<DetailDrawer defaultEntryId={stale.id} />, { client });
    const dialog2 = await screen.findByRole('dialog');
    const staleLine = await within(dialog2).findByText('Last heartbeat 5 minutes ago');
    expect(staleLine.closest('[data-state]')?.getAttribute('data-state')).toBe('overdue');
    expect(within(dialog2).getByText(/the process may have stopped/)).toBeTruthy();
    await expectNoAxeViolations(document.body);
  });
});
