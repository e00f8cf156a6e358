/**
 * UI benchmarks in headless Chromium (Debian's, through playwright-core):
 * - ui-scroll-p95-frame-ms / ui-scroll-max-frame-ms: requestAnimationFrame intervals while scrolling
 *   <ActivityTable/> top to bottom through 100k loaded rows, 600 equal steps of one frame each; median of
 *   3 passes, alternating with the same scroll over the bare list (reported beside it for reference).
 * - ui-mount-vs-bare: time to the first painted frame of <ActivityTable/> with 100k rows ÷ the same for a
 *   bare @tanstack/react-virtual list of the same rows.
 * Both run on bench/ui/page (built with Vite, production React), with the package stylesheet loaded.
 * - react-bundle-gz-kb: @activity/react's own code, minified and gzipped. "Own code" = what the package's
 *   `index` entry adds to a host bundle: its peers (react, react-dom, @tanstack/react-query,
 *   @activity/sdk) and its dependencies shared with the host (radix-ui, @tanstack/react-virtual, date-fns)
 *   are external. The stylesheet is reported beside it (react-css-gz-kb), not counted.
 * Run alone: `npx tsx bench/ui/index.ts [--quick]`.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { build, type Rollup } from 'vite';
import { launchChromium, ROOT, serveStatic } from '../../packages/react/test/browser/harness.js';
import { measureScroll, type ScrollTiming } from '../../packages/react/test/browser/scroll.js';

/** One figure, in the shape of bench/results.json. */
export interface UiBenchResult {
  name: string;
  value: number;
  unit: string;
  target: string;
  detail?: string;
}

const sdk = (p: string) => join(ROOT, 'packages/sdk/src', p);
const alias = [
  { find: /^@activity\/sdk$/, replacement: sdk('index.ts') },
  { find: /^@activity\/sdk\/(client|server|sqlite|postgres|clickhouse|testing)$/, replacement: sdk('$1.ts') },
  { find: /^@activity\/react$/, replacement: join(ROOT, 'packages/react/src/index.ts') },
  // The bare list uses the very copy of react-virtual that @activity/react depends on.
  {
    find: /^@tanstack\/react-virtual$/,
    replacement: realpathSync(join(ROOT, 'packages/react/node_modules/@tanstack/react-virtual')),
  },
];

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/** Peers and shared dependencies: never counted as @activity/react's own code. */
const EXTERNAL = /^(react|react-dom|@tanstack\/|radix-ui|@radix-ui\/|date-fns|@activity\/sdk)(\/.*)?$/;

/** Gzipped size of the package's own JS (and, separately, its CSS), built like a host bundler would. */
async function bundleSize(): Promise<{ jsKb: number; cssKb: number; rawKb: number }> {
  const out = (await build({
    configFile: false,
    logLevel: 'silent',
    root: ROOT,
    build: {
      write: false,
      minify: true,
      sourcemap: false,
      lib: { entry: join(ROOT, 'packages/react/src/index.ts'), formats: ['es'], fileName: 'index' },
      // Some imports reach `external` already resolved to a path: anything from node_modules is not own code.
      rolldownOptions: { external: (id: string) => EXTERNAL.test(id) || id.includes('/node_modules/') },
    },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output);
  let js = 0;
  let raw = 0;
  let css = 0;
  for (const file of outputs) {
    const code =
      file.type === 'chunk'
        ? file.code
        : typeof file.source === 'string'
          ? file.source
          : Buffer.from(file.source);
    const bytes = gzipSync(code, { level: 9 }).length;
    if (file.fileName.endsWith('.js')) {
      js += bytes;
      raw += Buffer.byteLength(code);
    } else if (file.fileName.endsWith('.css')) css += bytes;
  }
  return { jsKb: js / 1024, cssKb: css / 1024, rawKb: raw / 1024 };
}

/** Builds bench/ui/page into a temp dir. */
async function buildBenchPage(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'activity-ui-bench-'));
  await build({
    configFile: false,
    logLevel: 'silent',
    root: fileURLToPath(new URL('./page/', import.meta.url)),
    plugins: [react()],
    resolve: { alias },
    build: { outDir, emptyOutDir: true, minify: true },
  });
  return outDir;
}

/** Runs the UI benchmarks. `quick` does fewer mounts and a shorter scroll (numbers are indicative only). */
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

    const table: number[] = [];
    const bare: number[] = [];
    const runs = quick ? 3 : 9;
    // Alternate the two so drift (GC, other processes on the machine) hits both alike; first pair warms up.
    for (let i = 0; i <= runs; i++) {
      for (const kind of ['bare', 'table'] as const) {
        const ms = await page.evaluate((k) => window.activityBench.mount(k), kind);
        await page.evaluate(() => window.activityBench.unmount());
        if (i > 0) (kind === 'bare' ? bare : table).push(ms);
      }
    }
    results.push({
      name: 'ui-mount-vs-bare',
      value: round(median(table) / median(bare)),
      unit: 'x',
      target: '<= 2',
      detail: `table ${round(median(table))} ms, bare list ${round(median(bare))} ms (medians of ${runs})`,
    });

    const frames = quick ? 120 : 600;
    const passes = quick ? 1 : 3;
    const tableScroll: ScrollTiming[] = [];
    const bareScroll: ScrollTiming[] = [];
    // The bare list is measured in the same run, alternating with the table, so a busy moment on this
    // shared machine hits both alike; each figure is the median over the passes.
    for (let i = 0; i < passes; i++) {
      for (const kind of i % 2 ? (['bare', 'table'] as const) : (['table', 'bare'] as const)) {
        await page.evaluate((k) => window.activityBench.mount(k), kind);
        const scroll = await measureScroll(
          page,
          kind === 'table' ? '.activity-table-scroll' : '.bare-scroll',
          {
            maxFrames: frames,
          },
        );
        if (!scroll.reachedEnd) throw new Error(`the ${kind} scroll did not reach the last row`);
        await page.evaluate(() => window.activityBench.unmount());
        (kind === 'table' ? tableScroll : bareScroll).push(scroll);
      }
    }
    const med = (runs: ScrollTiming[], key: 'p95' | 'max' | 'mean') => median(runs.map((r) => r[key]));
    const list = (runs: ScrollTiming[], key: 'p95' | 'max') => runs.map((r) => round(r[key], 1)).join(', ');
    results.push(
      {
        name: 'ui-scroll-p95-frame-ms',
        value: round(med(tableScroll, 'p95')),
        unit: 'ms',
        target: '<= 16.7',
        detail: `${frames} frames over 100k rows, median of ${passes} passes (${list(tableScroll, 'p95')}), mean ${round(med(tableScroll, 'mean'))} ms; bare list p95 ${round(med(bareScroll, 'p95'))} ms (${list(bareScroll, 'p95')})`,
      },
      {
        name: 'ui-scroll-max-frame-ms',
        value: round(med(tableScroll, 'max')),
        unit: 'ms',
        target: '<= 50',
        detail: `median of ${passes} passes (${list(tableScroll, 'max')}); bare list max ${round(med(bareScroll, 'max'))} ms (${list(bareScroll, 'max')})`,
      },
    );
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
