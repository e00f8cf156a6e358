/**
 * <ActivityLog/> in real Chromium: the static Storybook, its msw worker running the real API handler,
 * the drawer, keyboard navigation, virtualization at 100k rows (frame times printed, never asserted: the
 * targets live in bench/ui's report), and screenshots of the main states (artifacts/screenshots/, ignored by
 * git; the key ones are copied to docs/screenshots/ only with UPDATE_SCREENSHOTS=1, so a run leaves the tree clean).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStorybookBuilt, launchChromium, openStory, ROOT, serveStatic } from './harness.js';
import { measureScroll } from './scroll.js';

const ARTIFACTS = join(ROOT, 'artifacts/screenshots');
const DOCS = join(ROOT, 'docs/screenshots');
/** The committed screenshots are rewritten only when asked: `UPDATE_SCREENSHOTS=1`. */
const UPDATE_DOCS = process.env.UPDATE_SCREENSHOTS === '1';

let browser: Awaited<ReturnType<typeof launchChromium>>;
let server: Awaited<ReturnType<typeof serveStatic>>;

beforeAll(async () => {
  const dir = ensureStorybookBuilt();
  server = await serveStatic(dir);
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
  if (UPDATE_DOCS) mkdirSync(DOCS, { recursive: true });
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

async function page(width = 1280, height = 800): Promise<Page> {
  const p = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
  p.on('pageerror', (e) => console.error('[page error]', e.message));
  return p;
}

/** Saves a screenshot to artifacts/, and to docs/ when `doc` is set and UPDATE_SCREENSHOTS=1. */
async function shot(p: Page, name: string, doc = true): Promise<void> {
  await p.evaluate(() => document.fonts.ready);
  // Let opening animations (the drawer's slide-in) end; spinners run forever and are left alone.
  await p.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => Number.isFinite(Number(a.effect?.getComputedTiming().endTime)))
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  const file = join(ARTIFACTS, `${name}.png`);
  await p.screenshot({ path: file });
  if (doc && UPDATE_DOCS) copyFileSync(file, join(DOCS, `${name}.png`));
}

const ROWS = '[role="grid"] [role="row"][data-index]';

async function rowsShown(p: Page): Promise<number> {
  await p.waitForSelector(ROWS, { timeout: 30_000 });
  return p.locator(ROWS).count();
}

describe('ActivityLog in Chromium', () => {
  it('renders the default page with rows from the mocked API (light and dark)', async () => {
    const p = await page();
    await openStory(p, server.url, 'activitylog--default');
    expect(await rowsShown(p)).toBeGreaterThan(5);
    await expect.poll(() => p.locator('.activity-title').textContent()).toMatch(/activity/i);
    // Every status is spelled out, never colour alone.
    const statuses = await p.locator(`${ROWS} .activity-cell-status`).allTextContents();
    expect(statuses.every((s) => /success|in progress|warning|failed/i.test(s))).toBe(true);
    await shot(p, 'activity-log-light');
    await openStory(p, server.url, 'activitylog--default', { theme: 'dark' });
    expect(await rowsShown(p)).toBeGreaterThan(5);
    const bg = await p
      .locator('.activity-log')
      .evaluate((el) => getComputedStyle(el).getPropertyValue('color-scheme'));
    expect(await p.locator('.activity-log').getAttribute('data-theme')).toBe('dark');
    expect(bg).not.toBe('light');
    await shot(p, 'activity-log-dark');
    await p.close();
  });

  it('opens the drawer of a failed job with its error, stack trace and Retry', async () => {
    const p = await page();
    // What the page fetched (msw answers in the service worker): list pages and single entries.
    const bodies: { path: string; body: string }[] = [];
    p.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (/\/api\/activity\/entries/.test(path))
        void r.text().then(
          (body) => bodies.push({ path, body }),
          () => undefined,
        );
    });
    await openStory(p, server.url, 'activitylog--retryable-failed-job');
    await rowsShown(p);
    const row = p.locator(ROWS, { hasText: 'Fall 2025 Whites' }).first();
    // Resting the pointer on the row prefetches the full entry (issue 12).
    await row.hover();
    await expect
      .poll(() => bodies.filter((b) => /\/entries\/[^/]+$/.test(b.path)).length, { timeout: 5_000 })
      .toBeGreaterThan(0);
    await row.click();
    const dialog = p.getByRole('dialog');
    await dialog.waitFor({ timeout: 15_000 });
    await expect.poll(() => dialog.textContent(), { timeout: 10_000 }).toContain('card_declined');
    expect(await dialog.textContent()).toContain('processReleasePayments.ts:118');
    // The stack trace came from GET /entries/:id: list pages carry summaries without it.
    const lists = bodies.filter((b) => b.path.endsWith('/entries'));
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.every((b) => !b.body.includes('processReleasePayments.ts'))).toBe(true);
    expect(
      bodies.some((b) => /\/entries\/[^/]+$/.test(b.path) && b.body.includes('processReleasePayments.ts')),
    ).toBe(true);
    expect(await dialog.getByRole('button', { name: /^retry$/i }).count()).toBe(1);
    await shot(p, 'drawer-failed-job');
    await p.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 5_000 });
    await p.close();
  });

  it('shows a large diff as a readable table with redacted values hidden', async () => {
    const p = await page();
    await openStory(p, server.url, 'detaildrawer--large-diff');
    const dialog = p.getByRole('dialog');
    await dialog.waitFor({ timeout: 15_000 });
    await expect.poll(() => dialog.textContent(), { timeout: 10_000 }).toContain('address.city');
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain('Sonoma');
    expect(text).toContain('changed, hidden');
    expect(text).not.toContain('4242');
    await shot(p, 'drawer-diff');
    await openStory(p, server.url, 'detaildrawer--webhook-with-bodies');
    await expect
      .poll(() => p.getByRole('dialog').textContent(), { timeout: 10_000 })
      .toContain('insufficient_funds');
    await shot(p, 'drawer-webhook', false);
    await p.close();
  });

  it('draws the histogram with a time axis and an immediate tooltip on hover and focus', async () => {
    const p = await page();
    await openStory(p, server.url, 'activitylog--default');
    await rowsShown(p);
    const bars = p.locator('.activity-histogram-bars [role="button"], .activity-histogram-bars button');
    await bars.first().waitFor({ timeout: 15_000 });
    // The default 24 h in 15-minute buckets: every bucket drawn, empty ones included.
    expect(await bars.count()).toBeGreaterThanOrEqual(90);
    const ticks = await p.locator('.activity-histogram-tick').allTextContents();
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.every((t) => /^\d{2}:\d{2}$|^[A-Z][a-z]{2} \d{1,2}$/.test(t))).toBe(true);
    // Ticks sit in order along the axis, inside it.
    const lefts = await p
      .locator('.activity-histogram-tick')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().left));
    expect([...lefts].sort((a, b) => a - b)).toEqual(lefts);
    const busiest = await bars.evaluateAll((els) => {
      let best = 0;
      let index = 0;
      els.forEach((el, i) => {
        const h = (el.firstElementChild as HTMLElement | null)?.getBoundingClientRect().height ?? 0;
        if (h > best) [best, index] = [h, i];
      });
      return index;
    });
    await bars.nth(busiest).hover();
    const tip = p.getByRole('tooltip');
    await tip.waitFor({ timeout: 2_000 });
    expect(await tip.textContent()).toMatch(/\d+ entr(y|ies)/);
    expect(await tip.textContent()).toMatch(/\d{2}:\d{2} – \d{2}:\d{2}/);
    await shot(p, 'histogram-tooltip');
    // Keyboard: one tab stop, arrows move, the tooltip follows focus.
    await p.mouse.move(0, 0);
    await p.getByRole('tooltip').waitFor({ state: 'detached', timeout: 2_000 });
    await p.locator('.activity-histogram').screenshot({ path: join(ARTIFACTS, 'histogram.png') });
    if (UPDATE_DOCS) copyFileSync(join(ARTIFACTS, 'histogram.png'), join(DOCS, 'histogram.png'));
    await bars.nth(busiest).focus();
    await p.keyboard.press('ArrowLeft');
    const focused = await p.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    expect(focused).toMatch(/entr(y|ies)/);
    await expect
      .poll(() => p.getByRole('tooltip').textContent(), { timeout: 2_000 })
      .toContain(focused.replace(/: \d+ entr.*$/, ''));
    expect(await bars.evaluateAll((els) => els.filter((e) => (e as HTMLElement).tabIndex === 0).length)).toBe(
      1,
    );
    await p.close();
  });

  it('moves through rows with the keyboard and opens and closes the drawer', async () => {
    const p = await page();
    await openStory(p, server.url, 'activitylog--default');
    await rowsShown(p);
    await p.locator('[role="grid"]').focus();
    await p.keyboard.press('ArrowDown');
    await p.keyboard.press('j');
    await p.keyboard.press('j');
    await p.keyboard.press('k');
    const active = p.locator(`${ROWS}[data-state="active"]`);
    await expect.poll(() => active.getAttribute('data-index')).toBe('2');
    const activeId = await p.locator('[role="grid"]').getAttribute('aria-activedescendant');
    expect(activeId).toBe(await active.getAttribute('id'));
    await p.keyboard.press('Enter');
    await p.getByRole('dialog').waitFor({ timeout: 10_000 });
    await p.keyboard.press('Escape');
    await p.getByRole('dialog').waitFor({ state: 'detached', timeout: 5_000 });
    await p.close();
  });

  it('keeps under 100 rows in the DOM with 100k loaded, and reaches the last one by scrolling', async () => {
    const p = await page();
    await openStory(p, server.url, 'activitytable--hundred-thousand-rows');
    const shown = await rowsShown(p);
    expect(shown).toBeGreaterThan(5);
    expect(shown).toBeLessThan(100);
    const scroll = await measureScroll(p, '.activity-table-scroll', { maxFrames: 600 });
    console.info(
      `[scroll 100k] frames=${scroll.frames} p95=${scroll.p95.toFixed(1)}ms max=${scroll.max.toFixed(1)}ms`,
    );
    expect(scroll.reachedEnd).toBe(true);
    expect(await p.locator(ROWS).count()).toBeLessThan(100);
    // The last entry is reachable: virtualization hides nothing.
    expect(await p.locator(`${ROWS}[data-index="99999"]`).count()).toBe(1);
    await p.close();
  });

  it('opens the date-range popover with its calendar and picks a custom range', async () => {
    const p = await page();
    await openStory(p, server.url, 'activitylog--default');
    await rowsShown(p);
    await p.getByRole('button', { name: /^Date:/ }).click();
    const popover = p.locator('.activity-daterange');
    await popover.waitFor({ timeout: 10_000 });
    // Themed although portalled out of the page: the popover carries the theme class itself.
    expect(await popover.evaluate((el) => el.classList.contains('activity-theme'))).toBe(true);
    const days = popover.locator('.activity-calendar-day:not([disabled])');
    expect(await days.count()).toBeGreaterThan(27);
    await days.nth(3).click();
    await days.nth(9).click();
    await expect.poll(() => popover.locator('.activity-range-hint').textContent()).toMatch(/–/);
    await shot(p, 'date-range-calendar');
    await p.keyboard.press('Escape');
    await popover.waitFor({ state: 'detached', timeout: 5_000 });
    await p.close();
  });

  it('renders empty, error and narrow-viewport states', async () => {
    const p = await page();
    await openStory(p, server.url, 'activitylog--empty');
    await p.getByText('No activity found').waitFor({ timeout: 15_000 });
    await shot(p, 'activity-log-empty');
    await openStory(p, server.url, 'activitylog--error-state');
    await p.getByText('Could not load activity').waitFor({ timeout: 30_000 });
    expect(await p.getByRole('button', { name: /^retry$/i }).count()).toBeGreaterThan(0);
    await shot(p, 'activity-log-error');
    await p.close();

    const narrow = await page(390, 844);
    await openStory(narrow, server.url, 'activitylog--default');
    await rowsShown(narrow);
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    // Narrow tables show the compact time ("2h") and keep every cell in its column, in-progress rows too.
    const layout = await narrow.evaluate((rows) => {
      const all = [...document.querySelectorAll<HTMLElement>(rows)];
      const lefts = (sel: string) =>
        new Set(all.map((r) => Math.round(r.querySelector(sel)?.getBoundingClientRect().left ?? -1)));
      const time = all[0]?.querySelector('time');
      return {
        timeAfter: time ? getComputedStyle(time, '::after').content : '',
        eventLefts: lefts('.activity-cell-event').size,
        statusLefts: lefts('.activity-cell-status').size,
        inProgress: all.some((r) => r.querySelector('[role="progressbar"]')),
        progressInside: all.every((r) => {
          const bar = r.querySelector('[role="progressbar"]')?.getBoundingClientRect();
          const cell = r.querySelector('.activity-cell-status')?.getBoundingClientRect();
          return !bar || (!!cell && bar.left >= cell.left && bar.right <= cell.right);
        }),
      };
    }, ROWS);
    expect(layout.timeAfter).toMatch(/^"\d+[smhd]"/);
    expect(layout.eventLefts).toBe(1);
    expect(layout.statusLefts).toBe(1);
    expect(layout.inProgress).toBe(true);
    expect(layout.progressInside).toBe(true);
    await shot(narrow, 'activity-log-narrow');
    await narrow.close();
  });
});
