import type { HistogramBucket } from '@activity/sdk/client';
import { generateActivity } from '@activity/sdk/testing';
import { activityScenarios } from '@activity/sdk/testing/msw';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { api, Narrow, withActivity } from '../../../.storybook/storyKit.js';
import { Histogram } from './Histogram.js';

const HOUR = 3_600_000;

/** Hourly buckets of a day of fixtures, counted the way the stores count them. */
function hourly(count: number): HistogramBucket[] {
  const now = Date.now();
  const start = Math.floor((now - 24 * HOUR) / HOUR) * HOUR;
  const buckets = Array.from({ length: 25 }, (_, i) => ({
    start: new Date(start + i * HOUR).toISOString(),
    count: 0,
    failures: 0,
  }));
  for (const e of generateActivity({
    count,
    orgIds: ['org_demo'],
    seed: 7,
    now: new Date(now),
    spanDays: 1,
  })) {
    const b = buckets[Math.floor((Date.parse(e.occurredAt) - start) / HOUR)];
    if (!b) continue;
    b.count++;
    if (e.status === 'FAILED' || e.status === 'WARNING') b.failures++;
  }
  return buckets;
}

/** Entries across the selected range, failures highlighted; a click narrows the range. */
const meta = {
  title: 'Histogram',
  component: Histogram,
  decorators: [withActivity, (Story) => <div style={{ padding: 16 }}>{Story()}</div>],
  args: { buckets: hourly(600), onSelectBucket: () => {} },
  parameters: api(() => activityScenarios.empty()),
} satisfies Meta<typeof Histogram>;

export default meta;
type Story = StoryObj<typeof meta>;

/** A day, by hour. */
export const Default: Story = {};
/** Refetching: the previous bars stay, dimmed. */
export const Loading: Story = { args: { loading: true } };
/** No entries in range. */
export const Empty: Story = { args: { buckets: hourly(0) } };
/** A burst of activity: 100k entries in a day. */
export const HundredThousandRows: Story = { name: '100k rows', args: { buckets: hourly(100_000) } };
/** Dark theme. */
export const DarkMode: Story = { globals: { theme: 'dark' } };
/** Phone width. */
export const NarrowViewport: Story = { decorators: [(Story) => <Narrow>{Story()}</Narrow>] };
