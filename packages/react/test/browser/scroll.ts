import type { Page } from 'playwright-core';

/** Frame timings of one scroll from top to bottom. */
export interface ScrollTiming {
  /** Frames measured. */
  frames: number;
  /** 95th percentile of requestAnimationFrame intervals, ms. */
  p95: number;
  /** Longest interval, ms. */
  max: number;
  /** Mean interval, ms. */
  mean: number;
  /** True when the scroll reached the bottom. */
  reachedEnd: boolean;
}

/**
 * Scrolls `selector` from top to bottom in `maxFrames` equal steps, one per animation frame, and
 * measures the interval between frames: each step lands on rows never rendered before, so every frame
 * pays a full re-render of the visible window (the worst case for a virtualized list).
 */
export async function measureScroll(
  page: Page,
  selector: string,
  options: { maxFrames: number },
): Promise<ScrollTiming> {
  // tsx (esbuild keepNames) wraps inner functions in __name(); the serialized function needs it in the page.
  await page.evaluate('globalThis.__name ??= (fn) => fn');
  return page.evaluate(
    async ({ selector, maxFrames }) => {
      const el = document.querySelector(selector);
      if (!(el instanceof HTMLElement)) throw new Error(`no scroll element ${selector}`);
      const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
      el.scrollTop = 0;
      await frame();
      await frame();
      const distance = el.scrollHeight - el.clientHeight;
      const step = Math.max(1, Math.ceil(distance / maxFrames));
      const intervals: number[] = [];
      let last = await frame();
      while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
        el.scrollTop = Math.min(distance, el.scrollTop + step);
        const t = await frame();
        intervals.push(t - last);
        last = t;
        if (intervals.length > maxFrames * 2) break;
      }
      await frame();
      await frame();
      const sorted = [...intervals].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return {
        frames: intervals.length,
        p95: at(0.95),
        max: sorted[sorted.length - 1] ?? 0,
        mean: intervals.reduce((a, b) => a + b, 0) / Math.max(1, intervals.length),
        reachedEnd: el.scrollTop + el.clientHeight >= el.scrollHeight - 1,
      };
    },
    { selector, maxFrames: options.maxFrames },
  );
}
