import type { HistogramBucket } from '@activity/sdk/client';
import { generateActivity } from '@activity/sdk/testing';
import { activityScenarios } from '@activity/sdk/testing/msw';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { api, Narrow, withActivity } from '../../../.storybook/storyKit.js';
import { Histogram } from './Histogram.js';

const HOUR = 3_600_000;

/** The span of the last day, whole hours, as `GET /histogram` answers it. */
function span(): { from: string; to: string; bucketMs: number } {
  const start = Math.floor((Date.now() - 24 * HOUR) / HOUR) * HOUR;
  return {
    from: new Date(start).toISOString(),
    to: new Date(start + 25 * HOUR).toISOString(),
    bucketMs: HOUR,
  };
}

/** Hourly buckets of a day of fixtures, counted the way the stores count them (only non-empty ones). */
function hourly(count: number, failing = false): HistogramBucket[] {
  const start = Date.parse(span().from);
  const buckets = new Map<number, HistogramBucket>();
  for (const e of generateActivity({
    count,
    orgIds: ['org_demo'],
    seed: 7,
    now: new Date(),
    spanDays: 1,
  })) {
    const i = Math.floor((Date.parse(e.occurredAt) - start) / HOUR);
    if (i < 0 || i > 24) continue;
    const b = buckets.get(i) ?? { start: new Date(start + i * HOUR).toISOString(), count: 0, failures: 0 };
    b.count++;
    if (failing ? i % 5 === 2 || e.status !== 'SUCCESS' : e.status === 'FAILED' || e.status === 'WARNING')
      b.failures++;
    buckets.set(i, b);
  }
  return [...buckets.values()];
}

/** Entries across the selected range, failures highlighted; a click narrows the range. */
const meta = {
  title: 'Histogram',
  component: Histogram,
  decorators: [withActivity, (Story) => <div style={{ padding: 16 }}>{Story()}</div>],
  args: { buckets: hourly(600), ...span(), onSelectBucket: () => {} },
  parameters: api(() => activityScenarios.empty()),
} satisfies Meta<typeof Histogram>;

export default meta;
type Story = StoryObj<typeof meta>;

/** A day, by hour. Hover or focus a bar for its range, count and failures; arrows move between bars. */
export const Default: Story = {};
/** Refetching: the previous bars stay, dimmed. */
export const Loading: Story = { args: { loading: true } };
/** No entries in range: the empty buckets and the axis still show the span. */
export const Empty: Story = { args: { buckets: [] } };
/** A few entries: each in its own bar among empty ones, not one wide block. */
export const Few: Story = { args: { buckets: hourly(4) } };
/** Many entries: 100k in a day. */
export const Many: Story = { args: { buckets: hourly(100_000) } };
/** A bad afternoon: many failures, highlighted in each bar. */
export const Failures: Story = { args: { buckets: hourly(2_000, true) } };
/** A selected range: its bars highlighted, the rest dimmed. */
export const SelectedRange: Story = {
  args: {
    selected: {
      from: new Date(Date.parse(span().from) + 10 * HOUR).toISOString(),
      to: new Date(Date.parse(span().from) + 14 * HOUR).toISOString(),
    },
  },
};
/** Dark theme. */
export const DarkMode: Story = { globals: { theme: 'dark' } };
/** Phone width: fewer axis labels. */
export const NarrowViewport: Story = { decorators: [(Story) => <Narrow>{Story()}</Narrow>] };
