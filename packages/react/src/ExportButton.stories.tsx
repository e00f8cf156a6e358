import { activityScenarios } from '@activity/sdk/testing/msw';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { api, withActivity } from '../../../.storybook/storyKit.js';
import { ExportButton } from './ExportButton.js';

/** Export CSV of the current filter: a streamed download with progress, or a notice for a background export. */
const meta = {
  title: 'ExportButton',
  component: ExportButton,
  decorators: [withActivity, (Story) => <div style={{ padding: 24 }}>{Story()}</div>],
  args: { filter: { range: '7d' }, onFile: () => {} },
  parameters: api(() => activityScenarios.default()),
} satisfies Meta<typeof ExportButton>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Streams the CSV of the last 7 days. */
export const Default: Story = {};
/** Only failures (the preset), as a compliance reviewer would export them. */
export const FailuresPreset: Story = { args: { filter: { statuses: ['FAILED', 'WARNING'], range: '30d' } } };
/** The server never answers: the button shows progress. */
export const Loading: Story = { parameters: api(() => activityScenarios.loading()) };
/** The export request fails. */
export const ErrorState: Story = { name: 'Error', parameters: api(() => activityScenarios.error()) };
/** Dark theme. */
export const DarkMode: Story = { globals: { theme: 'dark' } };
