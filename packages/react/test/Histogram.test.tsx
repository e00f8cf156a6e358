/**
 * Issue 12: the histogram has a time axis in the viewer's zone, an immediate tooltip on hover and focus,
 * one tab stop with arrow keys between bars, the selected range highlighted, and empty buckets drawn.
 */
import type { HistogramBucket } from '@activity/sdk/client';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ActivityLog, ActivityProvider, Histogram } from '../src/index.js';
import { expectNoAxeViolations } from './axe.js';
import { entry } from './fixtures.js';
import { installServer, renderWithProvider, useApi } from './server.js';

installServer();
const apiFor = useApi;

const H = 3_600_000;
const year = new Date().getUTCFullYear();
const t0 = Date.UTC(year, 2, 10, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function day(): HistogramBucket[] {
  return [
    { start: iso(t0 + 3 * H), count: 5, failures: 0 },
    { start: iso(t0 + 14 * H), count: 9, failures: 2 },
  ];
}

function renderHistogram(props: Partial<Parameters<typeof Histogram>[0]> = {}, timeZone = 'UTC') {
  const { client } = apiFor([]);
  return render(
    <ActivityProvider client={client} timeZone={timeZone}>
      <Histogram buckets={day()} bucketMs={H} from={iso(t0)} to={iso(t0 + 24 * H)} {...props} />
    </ActivityProvider>,
  );
}

const bars = () => within(screen.getByRole('toolbar')).getAllByRole('button');

describe('<Histogram/>', () => {
  it('draws every bucket of the span, empty ones included, under a labelled time axis', async () => {
    const { container } = renderHistogram();
    expect(bars()).toHaveLength(24);
    expect(bars().filter((b) => b.hasAttribute('data-empty'))).toHaveLength(22);
    const labels = [...container.querySelectorAll('.activity-histogram-tick')].map((t) => t.textContent);
    expect(labels[0]).toBe('Mar 10');
    expect(labels).toContain('12:00');
    await expectNoAxeViolations(container);
  });

  it("labels the axis and the bars in the viewer's time zone", () => {
    const { container } = renderHistogram({}, 'Asia/Tokyo');
    const labels = [...container.querySelectorAll('.activity-histogram-tick')].map((t) => t.textContent);
    // 00:00 UTC is 09:00 in Tokyo; midnight there is 15:00 UTC.
    expect(labels).toContain('Mar 11');
    expect(bars()[14]?.getAttribute('aria-label')).toBe('Mar 10, 23:00 – 00:00: 9 entries, 2 failures');
  });

  it('shows a tooltip with range, count and failures at once on hover', async () => {
    const user = userEvent.setup();
    renderHistogram();
    await user.hover(bars()[14]!);
    const tip = await screen.findByRole('tooltip');
    expect(tip.textContent).toContain('Mar 10, 14:00 – 15:00');
    expect(tip.textContent).toContain('9 entries');
    expect(tip.textContent).toContain('2 failed or with warnings');
  });

  it('is one tab stop; arrows, Home and End move between bars, and focus shows the tooltip', async () => {
    const user = userEvent.setup();
    const onSelect = vi.fn();
    const { container } = renderHistogram({ onSelectBucket: onSelect });
    expect(bars().filter((b) => b.tabIndex === 0)).toHaveLength(1);
    await user.tab();
    // The tab stop starts on the latest bar with entries.
    expect(document.activeElement).toBe(bars()[14]);
    expect((await screen.findByRole('tooltip')).textContent).toContain('14:00 – 15:00');
    await user.keyboard('{ArrowLeft}');
    expect(document.activeElement).toBe(bars()[13]);
    await waitFor(() => expect(screen.getByRole('tooltip').textContent).toContain('13:00 – 14:00'));
    await user.keyboard('{Home}');
    expect(document.activeElement).toBe(bars()[0]);
    await user.keyboard('{End}');
    expect(document.activeElement).toBe(bars()[23]);
    expect(bars().filter((b) => b.tabIndex === 0)).toEqual([bars()[23]]);
    await user.keyboard('{Enter}');
    expect(onSelect).toHaveBeenCalledWith(expect.objectContaining({ start: iso(t0 + 23 * H) }), H);
    await expectNoAxeViolations(container);
  });

  it('highlights the bars inside the selected range', () => {
    const { container } = renderHistogram({ selected: { from: iso(t0 + 12 * H), to: iso(t0 + 15 * H) } });
    expect(container.querySelector('.activity-histogram')?.getAttribute('data-selection')).toBe('partial');
    expect(
      bars()
        .map((b, i) => (b.hasAttribute('data-selected') ? i : -1))
        .filter((i) => i >= 0),
    ).toEqual([12, 13, 14]);
  });
});

describe('histogram in <ActivityLog/>', () => {
  it('draws a few entries over a long range as a shape, not one wide block', async () => {
    const entries = [entry(3), entry(30), entry(60 * 30)];
    const { client } = useApi(entries);
    renderWithProvider(<ActivityLog live={false} defaultFilter={{ range: '7d' }} syncUrl={false} />, {
      client,
    });
    const toolbar = await screen.findByRole('toolbar', { name: 'Entries over time' });
    const all = within(toolbar).getAllByRole('button');
    // 7 days in 3-hour buckets: every bucket is drawn, the few holding entries among many empty ones.
    expect(all.length).toBeGreaterThanOrEqual(56);
    const counted = new Set(entries.map((e) => Math.floor(Date.parse(e.occurredAt) / (3 * H))));
    expect(all.filter((b) => !b.hasAttribute('data-empty'))).toHaveLength(counted.size);
    await act(async () => {});
  });
});
