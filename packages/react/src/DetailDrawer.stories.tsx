import type { ActivityEntry } from '@activity/sdk/client';
import { activityScenarios, createActivityMswHandlers, DEMO_RETRY } from '@activity/sdk/testing/msw';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { api, STORY_API, withActivity } from '../../../.storybook/storyKit.js';
import { DetailDrawer, DiffTable } from './DetailDrawer.js';

const failed = activityScenarios.failedJob();
const running = activityScenarios.inProgressJob();
const webhook = activityScenarios.webhook();
const diff = activityScenarios.largeDiff();

/** The entry sheet, opened on the entry each scenario is about; data from the mocked API. */
const meta = {
  title: 'DetailDrawer',
  component: DetailDrawer,
  decorators: [withActivity],
  args: { entityHref: (entity) => `/app/${entity.type}s/${entity.id}` },
} satisfies Meta<typeof DetailDrawer>;

export default meta;
type Story = StoryObj<typeof meta>;

/** A FAILED payment run: error, copyable stack trace, entry ID for support, and Retry (then the new run). */
export const RetryableFailedJob: Story = {
  args: { defaultEntryId: failed.focus!.id },
  parameters: { msw: failed.handlers },
};

/** A running job with live progress; Retry is not offered while it runs. */
export const InProgressJob: Story = {
  args: { defaultEntryId: running.focus!.id },
  parameters: { msw: running.handlers },
};

/**
 * The failed scenario's payment run, as the sweeper leaves a run whose process died (crash, deploy,
 * SIGKILL): FAILED with an ABANDONED error, `heartbeatAt` the last time it was seen alive.
 */
function abandonedRun(minutesSinceHeartbeat: number) {
  const scenario = activityScenarios.failedJob();
  const run = scenario.focus!;
  const heartbeatAt = new Date(Date.now() - minutesSinceHeartbeat * 60_000).toISOString();
  const focus: ActivityEntry = {
    ...run,
    summary: 'Charging club members for Fall 2025 Whites',
    progress: { processed: 211, total: 640 },
    metadata: { processed: 211, total: 640 },
    heartbeatAt,
    // Closed by the sweeper: no wall time of its own to show.
    durationMs: undefined,
    error: {
      name: 'JobAbandoned',
      code: 'ABANDONED',
      message: `No heartbeat since ${heartbeatAt}: the process running this job stopped (crash, deploy or kill) before it finished.`,
    },
  };
  const entries = [...scenario.entries.filter((e) => e.id !== run.id), focus];
  return { focus, handlers: createActivityMswHandlers({ baseUrl: STORY_API, entries, retry: DEMO_RETRY }) };
}

/** A running job whose heartbeat is `secondsAgo` old, with a lease of `leaseSeconds` from that heartbeat. */
function heartbeatRun(secondsAgo: number, leaseSeconds: number) {
  const scenario = activityScenarios.inProgressJob();
  const run = scenario.focus!;
  const beat = Date.now() - secondsAgo * 1000;
  const focus: ActivityEntry = {
    ...run,
    heartbeatAt: new Date(beat).toISOString(),
    leaseExpiresAt: new Date(beat + leaseSeconds * 1000).toISOString(),
  };
  const entries = [...scenario.entries.filter((e) => e.id !== run.id), focus];
  return { focus, handlers: createActivityMswHandlers({ baseUrl: STORY_API, entries }) };
}

const abandoned = abandonedRun(6);

/** A payment run whose process died mid-run: "Abandoned — last seen alive …", no stack trace, and Retry. */
export const AbandonedJob: Story = {
  args: { defaultEntryId: abandoned.focus.id },
  parameters: { msw: abandoned.handlers },
};

/** Abandoned, in the dark theme. */
export const AbandonedJobDark: Story = {
  args: { defaultEntryId: abandoned.focus.id },
  parameters: { msw: abandoned.handlers },
  globals: { theme: 'dark' },
};

const alive = heartbeatRun(8, 60);

/** A running job with its last heartbeat, ticking every second. */
export const InProgressWithHeartbeat: Story = {
  args: { defaultEntryId: alive.focus.id },
  parameters: { msw: alive.handlers },
};

const overdue = heartbeatRun(100, 60);

/** A running job whose lease passed without a heartbeat: the sweeper will close it as abandoned. */
export const HeartbeatOverdue: Story = {
  args: { defaultEntryId: overdue.focus.id },
  parameters: { msw: overdue.handlers },
};

/** A Stripe webhook: request and response headers and pretty-printed bodies. */
export const WebhookWithBodies: Story = {
  args: { defaultEntryId: webhook.focus!.id },
  parameters: { msw: webhook.handlers },
};

/** A 41-field diff: nested paths, added, removed and "changed, hidden" for redacted values. */
export const LargeDiff: Story = {
  args: { defaultEntryId: diff.focus!.id },
  parameters: { msw: diff.handlers },
};

/** The viewer may not retry: the button is absent. */
export const RetryNotAllowed: Story = {
  args: { defaultEntryId: failed.focus!.id, canRetry: false },
  parameters: { msw: failed.handlers },
};

/** The entry is still loading: the row's copy shows meanwhile. */
export const Loading: Story = {
  args: { defaultEntryId: failed.focus!.id, placeholder: failed.focus },
  parameters: api(() => activityScenarios.loading()),
};

/** The entry request failed. */
export const ErrorState: Story = {
  name: 'Error',
  args: { defaultEntryId: failed.focus!.id },
  parameters: api(() => activityScenarios.error()),
};

/** Dark theme, on the failed job. */
export const DarkMode: Story = {
  args: { defaultEntryId: failed.focus!.id },
  parameters: { msw: failed.handlers },
  globals: { theme: 'dark' },
};

/** Phone width: the drawer takes the whole screen. */
export const NarrowViewport: Story = {
  args: { defaultEntryId: diff.focus!.id },
  parameters: { msw: diff.handlers, viewport: { defaultViewport: 'mobile1' } },
};

/** The diff table alone (no drawer), as a host can place it anywhere. */
export const DiffTableOnly: Story = {
  name: 'DiffTable',
  render: () => (
    <div className="activity-theme" style={{ padding: 16, maxWidth: 760 }}>
      <DiffTable changes={diff.focus!.changes ?? []} />
    </div>
  ),
};
