import type { ActivityEntrySummary, ActivityFilter } from '@activity/sdk/client';
import { useMemo, useRef, useSyncExternalStore } from 'react';
import { useActivityContext } from './context.js';
import { filterKey } from './hooks.js';
import { createLiveTail, type LiveTailSnapshot } from './liveTail.js';

/** Options of {@link useLiveTail}. */
export interface UseLiveTailOptions {
  /** @default true */
  enabled?: boolean | undefined;
  /** Return true when the entry updated a shown row (it then stays out of the "new entries" buffer). */
  onEntry?: ((entry: ActivityEntrySummary) => boolean) | undefined;
}

/** Result of {@link useLiveTail}. */
export interface UseLiveTailResult extends LiveTailSnapshot {
  /** Number of buffered new entries (the "N new entries" pill). */
  count: number;
  /** Empties the buffer (call when showing the new entries). */
  flush: () => ActivityEntrySummary[];
}

const IDLE: LiveTailSnapshot = { status: 'idle', pending: [] };
const noopSubscribe = () => () => {};

/** Subscribes to new entries matching the filter and gathers them in a buffer instead of shifting the list. */
export function useLiveTail(filter: ActivityFilter, options: UseLiveTailOptions = {}): UseLiveTailResult {
  const { client } = useActivityContext();
  const enabled = options.enabled ?? true;
  const onEntry = useRef(options.onEntry);
  onEntry.current = options.onEntry;
  const key = filterKey(filter);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the filter's key stands for the filter
  const tail = useMemo(
    () => createLiveTail(client, filter, { onEntry: (e) => onEntry.current?.(e) ?? false }),
    [client, key],
  );
  const snapshot = useSyncExternalStore(
    enabled ? tail.subscribe : noopSubscribe,
    enabled ? tail.getSnapshot : () => IDLE,
    () => IDLE,
  );
  return { ...snapshot, count: snapshot.pending.length, flush: tail.flush };
}
