import { useMemo, useSyncExternalStore } from 'react';

interface Clock {
  now: number;
  listeners: Set<() => void>;
  timer: ReturnType<typeof setInterval> | undefined;
  subscribe(listener: () => void): () => void;
  getSnapshot(): number;
}

const clocks = new Map<number, Clock>();

/** One shared clock per tick interval: every relative time on the page reads the same instant. */
function clockEvery(intervalMs: number): Clock {
  let clock = clocks.get(intervalMs);
  if (clock) return clock;
  const c: Clock = {
    now: Date.now(),
    listeners: new Set(),
    timer: undefined,
    subscribe(listener) {
      c.listeners.add(listener);
      // The timer starts only in the browser, on first use, and stops with the last subscriber.
      if (!c.timer) {
        c.now = Date.now();
        c.timer = setInterval(() => {
          c.now = Date.now();
          for (const l of c.listeners) l();
        }, intervalMs);
      }
      return () => {
        c.listeners.delete(listener);
        if (c.listeners.size === 0 && c.timer) {
          clearInterval(c.timer);
          c.timer = undefined;
        }
      };
    },
    getSnapshot: () => c.now,
  };
  clock = c;
  clocks.set(intervalMs, clock);
  return clock;
}

/**
 * The current time in ms, shared by all relative timestamps (a number, so memoised rows can compare it).
 * @param intervalMs how often it ticks; a heartbeat's age needs seconds, a row's "2 hours ago" does not.
 * @default 30_000
 */
export function useNowMs(intervalMs = 30_000): number {
  const clock = clockEvery(intervalMs);
  return useSyncExternalStore(clock.subscribe, clock.getSnapshot, clock.getSnapshot);
}

/** The current time, refreshed every 30 s (or every `intervalMs`), shared by all relative timestamps. */
export function useNow(intervalMs?: number): Date {
  const ms = useNowMs(intervalMs);
  // One Date per tick, not per render, so it can sit in memo and effect dependencies.
  return useMemo(() => new Date(ms), [ms]);
}
