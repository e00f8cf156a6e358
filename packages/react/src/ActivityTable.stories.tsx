import type { ActivityEntry } from '@activity/sdk/client';
import { generateActivity } from '@activity/sdk/testing';
import { activityScenarios } from '@activity/sdk/testing/msw';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useMemo, useState } from 'react';
import { api, Narrow, withActivity } from '../../../.storybook/storyKit.js';
import { ActivityTable } from './ActivityTable.js';

const NOW = new Date();
const rows = (count: number, spanDays = 1): ActivityEntry[] =>
  generateActivity({ count, orgIds: ['org_demo'], seed: 7, now: NOW, spanDays }).reverse();

/** The virtualized table on its own: entries come in as a prop, so these stories need no API. */
const meta = {
  title: 'ActivityTable',
  component: ActivityTable,
  decorators: [
    withActivity,
    (Story) => <div style={{ height: '100vh', display: 'flex', flexDirection: 'column' }}>{Story()}</div>,
  ],
  args: { entries: rows(80), style: { flex: 1, minHeight: 0 } },
  // The provider still asks the API for catalog labels.
  parameters: api(() => activityScenarios.empty()),
  render: function Render(args) {
    const [selected, setSelected] = useState<string | undefined>();
    return <ActivityTable {...args} selectedId={selected} onOpen={(e) => setSelected(e.id)} />;
  },
} satisfies Meta<typeof ActivityTable>;

export default meta;
type Story = StoryObj<typeof meta>;

/** A day of mixed activity, newest first. */
export const Default: Story = {};

/** Skeleton rows while the first page loads. */
export const Loading: Story = { args: { entries: [], loading: true } };

/** No entries for the active filters, with a way to clear them. */
export const Empty: Story = {
  args: { entries: [], filterDescription: 'Type: Background job, Status: Failed', onClearFilters: () => {} },
};

/** The list request failed; Retry calls `onRetry`. */
export const ErrorState: Story = {
  name: 'Error',
  args: { entries: [], error: new Error('The activity service answered 500'), onRetry: () => {} },
};

/** Only failures, as the Failures preset shows them. */
export const FailuresPreset: Story = {
  args: { entries: rows(400, 7).filter((e) => e.status === 'FAILED' || e.status === 'WARNING') },
};

/** A running job's progress bar at the top. */
export const InProgressJob: Story = {
  args: { entries: [activityScenarios.inProgressJob().focus!, ...rows(40)] },
};

/** A retryable FAILED job at the top. */
export const RetryableFailedJob: Story = {
  args: { entries: [activityScenarios.failedJob().focus!, ...rows(40)] },
};

/** A webhook row (the drawer shows its bodies). */
export const WebhookWithBodies: Story = {
  args: { entries: [activityScenarios.webhook().focus!, ...rows(40)] },
};

/** A row whose entry carries a 41-field diff. */
export const LargeDiff: Story = {
  args: { entries: [activityScenarios.largeDiff().focus!, ...rows(40)] },
};

/** Live-tail entries waiting behind the "N new entries" pill. */
export const NewEntriesPill: Story = { args: { newCount: 3, onShowNew: () => {} } };

/** 100 000 loaded rows: the DOM holds only the visible window. */
export const HundredThousandRows: Story = {
  name: '100k rows',
  // axe would run during the scroll measurements of the browser test; the same rows are checked in Default.
  parameters: { a11y: { disable: true } },
  render: function Render(args) {
    // Made inside the story (not in a loader) so Storybook never copies 100k entries around.
    const entries = useMemo(() => rows(100_000), []);
    return <ActivityTable {...args} entries={entries} />;
  },
};

/** Dark theme. */
export const DarkMode: Story = { globals: { theme: 'dark' } };

/** Phone width: columns collapse. */
export const NarrowViewport: Story = { decorators: [(Story) => <Narrow>{Story()}</Narrow>] };

/** Loading, empty, error and filled tables side by side. */
export const AllStates: Story = {
  name: 'All states',
  render: (args) => (
    <div style={{ display: 'grid', gridTemplateColumns: 'repeat(2, minmax(0, 1fr))', gap: 16, padding: 16 }}>
      <ActivityTable {...args} style={{ height: 320 }} />
      <ActivityTable {...args} entries={[]} loading style={{ height: 320 }} />
      <ActivityTable
        {...args}
        entries={[]}
        filterDescription="Status: Failed"
        onClearFilters={() => {}}
        style={{ height: 320 }}
      />
      <ActivityTable
        {...args}
        entries={[]}
        error={new Error('500')}
        onRetry={() => {}}
        style={{ height: 320 }}
      />
    </div>
  ),
};
