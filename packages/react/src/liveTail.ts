import type { ActivityEntrySummary, ActivityFilter } from '@activity/sdk/client';
import type { ActivityQueryClient } from './types.js';

/** What the live tail holds. */
export interface LiveTailSnapshot {
  /** `connecting` until the stream opens; `error` after a fatal failure (401/403) or while reconnecting. */
  status: 'idle' | 'connecting' | 'live' | 'error';
  /** New entries not yet shown, newest first. */
  pending: readonly ActivityEntrySummary[];
  error?: unknown;
}

/** Options of {@link createLiveTail}. */
export interface LiveTailOptions {
  /** Called first for every arriving entry; return true when it updated a shown row (not a new entry). */
  onEntry?: ((entry: ActivityEntrySummary) => boolean) | undefined;
  /** Cap of the buffer; the oldest pending entries are dropped past it (the list refetch brings them). @default 500 */
  maxPending?: number | undefined;
}

/** An external store over `client.subscribe`: connects on first listener, disconnects after the last. */
export interface LiveTail {
  subscribe(listener: () => void): () => void;
  getSnapshot(): LiveTailSnapshot;
  /** Empties the buffer and returns what it held. */
  flush(): ActivityEntrySummary[];
}

/** Creates a live tail for one filter. React binds it with `useSyncExternalStore` (see `useLiveTail`). */
export function createLiveTail(
  client: ActivityQueryClient,
  filter: ActivityFilter,
  options: LiveTailOptions = {},
): LiveTail {
  const listeners = new Set<() => void>();
  const max = options.maxPending ?? 500;
  let snapshot: LiveTailSnapshot = { status: 'idle', pending: [] };
  let unsubscribe: (() => void) | undefined;
  const emit = (next: LiveTailSnapshot) => {
    snapshot = next;
    for (const l of listeners) l();
  };
  const onEntry = (entry: ActivityEntrySummary) => {
    if (options.onEntry?.(entry)) return;
    // A job's progress arrives as repeated entries with one id: keep only the latest copy.
    const rest = snapshot.pending.filter((e) => e.id !== entry.id);
    emit({ status: 'live', pending: [entry, ...rest].slice(0, max) });
  };
  const onError = (error: unknown) => emit({ ...snapshot, status: 'error', error });
  const onOpen = () => emit({ ...snapshot, status: 'live', error: undefined });
  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!unsubscribe) {
        snapshot = { ...snapshot, status: 'connecting' };
        unsubscribe = client.subscribe(filter, { onEntry: (entry) => onEntry(entry), onError, onOpen });
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && unsubscribe) {
          unsubscribe();
          unsubscribe = undefined;
          snapshot = { ...snapshot, status: 'idle' };
        }
      };
    },
    getSnapshot: () => snapshot,
    flush() {
      const out = [...snapshot.pending];
      emit({ ...snapshot, pending: [] });
      return out;
    },
  };
}
