import { webcrypto } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ActivityClient, createActivityClient } from '@activity/sdk/client';
import { createMemoryIntegrityStore, createSealer, generateSigningKey } from '@activity/sdk/integrity';
import { checkProof, type InclusionProof, type PublicKeyInfo } from '@activity/sdk/integrity/check';
import { createActivityHandler } from '@activity/sdk/server';
import { createSqliteStore } from '@activity/sdk/sqlite';
import { createMemoryStore, generateActivity } from '@activity/sdk/testing';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeAll, describe, expect, it } from 'vitest';
import fixture from '../src/IntegrityBadge.fixture.json';
import { ActivityLog, IntegrityBadge, VerifyRange } from '../src/index.js';
import { expectNoAxeViolations } from './axe.js';
import { renderWithProvider } from './server.js';

const NOW = new Date('2026-03-15T12:00:00.000Z');

beforeAll(() => {
  // jsdom's crypto has no SubtleCrypto; the browser check needs the real one (Chromium has Ed25519).
  if (!globalThis.crypto?.subtle)
    Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
});

/** A real handler over a sealed store, reached by the real client without the network. */
async function sealedApi(options: { integrity?: boolean; sqlite?: boolean } = {}) {
  const base = options.sqlite
    ? createSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'badge-')), 'a.db') })
    : createMemoryIntegrityStore(createMemoryStore());
  const entries = generateActivity({ count: 40, orgIds: ['org_a'], seed: 3, now: NOW, spanDays: 1 });
  await base.append(entries);
  const key = generateSigningKey();
  await createSealer({ store: base, signingKey: key.privateKeyPem, now: () => NOW }).sealNow();
  const handler = createActivityHandler({
    store: base,
    authorize: () => ({ orgId: 'org_a', userId: 'u', permissions: ['read'] }),
    integrity:
      options.integrity === false
        ? undefined
        : { keys: { [key.keyId]: key.publicKeyPem }, intervalMs: 600_000 },
    now: () => NOW,
  });
  const client = createActivityClient({
    baseUrl: 'http://localhost/api',
    fetch: (url, init) => handler(new Request(url, init as RequestInit)),
  });
  const sealed = (await base.sealsOf('org_a', 1))[0]?.id as string;
  return { store: base, client, sealed, entries };
}

describe('<IntegrityBadge/>', () => {
  it('shows "Verified — sealed in digest #N at <time>" after checking the proof in the browser', async () => {
    const { client, sealed } = await sealedApi();
    const { container } = renderWithProvider(<IntegrityBadge entry={{ id: sealed }} />, {
      client,
      timeZone: 'UTC',
    });
    const status = await screen.findByText(/^Verified — sealed in digest #1 at /);
    expect(status.closest('section')?.getAttribute('data-state')).toBe('verified');
    await expectNoAxeViolations(container);
  });

  it('shows "Not sealed yet" with the interval for an entry not sealed yet', async () => {
    const { client, store } = await sealedApi();
    const at = NOW.toISOString();
    await store.append([
      {
        id: 'run_1',
        orgId: 'org_a',
        occurredAt: at,
        recordedAt: at,
        schemaVersion: 1,
        type: 'BACKGROUND_JOB',
        status: 'IN_PROGRESS',
        actor: { kind: 'system', id: 'system' },
        action: 'SYNC',
      },
    ]);
    renderWithProvider(<IntegrityBadge entry={{ id: 'run_1' }} />, { client });
    expect(await screen.findByText('Not sealed yet (sealed every 10 minutes)')).toBeTruthy();
  });

  it('shows a red "Integrity check failed" with the kind when the served entry is not what was sealed', async () => {
    const { client, sealed } = await sealedApi();
    // The database holds a changed entry: the proof's path still comes from the seal rows.
    const tampered: ActivityClient = {
      ...client,
      async proof(id) {
        const answer = await (client.proof as NonNullable<ActivityClient['proof']>)(id);
        return answer.sealed
          ? { ...answer, proof: { ...answer.proof, entry: { ...answer.proof.entry, summary: 'edited' } } }
          : answer;
      },
    };
    const { container } = renderWithProvider(<IntegrityBadge entry={{ id: sealed }} />, { client: tampered });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Integrity check failed: modified');
    expect(alert.querySelector('[data-status="failed"]')).toBeTruthy();
    await expectNoAxeViolations(container);
  });

  it('renders nothing when the server has no integrity routes', async () => {
    const { client, sealed } = await sealedApi({ integrity: false });
    const { container } = renderWithProvider(
      <>
        <IntegrityBadge entry={{ id: sealed }} />
        <span>end</span>
      </>,
      { client },
    );
    await screen.findByText('end');
    await new Promise((r) => setTimeout(r, 100));
    expect(container.querySelector('[data-state]')).toBeNull();
  });

  it('appears in the drawer of the page', async () => {
    const { client, entries } = await sealedApi();
    const first = entries
      .filter((e) => e.status !== 'IN_PROGRESS')
      .sort((a, b) => b.occurredAt.localeCompare(a.occurredAt))[0];
    renderWithProvider(
      <ActivityLog live={false} histogram={false} defaultFilter={{ range: 'all' }} syncUrl={false} />,
      { client },
    );
    const user = userEvent.setup();
    await waitFor(() => expect(screen.queryAllByRole('row').filter((r) => r.id).length).toBeGreaterThan(0));
    const row =
      screen.queryAllByRole('row').find((r) => r.id.includes(first?.id ?? '?')) ??
      screen.queryAllByRole('row').filter((r) => r.id)[0];
    await user.click(row as HTMLElement);
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText(/^Verified — sealed in digest #\d+ at /)).toBeTruthy();
  });
});

describe('<VerifyRange/>', () => {
  it('verifies the range on demand, and names the first break after a direct SQL change', async () => {
    const { client, store, sealed } = await sealedApi({ sqlite: true });
    const { container } = renderWithProvider(<VerifyRange filter={{ range: 'all' }} />, { client });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Verify this range' }));
    expect((await screen.findByRole('status')).textContent).toMatch(
      /^Verified: \d+ entries in \d+ digests?, nothing changed$/,
    );
    await expectNoAxeViolations(container);
    (store as ReturnType<typeof createSqliteStore>).db
      .prepare(`UPDATE activity_entries SET data = json_set(data, '$.summary', 'x') WHERE id = ?`)
      .run(sealed);
    await user.click(screen.getByRole('button', { name: 'Verify this range' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      `Integrity check failed: modified (entry ${sealed}, digest #1)`,
    );
  });

  it('is not offered when the server has no integrity routes', async () => {
    const { client } = await sealedApi({ integrity: false });
    renderWithProvider(
      <>
        <VerifyRange filter={{}} />
        <span>end</span>
      </>,
      { client },
    );
    await screen.findByText('end');
    await new Promise((r) => setTimeout(r, 100));
    expect(screen.queryByRole('button', { name: 'Verify this range' })).toBeNull();
  });
});

describe('IntegrityBadge story fixture', () => {
  it('is a real proof: it verifies, and the Failed story variant does not', async () => {
    const proof = fixture.proof as unknown as InclusionProof;
    const keys = fixture.keys as PublicKeyInfo[];
    expect(await checkProof(proof, keys)).toMatchObject({ ok: true, digest: { sequence: 1 } });
    const edited = { ...proof, entry: { ...proof.entry, summary: 'Edited in the database' } };
    expect(await checkProof(edited, keys)).toMatchObject({ ok: false, reason: 'modified' });
  });
});
