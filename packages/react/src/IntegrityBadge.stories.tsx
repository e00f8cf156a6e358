import type { Meta, StoryObj } from '@storybook/react-vite';
import { HttpResponse, http } from 'msw';
import { STORY_API, withActivity } from '../../../.storybook/storyKit.js';
import fixture from './IntegrityBadge.fixture.json';
import { IntegrityBadge } from './IntegrityBadge.js';

/** A sealed entry's proof and the public key that signed its digest (made by the real sealer). */
const { proof, keys, intervalMs } = fixture;

const keysRoute = http.get(`${STORY_API}/integrity/keys`, () => HttpResponse.json({ keys, intervalMs }));
const proofRoute = (body: Record<string, unknown>) =>
  http.get(`${STORY_API}/entries/:id/proof`, () => HttpResponse.json(body));

/** The drawer's integrity line: the proof is checked in this browser with Web Crypto. */
const meta = {
  title: 'IntegrityBadge',
  component: IntegrityBadge,
  decorators: [withActivity, (Story) => <div style={{ padding: 24, maxWidth: 480 }}>{Story()}</div>],
  args: { entry: { id: proof.entry.id } },
  parameters: { msw: [keysRoute, proofRoute({ sealed: true, intervalMs, proof })] },
} satisfies Meta<typeof IntegrityBadge>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Sealed, and the proof and signature check out: "Verified — sealed in digest #1 at …". */
export const Verified: Story = {};
/** An entry the sealer has not reached yet. */
export const NotSealedYet: Story = {
  parameters: { msw: [keysRoute, proofRoute({ sealed: false, intervalMs })] },
};
/** The stored entry no longer matches what its digest sealed. */
export const Failed: Story = {
  parameters: {
    msw: [
      keysRoute,
      proofRoute({
        sealed: true,
        intervalMs,
        proof: { ...proof, entry: { ...proof.entry, summary: 'Edited in the database' } },
      }),
    ],
  },
};
/** Dark theme. */
export const DarkMode: Story = { globals: { theme: 'dark' } };
