/**
 * jsdom set-up for the react project: the layout and browser APIs jsdom lacks, stubbed just enough for
 * @tanstack/react-virtual, Radix and the clipboard to work.
 */
import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// The suite shares 2 cores with the sdk's database tests in CI: the default 1 s for findBy/waitFor
// flakes under that load (seen on a clean clone), while nothing here legitimately takes seconds.
configure({ asyncUtilTimeout: 5_000 });

/** Viewport of every element: the table's scroll box shows ~13 rows of 44 px. */
export const VIEW = { width: 1000, height: 600 };

/** The clipboard the copy buttons write to (user-event replaces it with its own after `setup()`). */
export const clipboardWrites: string[] = [];

// The SSR test runs in node: only stub when there is a DOM.
if (typeof window !== 'undefined') {
  Object.defineProperties(HTMLElement.prototype, {
    clientHeight: { configurable: true, get: () => VIEW.height },
    clientWidth: { configurable: true, get: () => VIEW.width },
    offsetHeight: { configurable: true, get: () => VIEW.height },
    offsetWidth: { configurable: true, get: () => VIEW.width },
    // Unbounded content height, so the virtualizer may scroll anywhere (jsdom reports 0).
    scrollHeight: { configurable: true, get: () => 1e9 },
  });
  HTMLElement.prototype.getBoundingClientRect = function getBoundingClientRect(): DOMRect {
    return {
      x: 0,
      y: 0,
      top: 0,
      left: 0,
      width: VIEW.width,
      height: VIEW.height,
      right: VIEW.width,
      bottom: VIEW.height,
      toJSON: () => ({}),
    } as DOMRect;
  };
  // The virtualizer scrolls with element.scrollTo; jsdom stores scrollTop but has no scrollTo.
  Element.prototype.scrollTo = function scrollTo(
    this: Element,
    x?: ScrollToOptions | number,
    y?: number,
  ): void {
    const top = typeof x === 'object' ? x.top : y;
    if (typeof top === 'number') this.scrollTop = top;
    this.dispatchEvent(new Event('scroll'));
  } as Element['scrollTo'];
  Element.prototype.scrollIntoView = function scrollIntoView(): void {};

  class ResizeObserverStub {
    constructor(private readonly callback: ResizeObserverCallback) {}
    observe(target: Element): void {
      const rect = target.getBoundingClientRect();
      const size = [{ inlineSize: rect.width, blockSize: rect.height }];
      this.callback(
        [
          {
            target,
            contentRect: rect,
            borderBoxSize: size,
            contentBoxSize: size,
            devicePixelContentBoxSize: size,
          },
        ],
        this as unknown as ResizeObserver,
      );
    }
    unobserve(): void {}
    disconnect(): void {}
  }
  globalThis.ResizeObserver = ResizeObserverStub as unknown as typeof ResizeObserver;

  window.matchMedia = (query: string): MediaQueryList =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }) as MediaQueryList;

  Object.defineProperty(navigator, 'clipboard', {
    configurable: true,
    value: {
      writeText: vi.fn(async (text: string) => {
        clipboardWrites.push(text);
      }),
    },
  });

  if (!URL.createObjectURL) {
    URL.createObjectURL = () => 'blob:activity-test';
    URL.revokeObjectURL = () => {};
  }
  // Radix uses pointer capture APIs jsdom lacks.
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.releasePointerCapture ??= () => {};
}

afterEach(() => {
  vi.restoreAllMocks();
  clipboardWrites.length = 0;
  if (typeof window === 'undefined') return;
  cleanup();
  window.history.replaceState(null, '', '/');
});
