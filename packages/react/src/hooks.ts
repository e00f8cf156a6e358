import type {
  ActivityEntry,
  ActivityEntrySummary,
  ActivityFilter,
  Facets,
  Histogram,
} from '@activity/sdk/client';
import { serializeFilter } from '@activity/sdk/client';
import {
  type InfiniteData,
  type UseInfiniteQueryResult,
  type UseMutationResult,
  type UseQueryResult,
  useInfiniteQuery,
  useMutation,
  useQuery,
} from '@tanstack/react-query';
import { useCallback, useMemo } from 'react';
import { useActivityContext } from './context.js';
import type { ActivityListPage } from './types.js';

/** Stable cache key text of a filter. */
export function filterKey(filter: ActivityFilter): string {
  return serializeFilter(filter).toString();
}

/** react-query keys used by the hooks, for hosts that invalidate or prefetch. */
export const activityKeys = {
  all: ['activity'] as const,
  list: (filter: ActivityFilter, pageSize: number) =>
    ['activity', 'list', filterKey(filter), pageSize] as const,
  entry: (id: string) => ['activity', 'entry', id] as const,
  facets: (filter: ActivityFilter) => ['activity', 'facets', filterKey(filter)] as const,
  histogram: (filter: ActivityFilter) => ['activity', 'histogram', filterKey(filter)] as const,
};

/** Options of {@link useActivityList}. */
export interface UseActivityListOptions {
  /** Entries per request. @default 50 */
  pageSize?: number | undefined;
  /** @default true */
  enabled?: boolean | undefined;
}

/** Result of {@link useActivityList}: the infinite query plus the flattened entries. */
export type UseActivityListResult = UseInfiniteQueryResult<
  InfiniteData<ActivityListPage, string | undefined>,
  Error
> & {
  /** Every loaded entry (summaries), newest first, without duplicates. */
  entries: ActivityEntrySummary[];
  /** Replaces a loaded entry by id (live progress of a job); returns false when it is not loaded. */
  patchEntry: (entry: ActivityEntrySummary) => boolean;
  /** Puts newer entries (from the live tail) at the top of the first page, without a request. */
  prependEntries: (entries: readonly ActivityEntrySummary[]) => void;
};

/** Entries matching a filter, newest first, loaded page by page (`fetchNextPage`). */
export function useActivityList(
  filter: ActivityFilter,
  options: UseActivityListOptions = {},
): UseActivityListResult {
  const { client, queryClient } = useActivityContext();
  const pageSize = options.pageSize ?? 50;
  const queryKey = activityKeys.list(filter, pageSize);
  const query = useInfiniteQuery<
    ActivityListPage,
    Error,
    InfiniteData<ActivityListPage, string | undefined>,
    readonly unknown[],
    string | undefined
  >(
    {
      queryKey,
      queryFn: ({ pageParam }) =>
        client.list({ ...filter, limit: pageSize, ...(pageParam ? { cursor: pageParam } : {}) }),
      initialPageParam: undefined,
      getNextPageParam: (last: ActivityListPage) => last.nextCursor ?? undefined,
      enabled: options.enabled ?? true,
    },
    queryClient,
  );
  const pages = query.data?.pages;
  const entries = useMemo(() => {
    if (!pages) return [];
    if (pages.length === 1) return pages[0]?.entries ?? [];
    // Entries can repeat across pages when new ones arrive between requests; keep the first copy.
    const seen = new Set<string>();
    const out: ActivityEntrySummary[] = [];
    for (const page of pages) {
      for (const e of page.entries) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        out.push(e);
      }
    }
    return out;
  }, [pages]);
  const keyText = JSON.stringify(queryKey);
  const patchEntry = useCallback(
    (entry: ActivityEntrySummary): boolean => {
      let found = false;
      queryClient.setQueryData<InfiniteData<ActivityListPage, string | undefined>>(
        JSON.parse(keyText),
        (data) => {
          if (!data) return data;
          return {
            ...data,
            pages: data.pages.map((page) => {
              if (!page.entries.some((e) => e.id === entry.id)) return page;
              found = true;
              return { ...page, entries: page.entries.map((e) => (e.id === entry.id ? entry : e)) };
            }),
          };
        },
      );
      // The tail sends summaries: a cached full entry is stale now, and is fetched again when shown.
      if (found) void queryClient.invalidateQueries({ queryKey: activityKeys.entry(entry.id), exact: true });
      return found;
    },
    [queryClient, keyText],
  );
  const prependEntries = useCallback(
    (fresh: readonly ActivityEntrySummary[]) => {
      if (fresh.length === 0) return;
      queryClient.setQueryData<InfiniteData<ActivityListPage, string | undefined>>(
        JSON.parse(keyText),
        (data) => {
          if (!data || data.pages.length === 0) return data;
          const ids = new Set(fresh.map((e) => e.id));
          const sorted = [...fresh].sort((a, b) =>
            a.occurredAt === b.occurredAt ? (a.id < b.id ? 1 : -1) : a.occurredAt < b.occurredAt ? 1 : -1,
          );
          const [first, ...others] = data.pages;
          if (!first) return data;
          const page = { ...first, entries: [...sorted, ...first.entries.filter((e) => !ids.has(e.id))] };
          return { ...data, pages: [page, ...others] };
        },
      );
    },
    [queryClient, keyText],
  );
  return Object.assign(query, { entries, patchEntry, prependEntries });
}

/** Options of {@link useActivityEntry}. */
export interface UseActivityEntryOptions {
  /** Re-fetch every N ms while the entry is IN_PROGRESS. @default 2000 */
  pollWhileRunningMs?: number | false | undefined;
  /** Shown until the full entry arrives (the row's summary); `isPlaceholderData` is true meanwhile. */
  placeholder?: ActivityEntrySummary | undefined;
}

/** How long a fetched entry counts as fresh: a prefetch on hover is reused when the row is opened. */
export const ENTRY_STALE_MS = 30_000;

/** One entry by id; polls while a job is IN_PROGRESS so its progress stays live. */
export function useActivityEntry(
  id: string | undefined,
  options: UseActivityEntryOptions = {},
): UseQueryResult<ActivityEntry, Error> {
  const { client, queryClient } = useActivityContext();
  const poll = options.pollWhileRunningMs ?? 2000;
  return useQuery(
    {
      queryKey: activityKeys.entry(id ?? ''),
      queryFn: () => client.get(id ?? ''),
      enabled: id !== undefined && id !== '',
      staleTime: ENTRY_STALE_MS,
      // A summary lacks only optional parts and the schema version, which the drawer does not read.
      placeholderData:
        options.placeholder && options.placeholder.id === id
          ? ({ schemaVersion: 0, ...options.placeholder } as ActivityEntry)
          : undefined,
      refetchInterval: (q) => (poll && q.state.data?.status === 'IN_PROGRESS' ? poll : false),
    },
    queryClient,
  );
}

/**
 * A stable function that loads an entry into the cache ahead of need (hover or focus of a row), so the
 * drawer opens on the full entry. Repeated calls within {@link ENTRY_STALE_MS} do not fetch again.
 */
export function usePrefetchEntry(): (id: string) => void {
  const { client, queryClient } = useActivityContext();
  return useCallback(
    (id: string) =>
      void queryClient.prefetchQuery({
        queryKey: activityKeys.entry(id),
        queryFn: () => client.get(id),
        staleTime: ENTRY_STALE_MS,
      }),
    [client, queryClient],
  );
}

/** Counts by type, status, actor and entity type within a filter. */
export function useActivityFacets(
  filter: ActivityFilter,
  options: { enabled?: boolean } = {},
): UseQueryResult<Facets, Error> {
  const { client, queryClient } = useActivityContext();
  return useQuery(
    {
      queryKey: activityKeys.facets(filter),
      queryFn: () => client.facets(filter),
      enabled: options.enabled ?? true,
      placeholderData: (prev) => prev,
    },
    queryClient,
  );
}

/** Entries per time bucket within a filter; the server picks the bucket width unless `bucket` (`1h`, `1d`…) is given. */
export function useActivityHistogram(
  filter: ActivityFilter,
  options: { enabled?: boolean; bucket?: string | undefined } = {},
): UseQueryResult<Histogram, Error> {
  const { client, queryClient } = useActivityContext();
  return useQuery(
    {
      queryKey: [...activityKeys.histogram(filter), options.bucket ?? ''],
      queryFn: () => client.histogram(filter, options.bucket),
      enabled: options.enabled ?? true,
      placeholderData: (prev) => prev,
    },
    queryClient,
  );
}

/** Retries an entry; resolves with the new run's id and refreshes the lists. */
export function useRetryEntry(): UseMutationResult<{ entryId: string }, Error, string> {
  const { client, queryClient } = useActivityContext();
  return useMutation(
    {
      mutationFn: (id: string) => client.retry(id),
      onSuccess: () => queryClient.invalidateQueries({ queryKey: ['activity', 'list'] }),
    },
    queryClient,
  );
}
