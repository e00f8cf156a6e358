/**
 * Hover and focus intent: a row counts as wanted once the pointer or the keyboard has rested on it for a
 * moment, so rows the pointer only crosses while scrolling (or that held arrow keys fly past) are not
 * prefetched.
 */

/** How long a row must stay under the pointer or active before it counts. */
export const ROW_INTENT_DELAY_MS = 80;

/** Calls `fire(key)` once `key` has been the last one pointed at for `delayMs`. */
export interface RowIntent {
  /** The pointer or focus is on `key` now (a repeat of the same key keeps the running timer). */
  point(key: string | undefined): void;
  /** Pointer or focus left: nothing fires. */
  cancel(): void;
}

/** Creates the debouncer behind `ActivityTable`'s `onRowIntent`. */
export function createRowIntent(fire: (key: string) => void, delayMs = ROW_INTENT_DELAY_MS): RowIntent {
  let current: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    current = undefined;
  };
  return {
    point(key) {
      if (key === current) return;
      cancel();
      if (key === undefined) return;
      current = key;
      timer = setTimeout(() => {
        timer = undefined;
        fire(key);
      }, delayMs);
    },
    cancel,
  };
}
