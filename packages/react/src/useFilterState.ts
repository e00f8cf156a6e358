import type { ActivityFilter } from '@activity/sdk/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { filterFromSearch, searchWithFilter } from './filterState.js';

/** Options of {@link useFilterState}. */
export interface UseFilterStateOptions {
  /** Keep the filter in the address bar (`?type=WEBHOOK&status=FAILED`), so a view is a shareable link. @default false */
  syncToUrl?: boolean | undefined;
  /** `replace` keeps one history entry; `push` makes Back undo a filter change. @default 'replace' */
  history?: 'replace' | 'push' | undefined;
  /** Controlled filter. */
  value?: ActivityFilter | undefined;
  /** Initial filter when uncontrolled and the URL names none. @default {} (last 24 hours) */
  defaultValue?: ActivityFilter | undefined;
  onValueChange?: ((filter: ActivityFilter) => void) | undefined;
}

/** Result of {@link useFilterState}. */
export interface UseFilterStateResult {
  filter: ActivityFilter;
  setFilter: (next: ActivityFilter | ((prev: ActivityFilter) => ActivityFilter)) => void;
}

/**
 * The page's filter, controlled or uncontrolled, optionally mirrored to the URL query string in the shared
 * format of `serializeFilter` (the API reads the same parameters). Back/forward restores it.
 */
export function useFilterState(options: UseFilterStateOptions = {}): UseFilterStateResult {
  const { syncToUrl = false, history = 'replace', value, onValueChange } = options;
  const fallback = useRef(options.defaultValue ?? {});
  const [internal, setInternal] = useState<ActivityFilter>(() =>
    // SSR: there is no location on the server, so the first render uses the default everywhere else.
    syncToUrl && typeof window !== 'undefined'
      ? filterFromSearch(window.location.search, fallback.current)
      : fallback.current,
  );
  const filter = value ?? internal;
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const mode = useRef<'replace' | 'push'>('replace');

  const setFilter = useCallback<UseFilterStateResult['setFilter']>(
    (next) => {
      const resolved = typeof next === 'function' ? next(filterRef.current) : next;
      mode.current = history;
      if (value === undefined) setInternal(resolved);
      onValueChange?.(resolved);
    },
    [history, onValueChange, value],
  );

  useEffect(() => {
    if (!syncToUrl) return;
    const search = searchWithFilter(window.location.search, filter);
    if (search !== window.location.search) {
      const url = `${window.location.pathname}${search}${window.location.hash}`;
      if (mode.current === 'push') window.history.pushState(window.history.state, '', url);
      else window.history.replaceState(window.history.state, '', url);
    }
    mode.current = 'replace';
  }, [syncToUrl, filter]);

  useEffect(() => {
    if (!syncToUrl) return;
    const onPop = () => {
      const next = filterFromSearch(window.location.search, fallback.current);
      if (value === undefined) setInternal(next);
      onValueChange?.(next);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [syncToUrl, value, onValueChange]);

  return { filter, setFilter };
}
