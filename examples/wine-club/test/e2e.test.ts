/**
 * End to end, in Debian's Chromium: the example server (its real entry, `server/main.ts`) on a free port
 * with a fresh SQLite file seeded small, driven through the spec's "investigating failures" flow, the
 * filters, the CSV export, the diff and the entry ID. Screenshots of every step go to artifacts/e2e/ (ignored
 * by git) and are copied to docs/screenshots/e2e/ only with UPDATE_SCREENSHOTS=1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const EXAMPLE = resolve(fileURLToPath(new URL('..', import.meta.url)));
const REPO = resolve(EXAMPLE, '../..');
const ARTIFACTS = join(REPO, 'artifacts/e2e');
const DOCS_SHOTS = join(REPO, 'docs/screenshots/e2e');
/** The committed screenshots are rewritten only when asked, so a test run leaves a clone clean. */
const UPDATE_DOCS = process.env.UPDATE_SCREENSHOTS === '1';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/** Splits CSV text into rows of cells (quotes, doubled quotes and newlines inside quotes handled). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => r.some((v) => v !== ''));
}

describe('wine-club example in Chromium', () => {
  let server: ChildProcess | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let base = '';
  let output = '';
  const work = mkdtempSync(join(tmpdir(), 'wine-club-e2e-'));
  let shot = 0;

  const screenshot = async (name: string) => {
    shot++;
    await page.waitForTimeout(250); // let popovers and drawers finish their enter animation
    await page.screenshot({ path: join(ARTIFACTS, `${shot.toString().padStart(2, '0')}-${name}.png`) });
  };
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${base}${path}`);
    expect(response.ok, `${path} answered ${response.status.toString()}`).toBe(true);
    return (await response.json()) as T;
  };
  /** Waits for the locator to be visible (vitest's expect has no Playwright matchers); fails on timeout. */
  const visible = async (locator: Locator) => {
    await locator.waitFor({ state: 'visible' });
    expect(await locator.isVisible()).toBe(true);
  };
  const grid = () => page.getByRole('grid', { name: 'Activity entries' });
  const rows = () => grid().locator('[role="row"][aria-selected]');
  const drawer = () => page.getByRole('dialog');
  const pick = async (trigger: Locator, option: string) => {
    await trigger.click();
    const box = page.getByRole('checkbox', { name: option, exact: true });
    await box.click();
    await expect.poll(() => box.getAttribute('data-state')).toBe('checked');
    await page.keyboard.press('Escape');
  };
  const cellTexts = async (col: number) =>
    rows().evaluateAll(
      // Every column is in the DOM, so the nth gridcell is column n (1-based, like aria-colindex).
      (els, c) => els.map((el) => el.querySelectorAll('[role="gridcell"]')[c - 1]?.textContent ?? ''),
      col,
    );

  beforeAll(async () => {
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      ACTIVITY_DB: join(work, 'activity.db'),
      WEB_DIR: join(work, 'dist'),
      OUTBOX_DIR: join(work, 'outbox'),
      EXPORT_DIR: join(work, 'exports'),
      SEED_COUNT: '3000',
      // No live simulator: the list must hold still while the test reads it. Retries run fast and succeed.
      SIMULATE: '0',
      RETRY_DURATION_MS: '5000',
      RETRY_FAILURE_RATE: '0',
      // Small enough that "Everything retained" goes through the emailed background export.
      ASYNC_EXPORT_THRESHOLD: '1000',
    };
    // The SQLite default is what this test covers, whatever the CI environment points at.
    delete env.ACTIVITY_PG_URL;
    delete env.DATABASE_URL;
    delete env.CLICKHOUSE_URL;
    server = spawn(join(REPO, 'node_modules/.bin/tsx'), ['server/main.ts'], {
      cwd: EXAMPLE,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    base = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start in 90 s:\n${output}`)), 90_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /Dashboard:\s+(http:\/\/\S+)\/activity/.exec(output);
        if (m?.[1]) {
          clearTimeout(timer);
          resolveUrl(m[1]);
        }
      };
      server?.stdout?.on('data', onData);
      server?.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      server?.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${String(code)}:\n${output}`));
      });
    });
    context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
      viewport: { width: 1440, height: 900 },
      acceptDownloads: true,
      permissions: ['clipboard-read', 'clipboard-write'],
      timezoneId: 'UTC',
      locale: 'en-US',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    await context?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(r, 5000);
        server?.once('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
    if (UPDATE_DOCS && existsSync(ARTIFACTS)) {
      mkdirSync(DOCS_SHOTS, { recursive: true });
      for (const name of readdirSync(DOCS_SHOTS)) if (name.endsWith('.png')) rmSync(join(DOCS_SHOTS, name));
      for (const name of readdirSync(ARTIFACTS)) copyFileSync(join(ARTIFACTS, name), join(DOCS_SHOTS, name));
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('walks the Activity page from a failed sync to a retried run, filtered export, diff and entry ID', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // 1. Activity in the sidebar.
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Activity', exact: true }).click();
    await expect.poll(() => page.url()).toContain('/activity');
    await expect.poll(() => rows().count()).toBeGreaterThan(5);
    await screenshot('activity-log');

    // 2. Type BACKGROUND_JOB + Status FAILED.
    await pick(page.getByRole('button', { name: /^Type/ }), 'Background job');
    await pick(page.getByRole('button', { name: /^Status/ }), 'Failed');
    await expect.poll(() => new URL(page.url()).searchParams.getAll('type')).toEqual(['BACKGROUND_JOB']);
    await expect.poll(() => new URL(page.url()).searchParams.getAll('status')).toEqual(['FAILED']);
    await expect.poll(async () => (await cellTexts(5)).every((t) => t.includes('Failed'))).toBe(true);
    expect((await cellTexts(2)).every((t) => t.includes('Background job'))).toBe(true);
    const failedCount = await rows().count();
    expect(failedCount).toBeGreaterThanOrEqual(3); // the seed guarantees three failed syncs in the last 24 h
    await screenshot('failed-background-jobs');

    // 3. Open a failed SYNC_SQUARE_STOCK: error and stack trace.
    await rows().filter({ hasText: 'Sync Square stock' }).first().click();
    await visible(drawer());
    await visible(drawer().getByText('SquareApiError').first());
    await visible(drawer().getByText('Stack trace'));
    await visible(drawer().locator('pre').filter({ hasText: 'at async syncSquareStock' }));
    const originalId =
      (
        await drawer().getByRole('region', { name: 'Entry ID' }).locator('code').first().textContent()
      )?.trim() ?? '';
    expect(originalId).toMatch(/^[0-9a-f-]{36}$/);
    await screenshot('failed-sync-detail');

    // 4. Retry → the new run appears, linked to the original.
    await drawer().getByRole('button', { name: 'Retry', exact: true }).click();
    await visible(drawer().getByText('Retry started as a new run.'));
    await drawer().getByRole('button', { name: 'Open new run' }).click();
    await visible(drawer().getByText('Retry of'));
    await visible(drawer().getByRole('button', { name: originalId }));
    const newId =
      (
        await drawer().getByRole('region', { name: 'Entry ID' }).locator('code').first().textContent()
      )?.trim() ?? '';
    expect(newId).not.toBe(originalId);
    const retried = await api<{ retryOf?: string; action: string; actor: { id: string } }>(
      `/api/activity/entries/${newId}`,
    );
    expect(retried).toMatchObject({
      retryOf: originalId,
      action: 'SYNC_SQUARE_STOCK',
      actor: { id: 'usr_riley' },
    });
    // The retry runs ~5 s with progress (the drawer polls a running job), then succeeds.
    const progress = drawer().getByRole('progressbar');
    await expect
      .poll(async () => Number((await progress.getAttribute('aria-valuenow')) ?? 0), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await screenshot('retry-running');
    await expect
      .poll(async () => (await api<{ status: string }>(`/api/activity/entries/${newId}`)).status, {
        timeout: 20_000,
      })
      .toBe('SUCCESS');
    await visible(drawer().getByText('Success', { exact: true }).first());
    await screenshot('retry-succeeded');
    await page.keyboard.press('Escape');
    await drawer().waitFor({ state: 'hidden' });

    // 5. Filter by a user and by an entity type.
    await page.getByRole('button', { name: 'Clear all' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.getAll('type')).toEqual([]);
    await pick(page.getByRole('button', { name: /^User/ }), 'Riley Park');
    await pick(page.getByRole('button', { name: /^Entity/ }), 'Contact');
    await expect.poll(() => new URL(page.url()).searchParams.getAll('actor')).toEqual(['usr_riley']);
    await expect.poll(() => new URL(page.url()).searchParams.getAll('entityType')).toEqual(['contact']);
    await expect.poll(async () => (await cellTexts(3)).every((t) => t.includes('Riley Park'))).toBe(true);
    expect((await cellTexts(4)).every((t) => /contact/i.test(t))).toBe(true);
    const dayCount = await rows().count();
    expect(dayCount).toBeGreaterThan(0);
    await screenshot('user-and-entity-filter');

    // 6. Widen the date range.
    await page.getByRole('button', { name: /^Date: / }).click();
    await page.getByRole('button', { name: 'Last 30 days' }).click();
    await page.keyboard.press('Escape');
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('30d');
    const facets = await api<{ total: number }>(
      `/api/activity/facets?actor=usr_riley&entityType=contact&range=30d`,
    );
    const dayFacets = await api<{ total: number }>(
      `/api/activity/facets?actor=usr_riley&entityType=contact&range=24h`,
    );
    expect(facets.total).toBeGreaterThan(dayFacets.total);
    await expect.poll(() => rows().count()).toBeGreaterThan(dayCount);
    await screenshot('wider-date-range');

    // 7. Export CSV: the file honours the filters.
    const downloadPromise = page.waitForEvent('download');
    await page.getByRole('button', { name: /Export CSV/ }).click();
    const download = await downloadPromise;
    const file = join(work, 'export.csv');
    await download.saveAs(file);
    const [header, ...records] = parseCsv(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
    expect(header).toBeDefined();
    const col = (name: RegExp) => (header ?? []).findIndex((h) => name.test(h));
    const actorCol = col(/^actor.?id$/i) >= 0 ? col(/^actor.?id$/i) : col(/^actor/i);
    const entityCol = col(/^entity.?type$/i);
    const timeCol = col(/^(time|occurred.*)$/i);
    expect(actorCol).toBeGreaterThanOrEqual(0);
    expect(entityCol).toBeGreaterThanOrEqual(0);
    expect(records.length).toBe(facets.total);
    const monthAgo = Date.now() - 30 * 86_400_000 - 60_000;
    for (const record of records) {
      expect(record[actorCol]).toMatch(/usr_riley|Riley Park/);
      expect(record[entityCol]).toBe('contact');
      if (timeCol >= 0) expect(Date.parse(record[timeCol] ?? '')).toBeGreaterThan(monthAgo);
    }
    await screenshot('export-csv');

    // 8. A contact update and its before/after diff.
    await rows().filter({ hasText: 'Contact updated · Alex Chen' }).first().click();
    const changes = drawer().getByRole('region', { name: 'Changes' });
    await visible(changes);
    await visible(changes.getByRole('columnheader', { name: 'Before' }));
    await visible(changes.getByRole('columnheader', { name: 'After' }));
    await visible(changes.getByText('alex.chen@old-mail.example'));
    await visible(changes.getByText('Collector'));
    await screenshot('contact-diff');

    // 9. Copy the entry ID for support.
    const entryId =
      (
        await drawer().getByRole('region', { name: 'Entry ID' }).locator('code').first().textContent()
      )?.trim() ?? '';
    await drawer().getByRole('button', { name: 'Copy entry ID' }).click();
    await visible(drawer().getByRole('button', { name: 'Copy entry ID: Copied' }));
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(entryId);
    await screenshot('copied-entry-id');

    // 10. The entity links to the host's record page.
    await drawer().getByRole('link', { name: 'Alex Chen' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/contacts/ct_1000');
    await visible(page.getByRole('heading', { name: 'Alex Chen', level: 1 }));
    await visible(page.getByRole('heading', { name: 'Recent activity' }));
    await visible(page.getByText(/Tagged VIP, upgraded to Collector/).first());
    await screenshot('contact-record');

    // 11. A large export runs in the background; its link lands in the dev inbox.
    await page.goto(`${base}/activity?range=all`);
    await expect.poll(() => rows().count()).toBeGreaterThan(5);
    await page.getByRole('button', { name: /Export CSV/ }).click();
    await visible(page.getByText(/runs in the background/));
    await screenshot('async-export-started');
    const mail = await (async () => {
      for (let i = 0; i < 60; i++) {
        const inbox = await api<{ messages: { subject: string; link?: string }[] }>('/dev/inbox.json');
        if (inbox.messages.length > 0) return inbox.messages[0];
        await new Promise((r) => setTimeout(r, 500));
      }
      return undefined;
    })();
    expect(mail?.subject).toMatch(/export is ready \(3,\d{3} rows\)/);
    await page.goto(`${base}/dev/inbox`);
    const link = page.getByRole('link', { name: 'Download CSV' });
    await visible(link);
    expect(await link.getAttribute('href')).toBe(mail?.link);
    const big = await page.request.get(mail?.link ?? '');
    expect(big.status()).toBe(200);
    expect(parseCsv(await big.text()).length - 1).toBeGreaterThan(3000);
    await screenshot('dev-inbox');

    expect(errors).toEqual([]);
  });
});
