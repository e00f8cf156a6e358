/** Issue 12: `<EntityHistory/>` — one record's history for the host's record pages. */
import { serializeFilter } from '@activity/sdk/client';
import { createMemoryStore } from '@activity/sdk/testing';
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { EntityHistory } from '../src/index.js';
import { expectNoAxeViolations } from './axe.js';
import { entry } from './fixtures.js';
import { installServer, renderWithProvider, useApi } from './server.js';

installServer();

const ALEX = { type: 'contact', id: 'ct_alex', label: 'Alex Chen' };

function alexHistory() {
  const created = entry(300, { action: 'contact.created', entity: ALEX });
  const updated = entry(60, {
    entity: ALEX,
    changes: [
      { path: 'status', kind: 'changed', before: 'ACTIVE', after: 'VIP' },
      { path: 'phone', kind: 'added', after: '+1 415 555 0134' },
      { path: 'ssn', kind: 'changed', redacted: true },
      { path: 'address', kind: 'changed', before: { city: 'Napa' }, after: { city: 'Sonoma' } },
    ],
  });
  const job = entry(30, {
    type: 'BACKGROUND_JOB',
    status: 'FAILED',
    action: 'SYNC_MAILCHIMP',
    actor: { kind: 'system', id: 'system', name: 'System' },
    entity: ALEX,
    error: { name: 'Error', message: 'Mailchimp answered 500' },
  });
  const webhook = entry(10, {
    type: 'WEBHOOK',
    action: 'customer.updated',
    actor: { kind: 'external', id: 'stripe', name: 'Stripe' },
    entity: ALEX,
    webhook: { direction: 'in', provider: 'stripe', eventType: 'customer.updated' },
  });
  const other = entry(5, { entity: { type: 'contact', id: 'ct_bea', label: 'Bea' } });
  return { all: [created, updated, job, webhook, other], created, updated, job, webhook, other };
}

const items = () =>
  within(screen.getByRole('region', { name: 'Recent activity' })).queryAllByRole('listitem');
const topItems = () => items().filter((li) => li.classList.contains('activity-history-item'));

describe('<EntityHistory/>', () => {
  it("shows the record's entries newest first: who did what, changed fields inline, jobs and webhooks", async () => {
    const { all } = alexHistory();
    const { client } = useApi(all);
    renderWithProvider(<EntityHistory entity={{ type: 'contact', id: 'ct_alex' }} live={false} />, {
      client,
    });
    await waitFor(() => expect(topItems()).toHaveLength(4));
    const text = topItems().map((li) => li.textContent ?? '');
    expect(text[0]).toContain('Stripe customer.updated');
    expect(text[0]).toContain('Webhook');
    expect(text[1]).toContain('System SYNC_MAILCHIMP');
    expect(text[1]).toContain('Failed');
    expect(text[2]).toContain('Riley Park Contact updated');
    expect(text[3]).toContain('Contact created');
    expect(text.join(' ')).not.toContain('Bea');
    const changes = within(topItems()[2]!).getByRole('list', { name: 'Changed fields' });
    const lines = within(changes)
      .getAllByRole('listitem')
      .map((li) => li.textContent);
    expect(lines).toEqual([
      'status ACTIVE → VIP',
      'phone added +1 415 555 0134',
      'ssn changed, hidden',
      '+1 more',
    ]);
    await expectNoAxeViolations(document.body);
  });

  it('links to the Activity page with the record filter, from the provider or a prop, only when safe', async () => {
    const { all } = alexHistory();
    const { client } = useApi(all);
    const { unmount } = renderWithProvider(
      <EntityHistory entity={{ type: 'contact', id: 'ct_alex' }} live={false} />,
      {
        client,
        activityHref: (filter) => `/activity?${serializeFilter(filter)}`,
      },
    );
    const link = await screen.findByRole('link', { name: 'View all in Activity' });
    const url = new URL(link.getAttribute('href')!, 'http://host');
    expect(url.pathname).toBe('/activity');
    expect(url.searchParams.get('entityId')).toBe('ct_alex');
    expect(url.searchParams.getAll('entityType')).toEqual(['contact']);
    expect(url.searchParams.get('range')).toBe('all');
    unmount();
    renderWithProvider(
      <EntityHistory
        entity={{ type: 'contact', id: 'ct_alex' }}
        live={false}
        viewAllHref="javascript:alert(1)"
      />,
      { client },
    );
    await waitFor(() => expect(topItems()).toHaveLength(4));
    expect(screen.queryByRole('link')).toBeNull();
  });

  it('says so when nothing is recorded for the record', async () => {
    const { client } = useApi([]);
    renderWithProvider(<EntityHistory entity={{ type: 'contact', id: 'ct_nobody' }} live={false} />, {
      client,
    });
    expect(await screen.findByText('Nothing recorded for this record yet.')).toBeTruthy();
    await expectNoAxeViolations(document.body);
  });

  it('shows new entries about the record as they are recorded (live)', async () => {
    const { all } = alexHistory();
    const store = createMemoryStore();
    const { client } = useApi(all, { store, handlerOptions: { tailPollMs: 50 } });
    renderWithProvider(<EntityHistory entity={{ type: 'contact', id: 'ct_alex' }} />, { client });
    await waitFor(() => expect(topItems()).toHaveLength(4));
    await new Promise((r) => setTimeout(r, 150));
    await act(async () => {
      await store.append([
        entry(0, {
          action: 'contact.updated',
          entity: ALEX,
          changes: [{ path: 'email', kind: 'changed', before: 'a@x.com', after: 'alex@x.com' }],
        }),
        entry(0, { action: 'contact.updated', entity: { type: 'contact', id: 'ct_bea' } }),
      ]);
    });
    await waitFor(() => expect(topItems()).toHaveLength(5), { timeout: 5000 });
    expect(topItems()[0]?.textContent).toContain('email a@x.com → alex@x.com');
  });
});
