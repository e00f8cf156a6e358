import type { ActivityFilter } from '@activity/sdk/client';
import { activityScenarios } from '@activity/sdk/testing/msw';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { api, Narrow, withActivity } from '../../../.storybook/storyKit.js';
import { FilterBar } from './FilterBar.js';

function Bar({ initial }: { initial: ActivityFilter }) {
  const [filter, setFilter] = useState<ActivityFilter>(initial);
  return (
    <div style={{ padding: 16 }}>
      <FilterBar.Root value={filter} onValueChange={setFilter} className="activity-toolbar">
        <div className="activity-toolbar-row">
          <FilterBar.Search />
          <FilterBar.Type />
          <FilterBar.Status />
          <FilterBar.User />
          <FilterBar.Entity />
          <FilterBar.DateRange />
        </div>
        <div className="activity-toolbar-row activity-toolbar-chips">
          <FilterBar.Chips />
          <FilterBar.Clear />
        </div>
      </FilterBar.Root>
      <pre style={{ fontSize: 12, opacity: 0.7 }} title="Filter as URL">
        ?
        {new URLSearchParams(
          Object.entries(filter).flatMap(([k, v]) =>
            Array.isArray(v) ? v.map((x) => [k, x]) : [[k, String(v)]],
          ),
        ).toString()}
      </pre>
    </div>
  );
}

/** The five axes with counts from facets, chips and clear-all; built from `FilterBar.*` parts. */
const meta = {
  title: 'FilterBar',
  component: Bar,
  decorators: [withActivity],
  args: { initial: {} },
  parameters: api(() => activityScenarios.default()),
} satisfies Meta<typeof Bar>;

export default meta;
type Story = StoryObj<typeof meta>;

/** No filter: the last 24 hours. */
export const Default: Story = {};
/** The Failures preset on (FAILED + WARNING). */
export const FailuresPreset: Story = { args: { initial: { statuses: ['FAILED', 'WARNING'] } } };
/** Several axes active: removable chips and Clear all. */
export const ActiveChips: Story = {
  args: {
    initial: {
      types: ['BACKGROUND_JOB'],
      statuses: ['FAILED'],
      actorIds: ['usr_casey'],
      entityTypes: ['release'],
      range: '7d',
      q: 'payment',
    },
  },
};
/** Facets still loading. */
export const Loading: Story = { parameters: api(() => activityScenarios.loading()) };
/** Facets failed: the pickers still open, without counts. */
export const ErrorState: Story = { name: 'Error', parameters: api(() => activityScenarios.error()) };
/** Dark theme. */
export const DarkMode: Story = { globals: { theme: 'dark' } };
/** Phone width: the toolbar wraps. */
export const NarrowViewport: Story = { decorators: [(Story) => <Narrow>{Story()}</Narrow>] };
