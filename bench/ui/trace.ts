/**
 * Where a scrolled frame's time goes: traces the same scroll over <ActivityTable/> and over the bare
 * @tanstack/react-virtual list (bench/ui/page, unminified so functions keep their names) with Chromium's
 * devtools.timeline categories and the V8 sampling profiler, and prints both summaries side by side.
 * Run: `npx tsx bench/ui/trace.ts [--frames=300 | --mounts=10] [--out=summary.json] [--raw=dir]`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveStatic } from '../../packages/react/test/browser/harness.js';
import { measureScroll } from '../../packages/react/test/browser/scroll.js';
import { buildBenchPage } from './build.js';
import { type Breakdown, summariseTrace, type TraceSummary } from './traceSummary.js';

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'toplevel',
  'v8.execute',
  'blink.user_timing',
  'disabled-by-default-v8.cpu_profiler',
];

const SELECTOR = { table: '.activity-table-scroll', bare: '.bare-scroll' } as const;

/**
 * Traces one scroll of each kind (or, with `mounts`, that many mounts of each); returns the summaries.
 */
export async function traceScroll(options: {
  frames: number;
  mounts?: number | undefined;
  rawDir?: string | undefined;
}): Promise<Record<'table' | 'bare', TraceSummary>> {
  const pageDir = await buildBenchPage({ minify: false });
  const server = await serveStatic(pageDir);
  const browser = await launchChromium();
  const out = {} as Record<'table' | 'bare', TraceSummary>;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => 'activityBench' in window);
    await page.evaluate(() => window.activityBench.generate(100_000));
    for (const kind of ['table', 'bare'] as const) {
      // One untraced scroll first, so both traces see warm code.
      await page.evaluate((k) => window.activityBench.mount(k), kind);
      await measureScroll(page, SELECTOR[kind], { maxFrames: options.frames });
      await page.evaluate(() => window.activityBench.unmount());
      let buffer: Buffer;
      if (options.mounts) {
        await browser.startTracing(page, { categories: CATEGORIES });
        for (let i = 0; i < options.mounts; i++) {
          await page.evaluate((k) => window.activityBench.mount(k), kind);
          await page.evaluate(() => window.activityBench.unmount());
        }
        buffer = await browser.stopTracing();
      } else {
        await page.evaluate((k) => window.activityBench.mount(k), kind);
        await browser.startTracing(page, { categories: CATEGORIES });
        await measureScroll(page, SELECTOR[kind], { maxFrames: options.frames });
        buffer = await browser.stopTracing();
        await page.evaluate(() => window.activityBench.unmount());
      }
      if (options.rawDir) writeFileSync(join(options.rawDir, `${kind}.trace.json`), buffer);
      out[kind] = summariseTrace(JSON.parse(buffer.toString('utf8')));
    }
  } finally {
    await browser.cleanup();
    await server.close();
    rmSync(pageDir, { recursive: true, force: true });
  }
  return out;
}

function table(title: string, a: Breakdown, b: Breakdown, rows = 20): string {
  const lines = [`${title}`, `${'table'.padEnd(70)} | bare`];
  for (let i = 0; i < Math.min(rows, Math.max(a.length, b.length)); i++) {
    const l = a[i] ? `${a[i]![1].toFixed(0).padStart(6)} ms  ${a[i]![0]}` : '';
    const r = b[i] ? `${b[i]![1].toFixed(0).padStart(6)} ms  ${b[i]![0]}` : '';
    lines.push(`${l.slice(0, 70).padEnd(70)} | ${r}`);
  }
  return lines.join('\n');
}

/** Plain-text report of the two summaries. */
export function formatTraceReport(s: Record<'table' | 'bare', TraceSummary>, what: string): string {
  return [
    `${what}; main thread busy: table ${s.table.busyMs} ms (thread time ${s.table.busyThreadMs} ms), bare ${s.bare.busyMs} ms (thread time ${s.bare.busyThreadMs} ms)`,
    table('self time by category', s.table.categories, s.bare.categories),
    table('self time by trace event', s.table.events, s.bare.events),
    table('JS self time by function (CPU profile)', s.table.selfFunctions, s.bare.selfFunctions),
    table('JS total time by function (CPU profile)', s.table.totalFunctions, s.bare.totalFunctions),
  ].join('\n\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const frames = Number(arg('frames') ?? 300);
  const rawDir = arg('raw');
  if (rawDir) mkdirSync(rawDir, { recursive: true });
  const mounts = arg('mounts') ? Number(arg('mounts')) : undefined;
  const summary = await traceScroll({ frames, mounts, rawDir });
  console.log(
    formatTraceReport(
      summary,
      mounts ? `${mounts} mounts with 100k rows` : `scroll of ${frames} steps over 100k rows`,
    ),
  );
  const outFile = arg('out');
  if (outFile) writeFileSync(outFile, `${JSON.stringify(summary, null, 2)}\n`);
}
