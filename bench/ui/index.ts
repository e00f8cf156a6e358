/**
 * UI benchmarks in headless Chromium (Debian's, through playwright-core), on bench/ui/page (built with Vite,
 * production React, the package stylesheet loaded):
 * - ui-scroll-cpu-vs-bare: main-thread busy time (CPU time of the renderer's main thread in tasks: script,
 *   style, layout, paint, GC; CDP performance metrics in thread time, see busy.ts) over the same scroll of
 *   <ActivityTable/> top to bottom through 100k loaded rows, 600 equal steps of one frame each, ÷ the same
 *   scroll over a bare @tanstack/react-virtual list with the same row height and overscan. Runs alternate
 *   (table, bare, table, bare …); the figure is the median of the per-pair ratios. Frame-interval p95 and
 *   max of both stay in the detail line: they are quantised to vsync and swing with the machine's load.
 *   Where the time goes: `npx tsx bench/ui/trace.ts` (a Chromium trace of both, summarised).
 * - ui-mount-vs-bare: time to the first painted frame of <ActivityTable/> with 100k rows ÷ the same for the
 *   bare list, medians of alternating runs.
 * - react-bundle-gz-kb: @activity/react's own code, minified and gzipped. "Own code" = what the package's
 *   `index` entry adds to a host bundle: its peers (react, react-dom, @tanstack/react-query,
 *   @activity/sdk) and its dependencies shared with the host (radix-ui, @tanstack/react-virtual, date-fns)
 *   are external. The stylesheet is reported beside it, not counted.
 * Run alone: `npx tsx bench/ui/index.ts [--quick]`.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium, serveStatic } from '../../packages/react/test/browser/harness.js';
import { buildBenchPage, bundleSize } from './build.js';
import { enableBusyMetrics, type ScrollCost, scrollCost } from './busy.js';

/** One figure, in the shape of bench/results.json. */
export interface UiBenchResult {
  name: string;
  value: number;
  unit: string;
  target: string;
  detail?: string;
}

type Kind = 'table' | 'bare';
const SELECTOR: Record<Kind, string> = { table: '.activity-table-scroll', bare: '.bare-scroll' };

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length / 2;
  return s.length % 2 ? (s[Math.floor(mid)] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** Mount times, alternating table and bare list; the first pair warms up and is not counted. */
async function mountTimes(page: Page, runs: number): Promise<Record<Kind, number[]>> {
  const times: Record<Kind, number[]> = { table: [], bare: [] };
  for (let i = 0; i <= runs; i++) {
    for (const kind of ['table', 'bare'] as const) {
      const ms = await page.evaluate((k) => window.activityBench.mount(k), kind);
      await page.evaluate(() => window.activityBench.unmount());
      if (i > 0) times[kind].push(ms);
    }
  }
  return times;
}

/** Rows in the DOM with the list scrolled to its middle: the work one scrolled frame replaces. */
async function rowsMidway(page: Page, kind: Kind): Promise<number> {
  return page.evaluate(async (selector) => {
    const el = document.querySelector<HTMLElement>(selector);
    if (!el) throw new Error(`no scroll element ${selector}`);
    el.scrollTop = (el.scrollHeight - el.clientHeight) / 2;
    for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r));
    return el.querySelectorAll('[data-index]').length;
  }, SELECTOR[kind]);
}

/** Scroll costs of `pairs` alternating pairs (table, bare, table, bare …). */
async function scrollPairs(
  page: Page,
  pairs: number,
  frames: number,
  warmUpFrames: number,
): Promise<{ costs: Record<Kind, ScrollCost[]>; rows: Record<Kind, number> }> {
  const cdp = await enableBusyMetrics(page);
  const costs: Record<Kind, ScrollCost[]> = { table: [], bare: [] };
  const rows = { table: 0, bare: 0 };
  // A short untimed scroll of each first: JIT, image decoding and caches warm for both alike.
  for (const kind of ['table', 'bare'] as const) {
    await page.evaluate((k) => window.activityBench.mount(k), kind);
    rows[kind] = await rowsMidway(page, kind);
    if (warmUpFrames > 0) await scrollCost(page, cdp, SELECTOR[kind], warmUpFrames);
    await page.evaluate(() => window.activityBench.unmount());
  }
  for (let i = 0; i < pairs; i++) {
    for (const kind of ['table', 'bare'] as const) {
      await page.evaluate((k) => window.activityBench.mount(k), kind);
      costs[kind].push(await scrollCost(page, cdp, SELECTOR[kind], frames));
      await page.evaluate(() => window.activityBench.unmount());
    }
  }
  await cdp.detach();
  return { costs, rows };
}

function scrollResult(
  costs: Record<Kind, ScrollCost[]>,
  rows: Record<Kind, number>,
  frames: number,
): UiBenchResult {
  const ratios = costs.table.map((t, i) => t.busy.task / (costs.bare[i]?.busy.task ?? Number.NaN));
  const busy = (kind: Kind, key: keyof ScrollCost['busy']) =>
    Math.round(median(costs[kind].map((c) => c.busy[key])));
  const frame = (kind: Kind, key: 'p95' | 'max') => round(median(costs[kind].map((c) => c.frames[key])), 1);
  const split = (kind: Kind) =>
    `${busy(kind, 'task')} ms (script ${busy(kind, 'script')}, style ${busy(kind, 'style')}, layout ${busy(kind, 'layout')})`;
  return {
    name: 'ui-scroll-cpu-vs-bare',
    value: round(median(ratios)),
    unit: 'x',
    target: '<= 1.3',
    detail:
      `main-thread CPU time over ${frames} scroll steps through 100k rows, median of ${ratios.length} alternating pairs ` +
      `(ratios ${ratios.map((r) => round(r)).join(', ')}); table ${split('table')}, bare list ${split('bare')}; ` +
      `rows in the DOM mid-scroll: table ${rows.table}, bare ${rows.bare}; ` +
      `frame interval p95/max: table ${frame('table', 'p95')}/${frame('table', 'max')} ms, bare ${frame('bare', 'p95')}/${frame('bare', 'max')} ms`,
  };
}

/** Runs the UI benchmarks. `quick` does fewer runs and a shorter scroll (numbers are indicative only). */
export async function runUiBench({ quick }: { quick: boolean }): Promise<UiBenchResult[]> {
  const results: UiBenchResult[] = [];
  const size = await bundleSize();
  results.push({
    name: 'react-bundle-gz-kb',
    value: round(size.jsKb),
    unit: 'KiB',
    target: '<= 35',
    detail: `minified ${round(size.rawKb)} KiB; peers and shared deps external`,
  });

  const pageDir = await buildBenchPage();
  const benchPage = await serveStatic(pageDir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    await page.goto(`${benchPage.url}/index.html`);
    await page.waitForFunction(() => 'activityBench' in window);
    await page.evaluate(() => window.activityBench.generate(100_000));

    const runs = quick ? 3 : 11;
    const mounts = await mountTimes(page, runs);
    results.push({
      name: 'ui-mount-vs-bare',
      value: round(median(mounts.table) / median(mounts.bare)),
      unit: 'x',
      target: '<= 1.5',
      detail: `time to the first painted frame with 100k rows: table ${round(median(mounts.table))} ms, bare list ${round(median(mounts.bare))} ms (medians of ${runs} alternating runs)`,
    });

    const frames = quick ? 60 : 600;
    const { costs, rows } = await scrollPairs(page, quick ? 1 : 7, frames, quick ? 0 : 120);
    results.push(scrollResult(costs, rows, frames));
  } finally {
    await browser.cleanup();
    await benchPage.close();
    rmSync(pageDir, { recursive: true, force: true });
  }
  return results;
}

/** The entry bench/run.ts calls. */
export const run = runUiBench;

declare global {
  interface Window {
    activityBench: {
      generate(count: number): number;
      mount(kind: 'table' | 'bare'): Promise<number>;
      unmount(): void;
    };
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await runUiBench({ quick: process.argv.includes('--quick') });
  console.table(out);
}
