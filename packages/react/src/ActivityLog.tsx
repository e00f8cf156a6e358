import type { ActivityEntry, ActivityFilter, ViewerPermission } from '@activity/sdk/client';
import { type ReactNode, useCallback, useMemo, useState } from 'react';
import { ActivityTable } from './ActivityTable.js';
import { ActivityScope, ThemedSurface, useActivityContext } from './context.js';
import { DetailDrawer } from './DetailDrawer.js';
import type { DateLocale as Locale } from './dateLocale.js';
import { ExportButton } from './ExportButton.js';
import { FilterBar } from './FilterBar.js';
import { clearFilter, filterChips, narrowToBucket } from './filterState.js';
import { Histogram } from './Histogram.js';
import { useActivityHistogram, useActivityList, usePrefetchEntry } from './hooks.js';
import { cx } from './StatusBadge.js';
import type { ActivityStrings, DeepPartial } from './strings.js';
import type { EntityHref } from './types.js';
import { useFilterState } from './useFilterState.js';
import { useLiveTail } from './useLiveTail.js';
import { VerifyRange } from './VerifyRange.js';

/** Props of {@link ActivityLog}. */
export interface ActivityLogProps {
  /** Link to an entity's record in the host app (only http(s) and relative URLs are rendered). */
  entityHref?: EntityHref | undefined;
  /** Whether the viewer may retry entries; the server checks again. @default true */
  canRetry?: boolean | ((entry: ActivityEntry) => boolean) | undefined;
  /** Offer Retry on retryable entries that succeeded too, not only on FAILED and WARNING ones. @default false */
  retrySucceeded?: boolean | undefined;
  /**
   * The viewer's permissions: without `retry` Retry is hidden, without `export` Export CSV is disabled
   * with the reason. @default the provider's; every action offered when neither says
   */
  permissions?: readonly ViewerPermission[] | undefined;
  /** Initial filter when the URL names none. @default {} (last 24 hours) */
  defaultFilter?: ActivityFilter | undefined;
  /** Controlled filter. */
  filter?: ActivityFilter | undefined;
  onFilterChange?: ((filter: ActivityFilter) => void) | undefined;
  /** Mirror the filter to the URL query string. @default true */
  syncUrl?: boolean | undefined;
  /** Subscribe to new entries (the "N new entries" pill and live job progress). @default true */
  live?: boolean | undefined;
  /** Show the histogram above the table. @default true */
  histogram?: boolean | undefined;
  /** Entries per request. @default 50 */
  pageSize?: number | undefined;
  className?: string | undefined;
  strings?: DeepPartial<ActivityStrings> | undefined;
  locale?: Locale | undefined;
  timeZone?: string | undefined;
}

/**
 * The ready-made Activity Logs page: title, filter bar, Export CSV, live indicator, histogram, table and
 * detail drawer. Needs an {@link ActivityProvider} above it.
 */
export function ActivityLog(props: ActivityLogProps): ReactNode {
  return (
    <ActivityScope
      strings={props.strings}
      locale={props.locale}
      timeZone={props.timeZone}
      permissions={props.permissions}
    >
      <ActivityLogPage {...props} />
    </ActivityScope>
  );
}

function ActivityLogPage({
  entityHref,
  canRetry,
  retrySucceeded,
  defaultFilter,
  filter: controlled,
  onFilterChange,
  syncUrl = true,
  live: liveDefault = true,
  histogram = true,
  pageSize = 50,
  className,
}: ActivityLogProps): ReactNode {
  const { strings, labels, locale, timeZone, theme } = useActivityContext();
  const { filter, setFilter } = useFilterState({
    syncToUrl: syncUrl,
    value: controlled,
    defaultValue: defaultFilter,
    onValueChange: onFilterChange,
  });
  const list = useActivityList(filter, { pageSize });
  const buckets = useActivityHistogram(filter, { enabled: histogram });
  const [live, setLive] = useState(liveDefault);
  const tail = useLiveTail(filter, { enabled: live, onEntry: list.patchEntry });
  const [selectedId, setSelectedId] = useState<string | undefined>();
  const [activeIndex, setActiveIndex] = useState(-1);
  const selected = useMemo(() => list.entries.find((e) => e.id === selectedId), [list.entries, selectedId]);
  const chips = filterChips(filter, { strings, labels, locale, timeZone });
  const description = chips.length ? chips.map((c) => c.label).join(', ') : undefined;
  const { fetchNextPage, refetch } = list;
  const prefetch = usePrefetchEntry();
  const prefetchRow = useCallback((entry: { id: string }) => prefetch(entry.id), [prefetch]);
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);
  const showNew = () => {
    list.prependEntries(tail.flush());
    setActiveIndex(0);
  };
  return (
    <div className={cx('activity-theme activity-log', className)} data-theme={theme}>
      <ThemedSurface>
        <header className="activity-header">
          <div>
            <h2 className="activity-title">{strings.title}</h2>
            <p className="activity-subtitle">{strings.subtitle}</p>
          </div>
          <div className="activity-header-actions">
            <button
              type="button"
              className="activity-live"
              aria-pressed={live}
              data-state={!live ? 'paused' : tail.status === 'error' ? 'error' : 'live'}
              onClick={() => setLive((v) => !v)}
            >
              <span className="activity-live-dot" aria-hidden="true" />
              {!live ? strings.paused : tail.status === 'error' ? strings.liveError : strings.live}
            </button>
            <ExportButton filter={filter} />
            <VerifyRange filter={filter} />
          </div>
        </header>
        <FilterBar.Root value={filter} onValueChange={setFilter} className="activity-toolbar">
          <div className="activity-toolbar-row">
            <FilterBar.Search />
            <FilterBar.Type />
            <FilterBar.Status />
            <FilterBar.User />
            <FilterBar.Entity />
            <FilterBar.DateRange />
          </div>
          <div className="activity-toolbar-row activity-toolbar-chips">
            <FilterBar.Chips />
            <FilterBar.Clear />
          </div>
        </FilterBar.Root>
        {histogram && buckets.data && (
          <Histogram
            buckets={buckets.data.buckets}
            bucketMs={buckets.data.bucketMs}
            from={buckets.data.from}
            to={buckets.data.to}
            selected={filter.from || filter.to ? { from: filter.from, to: filter.to } : undefined}
            loading={buckets.isFetching}
            onSelectBucket={(bucket, width) => setFilter(narrowToBucket(filter, bucket.start, width))}
          />
        )}
        <ActivityTable
          entries={list.entries}
          loading={list.isPending}
          error={list.isError && list.entries.length === 0 ? list.error : null}
          onRetry={() => void refetch()}
          hasMore={list.hasNextPage}
          loadingMore={list.isFetchingNextPage}
          onLoadMore={loadMore}
          onOpen={(entry) => setSelectedId(entry.id)}
          onRowIntent={prefetchRow}
          selectedId={selectedId}
          activeIndex={activeIndex}
          onActiveIndexChange={setActiveIndex}
          filterDescription={description}
          onClearFilters={() => setFilter(clearFilter(filter))}
          newCount={tail.count}
          onShowNew={showNew}
        />
        <DetailDrawer
          entryId={selectedId}
          onEntryIdChange={setSelectedId}
          placeholder={selected}
          entityHref={entityHref}
          canRetry={canRetry}
          retrySucceeded={retrySucceeded}
        />
      </ThemedSurface>
    </div>
  );
}
