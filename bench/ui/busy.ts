/**
 * Main-thread busy time of one scroll, from Chromium's performance metrics (CDP `Performance.getMetrics`).
 * The metrics are read in the thread-time domain (`threadTicks`): CPU time the renderer's main thread spent
 * in tasks, which a busy moment on a shared machine (the thread waiting for a core) does not inflate the way
 * it inflates wall-clock durations or frame intervals.
 */
import type { CDPSession, Page } from 'playwright-core';
import { measureScroll, type ScrollTiming } from '../../packages/react/test/browser/scroll.js';

/** Main-thread CPU time of one scroll, ms. */
export interface BusyTime {
  /** Every task on the main thread (script, style, layout, paint, GC, the rest). */
  task: number;
  script: number;
  layout: number;
  style: number;
}

/** What one scroll costs: its busy time and its frame intervals. */
export interface ScrollCost {
  busy: BusyTime;
  frames: ScrollTiming;
}

/** Turns on the metrics of `page` in thread time; returns the CDP session to pass to {@link scrollCost}. */
export async function enableBusyMetrics(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  return cdp;
}

async function busyNow(cdp: CDPSession): Promise<BusyTime> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
  return {
    task: get('TaskDuration'),
    script: get('ScriptDuration'),
    layout: get('LayoutDuration'),
    style: get('RecalcStyleDuration'),
  };
}

/** Scrolls `selector` top to bottom in `frames` steps (see measureScroll) and measures the main thread. */
export async function scrollCost(
  page: Page,
  cdp: CDPSession,
  selector: string,
  frames: number,
): Promise<ScrollCost> {
  const before = await busyNow(cdp);
  const timing = await measureScroll(page, selector, { maxFrames: frames });
  const after = await busyNow(cdp);
  if (!timing.reachedEnd) throw new Error(`the scroll of ${selector} did not reach the last row`);
  return {
    busy: {
      task: after.task - before.task,
      script: after.script - before.script,
      layout: after.layout - before.layout,
      style: after.style - before.style,
    },
    frames: timing,
  };
}
