import { serializeFilter } from '@activity/sdk/client';
import { activityScenarios } from '@activity/sdk/testing/msw';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { api, Narrow, withActivity } from '../../../.storybook/storyKit.js';
import { EntityHistory } from './EntityHistory.js';

const realistic = activityScenarios.default();
/** The record of the realistic scenario with the most entries: a contact, a release or a payment. */
const busiest = (() => {
  const counts = new Map<string, { type: string; id: string; n: number }>();
  for (const e of realistic.entries) {
    if (!e.entity) continue;
    const key = `${e.entity.type}:${e.entity.id}`;
    const c = counts.get(key) ?? { type: e.entity.type, id: e.entity.id, n: 0 };
    c.n++;
    counts.set(key, c);
  }
  const top = [...counts.values()].sort((a, b) => b.n - a.n)[0];
  return { type: top?.type ?? 'contact', id: top?.id ?? 'ct_none' };
})();
const diff = activityScenarios.largeDiff();

/**
 * A record's history for the host's record pages: newest first, who did what, changed fields inline, jobs
 * and webhooks about it, live, with "View all in Activity" carrying the record's filter.
 */
const meta = {
  title: 'EntityHistory',
  component: EntityHistory,
  decorators: [withActivity, (Story) => <div style={{ padding: 16, maxWidth: 520 }}>{Story()}</div>],
  args: {
    entity: busiest,
    viewAllHref: (filter) => `/activity?${serializeFilter(filter)}`,
    live: false,
  },
  parameters: { msw: realistic.handlers },
} satisfies Meta<typeof EntityHistory>;

export default meta;
type Story = StoryObj<typeof meta>;

/** The busiest record of two weeks of realistic activity. */
export const Default: Story = {};
/** A record changed in many fields at once: the first three inline, "+N more". */
export const ManyChangedFields: Story = {
  args: { entity: { type: diff.focus?.entity?.type ?? 'contact', id: diff.focus?.entity?.id ?? 'ct_none' } },
  parameters: { msw: diff.handlers },
};
/** Nothing recorded yet. */
export const Empty: Story = {
  args: { entity: { type: 'contact', id: 'ct_new' } },
  parameters: api(() => activityScenarios.empty()),
};
/** The API fails. */
export const LoadError: Story = { parameters: api(() => activityScenarios.error()) };
/** Dark theme. */
export const DarkMode: Story = { globals: { theme: 'dark' } };
/** Phone width. */
export const NarrowViewport: Story = { decorators: [(Story) => <Narrow>{Story()}</Narrow>] };
