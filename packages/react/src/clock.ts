import { useMemo, useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // One shared timer for every relative time on the page, started only in the browser, on first use.
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 30_000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The current time in ms, refreshed every 30 s, shared by all relative timestamps (a number, so memoised rows can compare it). */
export function useNowMs(): number {
  return useSyncExternalStore(
    subscribe,
    () => now,
    () => now,
  );
}

/** The current time, refreshed every 30 s, shared by all relative timestamps. */
export function useNow(): Date {
  const ms = useNowMs();
  // One Date per tick, not per render, so it can sit in memo and effect dependencies.
  return useMemo(() => new Date(ms), [ms]);
}
