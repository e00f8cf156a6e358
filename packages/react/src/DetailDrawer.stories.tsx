import { activityScenarios } from '@activity/sdk/testing/msw';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { api, withActivity } from '../../../.storybook/storyKit.js';
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
