import { activityScenarios } from '@activity/sdk/testing/msw';
import type { Meta, StoryObj } from '@storybook/react-vite';
import type { ReactNode } from 'react';
import { api, Narrow, StoryProvider, themeOf, withActivity } from '../../../.storybook/storyKit.js';
import { ActivityLog } from './ActivityLog.js';

/** The ready-made page, over the real API handler mocked by msw (`@activity/sdk/testing/msw`). */
const meta = {
  title: 'ActivityLog',
  component: ActivityLog,
  decorators: [withActivity],
  args: {
    entityHref: (entity) => `/app/${entity.type}s/${entity.id}`,
    // Stories share one iframe URL; keeping the filter out of it keeps stories independent.
    syncUrl: false,
    live: false,
  },
  parameters: api(() => activityScenarios.default()),
} satisfies Meta<typeof ActivityLog>;

export default meta;
type Story = StoryObj<typeof meta>;

/** The last 24 hours of a busy wine club: jobs, webhooks, team edits and system events. */
export const Default: Story = {};

/** The API never answers: skeleton rows. */
export const Loading: Story = { parameters: api(() => activityScenarios.loading()) };

/** Nothing recorded in the range. */
export const Empty: Story = { parameters: api(() => activityScenarios.empty()) };

/** Every request fails with a 500: the error state offers a retry. */
export const ErrorState: Story = { name: 'Error', parameters: api(() => activityScenarios.error()) };

/** The "investigating failures" preset: FAILED + WARNING over the last 7 days. */
export const FailuresPreset: Story = {
  args: { defaultFilter: { statuses: ['FAILED', 'WARNING'], range: '7d' } },
  parameters: api(() => activityScenarios.failedJob()),
};

/** A payment run still IN_PROGRESS at the top, with its live progress bar. */
export const InProgressJob: Story = { parameters: api(() => activityScenarios.inProgressJob()) };

/** A FAILED payment run that has a retry handler: open it to see the error, the stack and Retry. */
export const RetryableFailedJob: Story = { parameters: api(() => activityScenarios.failedJob()) };

/** A Stripe webhook with request and response headers and bodies. */
export const WebhookWithBodies: Story = { parameters: api(() => activityScenarios.webhook()) };

/** A contact update with 41 changed fields (nested, arrays, added, removed, redacted). */
export const LargeDiff: Story = { parameters: api(() => activityScenarios.largeDiff()) };

/** 100 000 entries in the last 24 hours, loaded in pages of 1000 as you scroll. */
export const HundredThousandRows: Story = {
  name: '100k rows',
  args: { pageSize: 1000, histogram: true },
  parameters: api(() => activityScenarios.manyRows()),
};

/** The toolbar's dark theme, forced. */
export const DarkMode: Story = { globals: { theme: 'dark' } };

/** A phone-width host column. */
export const NarrowViewport: Story = {
  decorators: [(Story) => <Narrow>{Story()}</Narrow>],
};

const STATES = ['default', 'loading', 'empty', 'error', 'failedJob', 'webhook'] as const;

/** Each state under its own mocked API, side by side, for a design review at a glance. */
export const AllStates: Story = {
  name: 'All states',
  decorators: [],
  parameters: {
    get msw() {
      return STATES.flatMap((s) => activityScenarios[s]({ baseUrl: `/api/states/${s}` }).handlers);
    },
  },
  render: (args, { globals }) => (
    <div
      style={{
        display: 'grid',
        gridTemplateColumns: 'repeat(auto-fill, minmax(640px, 1fr))',
        gap: 24,
        padding: 16,
      }}
    >
      {STATES.map((s) => (
        <Panel key={s} title={s}>
          <StoryProvider theme={themeOf(globals)} baseUrl={`/api/states/${s}`}>
            <ActivityLog {...args} histogram={false} />
          </StoryProvider>
        </Panel>
      ))}
    </div>
  ),
};

function Panel({ title, children }: { title: string; children: ReactNode }): ReactNode {
  return (
    <section
      aria-label={`${title} state`}
      style={{ height: 560, overflow: 'hidden', border: '1px solid #8884' }}
    >
      <p style={{ margin: 0, padding: '4px 8px', font: '600 12px system-ui', opacity: 0.7 }}>{title}</p>
      {children}
    </section>
  );
}
