import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivityRecorder } from '@activity/sdk';
import type { ActivityStore } from '@activity/sdk/client';
import { createMemoryStore } from '@activity/sdk/testing';
import { createStoreRecorder } from '@activity/sdk/testing/msw';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import {
  ActivityLog,
  ActivityProvider,
  ActivityTable,
  ExportButton,
  FilterBar,
  Histogram,
} from '../src/index.js';
import { expectNoAxeViolations } from './axe.js';
import { entry, specEntries } from './fixtures.js';
import { installServer, renderWithProvider, useApi } from './server.js';

installServer();

/**
 * The msw store recorder refuses `record()`, which the handler calls to audit a streamed export;
 * this one writes audited entries straight to the store.
 */
function auditingRecorder(store: ActivityStore): ActivityRecorder {
  const base = createStoreRecorder(store);
  return {
    ...base,
    record(input) {
      const at = new Date().toISOString();
      const id = `01${Date.now().toString(16)}-0000-7000-8000-${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}`;
      const { before: _b, after: _a, error: _e, occurredAt: _o, ...rest } = input;
      void store.append([
        {
          ...rest,
          id,
          orgId: input.orgId ?? 'org_demo',
          occurredAt: at,
          recordedAt: at,
          schemaVersion: 1,
          status: input.status ?? 'SUCCESS',
          actor: input.actor ?? { kind: 'system', id: 'system' },
        },
      ]);
      return id;
    },
  };
}

const rows = () => screen.queryAllByRole('row').filter((r) => r.id);

describe('<ActivityTable/>', () => {
  it('keeps fewer than 100 rows in the DOM with 100k loaded entries', async () => {
    const base = entry(1);
    const entries = Array.from({ length: 100_000 }, (_, i) => ({
      ...base,
      id: `e${i}`,
      action: `ACTION_${i}`,
    }));
    const { client } = useApi([]);
    const { container } = render(
      <ActivityProvider client={client}>
        <ActivityTable entries={entries} />
      </ActivityProvider>,
    );
    const grid = screen.getByRole('grid');
    expect(grid.getAttribute('aria-rowcount')).toBe('100001');
    expect(rows().length).toBeGreaterThan(5);
    expect(container.querySelectorAll('[role=row]').length).toBeLessThan(100);
    // Jump to the end: still a small window, now around the last rows.
    const user = userEvent.setup();
    act(() => grid.focus());
    await user.keyboard('{End}');
    await waitFor(() => expect(rows().some((r) => r.getAttribute('aria-rowindex') === '100001')).toBe(true));
    expect(container.querySelectorAll('[role=row]').length).toBeLessThan(100);
    expect(grid.getAttribute('aria-activedescendant')).toBe(
      rows().find((r) => r.getAttribute('aria-rowindex') === '100001')?.id,
    );
    await expectNoAxeViolations(container);
  });

  it('moves with j/k and arrows, opens with Enter and closes with Escape', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client } = useApi(all);
    renderWithProvider(<ActivityLog live={false} />, { client });
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    const grid = screen.getByRole('grid');
    const active = () => document.getElementById(grid.getAttribute('aria-activedescendant') ?? '');
    act(() => grid.focus());
    await waitFor(() => expect(active()?.getAttribute('aria-rowindex')).toBe('2'));
    await user.keyboard('j');
    await user.keyboard('{ArrowDown}');
    expect(active()?.getAttribute('aria-rowindex')).toBe('4');
    expect(active()?.getAttribute('data-state')).toBe('active');
    await user.keyboard('k');
    expect(active()?.textContent).toContain('PROCESS_RELEASE_PAYMENTS');
    await user.keyboard('{ArrowUp}{ArrowUp}');
    expect(active()?.getAttribute('aria-rowindex')).toBe('2');
    await user.keyboard('jj{Enter}');
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('heading', { level: 2 }).textContent).toBe('Contact updated · Alex Chen');
    await expectNoAxeViolations(document.body);
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    // Focus returns to the grid so j/k keep working.
    await waitFor(() => expect(document.activeElement).toBe(grid));
    await user.keyboard('j');
    expect(active()?.textContent).toContain('payment_intent.succeeded');
  });

  it('gathers live entries in a "N new entries" pill instead of shifting rows', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const store = createMemoryStore();
    const { client } = useApi(all, { store, handlerOptions: { tailPollMs: 50 } });
    renderWithProvider(<ActivityLog />, { client });
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Live' }).getAttribute('data-state')).toBe('live'),
    );
    const firstBefore = rows()[0]?.textContent;
    await act(async () => {
      await store.append([
        entry(0, { action: 'contact.created', entity: { type: 'contact', id: 'n1', label: 'Nova' } }),
        entry(0, { action: 'contact.created', entity: { type: 'contact', id: 'n2', label: 'Nils' } }),
      ]);
    });
    const pill = await screen.findByRole('button', { name: '2 new entries' }, { timeout: 5000 });
    expect(rows()[0]?.textContent).toBe(firstBefore);
    await user.click(pill);
    await waitFor(() => expect(rows()).toHaveLength(all.length + 2));
    expect(rows()[0]?.textContent).toContain('Contact created · N');
    expect(screen.queryByRole('button', { name: /new entr/ })).toBeNull();
    await expectNoAxeViolations(document.body);
  });

  it('narrows the date range when a histogram bar is clicked', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const { client, requests } = useApi(all);
    renderWithProvider(<ActivityLog live={false} />, { client });
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    const group = await screen.findByRole('group', { name: 'Entries over time' });
    const bars = within(group).getAllByRole('button');
    const busy = bars.find((b) => /: [1-9]\d* entr/.test(b.getAttribute('aria-label') ?? ''));
    if (!busy) throw new Error('no bar with entries');
    await user.click(busy);
    await waitFor(() => {
      const last = requests.filter((u) => u.pathname.endsWith('/entries')).at(-1);
      expect(last?.searchParams.get('from')).toBeTruthy();
      expect(last?.searchParams.get('to')).toBeTruthy();
    });
    expect(screen.getByRole('list', { name: 'Active filters' }).textContent).toContain('Date:');
    await expectNoAxeViolations(document.body);
  });

  it('renders a histogram with accessible labels and failures highlighted', () => {
    const { client } = useApi([]);
    const onSelect = vi.fn();
    const year = new Date().getUTCFullYear();
    const { container } = render(
      <ActivityProvider client={client} timeZone="UTC">
        <Histogram
          buckets={[
            { start: `${year}-03-10T10:00:00.000Z`, count: 4, failures: 1 },
            { start: `${year}-03-10T11:00:00.000Z`, count: 0, failures: 0 },
          ]}
          onSelectBucket={onSelect}
        />
      </ActivityProvider>,
    );
    const [first, second] = screen.getAllByRole('button');
    expect(first?.getAttribute('aria-label')).toBe('Mar 10, 10:00 – 11:00: 4 entries, 1 failure');
    expect(first?.hasAttribute('data-failures')).toBe(true);
    expect(second?.hasAttribute('data-failures')).toBe(false);
    first?.click();
    expect(onSelect).toHaveBeenCalledWith(expect.objectContaining({ count: 4 }), 3_600_000);
    expect(container.querySelectorAll('.activity-histogram-fill-failed')).toHaveLength(1);
  });
});

describe('parts used on their own', () => {
  it('get the theme class and the provider theme when no themed ancestor gives them', async () => {
    const { all } = specEntries();
    const { client } = useApi(all);
    const { container } = render(
      <ActivityProvider client={client} theme="dark">
        <FilterBar.Root>
          <FilterBar.Search />
        </FilterBar.Root>
        <Histogram buckets={[{ start: '2026-03-10T10:00:00.000Z', count: 1, failures: 0 }]} />
        <ActivityTable entries={all} />
      </ActivityProvider>,
    );
    for (const part of ['.activity-filterbar', '.activity-histogram', '.activity-table']) {
      const el = container.querySelector(part);
      expect(el?.classList.contains('activity-theme'), part).toBe(true);
      expect(el?.getAttribute('data-theme'), part).toBe('dark');
    }
    await expectNoAxeViolations(container);
  });

  it('do not repeat the theme inside <ActivityLog/>, which themes the whole page', async () => {
    const { all } = specEntries();
    const { client } = useApi(all);
    const { container } = renderWithProvider(<ActivityLog live={false} />, { client });
    await waitFor(() => expect(rows()).toHaveLength(all.length));
    expect(container.querySelectorAll('.activity-theme')).toHaveLength(1);
    expect(container.querySelector('.activity-table')?.hasAttribute('data-theme')).toBe(false);
  });
});

describe('<ExportButton/>', () => {
  it('streams the CSV of the current filter, showing rows received', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const store = createMemoryStore();
    const { client, requests } = useApi(all, {
      store,
      activity: auditingRecorder(store),
      handlerOptions: {
        exports: {
          secret: 'test-export-secret-0123456789abcdef',
          asyncThreshold: 1000,
          dir: mkdtempSync(join(tmpdir(), 'act-')),
        },
      },
    });
    const files: { blob: Blob; name: string }[] = [];
    const { container } = renderWithProvider(
      <ExportButton
        filter={{ types: ['BACKGROUND_JOB'] }}
        onFile={(blob, name) => files.push({ blob, name })}
      />,
      { client },
    );
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() =>
      expect(container.querySelector('.activity-export-status')?.textContent).toBe('Exported 3 rows'),
    );
    expect(requests.find((u) => u.pathname.endsWith('/export.csv'))?.searchParams.get('type')).toBe(
      'BACKGROUND_JOB',
    );
    const csv = await files[0]?.blob.text();
    expect(files[0]?.name).toMatch(/\.csv$/);
    expect(csv).toContain('SYNC_SQUARE_STOCK');
    expect(csv).not.toContain('contact.updated');
    await expectNoAxeViolations(container);
  });

  it('tells the user the link will be emailed when the export runs in the background', async () => {
    const user = userEvent.setup();
    const { all } = specEntries();
    const store = createMemoryStore();
    const { client } = useApi(all, {
      store,
      activity: auditingRecorder(store),
      handlerOptions: {
        exports: {
          secret: 'test-export-secret-0123456789abcdef',
          asyncThreshold: 2,
          dir: mkdtempSync(join(tmpdir(), 'act-')),
        },
      },
    });
    const onFile = vi.fn();
    renderWithProvider(<ExportButton filter={{}} onFile={onFile} />, { client });
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(await screen.findByText(/download link will be emailed/)).toBeTruthy();
    expect(onFile).not.toHaveBeenCalled();
  });
});
