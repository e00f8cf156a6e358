// biome-ignore-all lint/a11y/useSemanticElements: a virtualized grid positions rows absolutely, which table elements cannot do
/**
 * `ActivityTable`: the log as a virtualized grid (keyboard navigation, load-more at the end, the
 * loading, empty and error states). Its rows are in ActivityTableRow.tsx, the states in
 * ActivityTableStates.tsx, the active row in useActiveRow.ts.
 */
import type { ActivityEntrySummary } from '@activity/sdk/client';
import { useVirtualizer } from '@tanstack/react-virtual';
import {
  type ComponentProps,
  type KeyboardEvent,
  type MouseEvent,
  type PointerEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useId,
  useRef,
} from 'react';
import { TableBody, TableHead } from './ActivityTableRow.js';
import { TableEmpty, TableError, TableSkeleton } from './ActivityTableStates.js';
import { useNowMs } from './clock.js';
import { useActivityContext, useThemeAttributes } from './context.js';
import { formatExact } from './format.js';
import { cx } from './StatusBadge.js';
import { useActiveRow } from './useActiveRow.js';
import { moveIndex, shouldLoadMore } from './useLogRows.js';

/** Props of {@link ActivityTable}. */
export interface ActivityTableProps extends Omit<ComponentProps<'div'>, 'children' | 'onError'> {
  /** Loaded entries, newest first. */
  entries: readonly ActivityEntrySummary[];
  /** First page still loading: shows a skeleton. */
  loading?: boolean | undefined;
  /** Load error: shows the error state with Retry. */
  error?: Error | null | undefined;
  onRetry?: (() => void) | undefined;
  /** Another page exists. */
  hasMore?: boolean | undefined;
  loadingMore?: boolean | undefined;
  /** Called when the rendered rows come near the end. */
  onLoadMore?: (() => void) | undefined;
  /** Enter or click on a row. */
  onOpen?: ((entry: ActivityEntrySummary, index: number) => void) | undefined;
  /**
   * The pointer rested on a row, or the keyboard made it active: the moment to prefetch its full entry
   * (`ActivityLog` does). Not called for rows the pointer only passes over while scrolling.
   */
  onRowIntent?: ((entry: ActivityEntrySummary) => void) | undefined;
  /** Id of the entry shown in the drawer (marked aria-selected). */
  selectedId?: string | undefined;
  /** Controlled active (keyboard) row. */
  activeIndex?: number | undefined;
  defaultActiveIndex?: number | undefined;
  onActiveIndexChange?: ((index: number) => void) | undefined;
  /** Text naming the active filters for the empty state ("Type: Webhook, Status: Failed"). */
  filterDescription?: string | undefined;
  /** Shows "Clear filters" in the empty state. */
  onClearFilters?: (() => void) | undefined;
  /** Buffered live entries: shown as a pill instead of shifting rows. */
  newCount?: number | undefined;
  onShowNew?: (() => void) | undefined;
  /** Row height in px (the stylesheet matches 44). @default 44 */
  rowHeight?: number | undefined;
  /** Rows rendered beyond the viewport. @default 8 */
  overscan?: number | undefined;
}

/**
 * The virtualized log table with grid semantics: arrows and j/k move, Enter opens, Home/End jump.
 * Renders only the visible rows (plus overscan), so 100k loaded entries keep the DOM small.
 */
export function ActivityTable(props: ActivityTableProps): ReactNode {
  const {
    entries,
    loading,
    error,
    onRetry,
    hasMore = false,
    loadingMore = false,
    onLoadMore,
    onOpen,
    onRowIntent,
    selectedId,
    activeIndex: activeProp,
    defaultActiveIndex = -1,
    onActiveIndexChange,
    filterDescription,
    onClearFilters,
    newCount = 0,
    onShowNew,
    rowHeight = 44,
    overscan = 8,
    className,
    ...rest
  } = props;
  const { strings, labels, locale, timeZone } = useActivityContext();
  const themed = useThemeAttributes();
  const now = useNowMs();
  const scrollRef = useRef<HTMLDivElement>(null);
  const idBase = useId();
  const { active, setActive, intent } = useActiveRow({
    entries,
    activeIndex: activeProp,
    defaultActiveIndex,
    onActiveIndexChange,
    onRowIntent,
  });
  const count = entries.length + (hasMore ? 1 : 0);
  // Stable callbacks: the virtualizer recomputes the positions of all `count` items whenever one changes.
  const getScrollElement = useCallback(() => scrollRef.current, []);
  const estimateSize = useCallback(() => rowHeight, [rowHeight]);
  // Rows have a fixed height (set by the stylesheet), so they are never measured, and the virtualizer's
  // default keys (the index) serve: keying by entry id would build 100k keys on every mount and page load,
  // for nothing (rows are not focusable, and a row whose entry changes re-renders either way).
  const virtualizer = useVirtualizer({ count, getScrollElement, estimateSize, overscan });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index;
  useEffect(() => {
    if (shouldLoadMore(lastIndex, entries.length, hasMore, loadingMore)) onLoadMore?.();
  }, [lastIndex, entries.length, hasMore, loadingMore, onLoadMore]);

  const state = error ? 'error' : loading ? 'loading' : entries.length === 0 ? 'empty' : 'ready';
  const rowId = (i: number) => `${idBase}-row-${i}`;
  // One click handler for the body instead of a fresh closure per row, which would defeat Row's memo.
  const onBodyClick = (event: MouseEvent<HTMLDivElement>) => {
    const row = event.target instanceof Element ? event.target.closest<HTMLElement>('[data-index]') : null;
    const index = Number(row?.dataset.index);
    const entry = entries[index];
    if (!entry) return;
    setActive(index);
    onOpen?.(entry, index);
  };
  // Tooltips are made when the pointer reaches a cell, not as attributes on every row scrolled past:
  // the exact time for the time, the full text for a cut actor or event.
  const onBodyPointerOver = (event: PointerEvent<HTMLDivElement>) => {
    const target = event.target instanceof Element ? event.target : null;
    if (onRowIntent)
      intent.point(entries[Number(target?.closest<HTMLElement>('[data-index]')?.dataset.index)]?.id);
    const time = target?.closest('time');
    if (time) time.title = formatExact(time.dateTime, { locale, timeZone });
    const cut = target?.closest<HTMLElement>('.activity-cell-event, .activity-cell-actor');
    if (cut) cut.title = cut.scrollWidth > cut.clientWidth ? (cut.textContent ?? '') : '';
  };
  const activeEntry = active >= 0 ? entries[active] : undefined;

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === 'Enter' || event.key === ' ') {
      if (activeEntry) {
        event.preventDefault();
        onOpen?.(activeEntry, active);
      }
      return;
    }
    const next = moveIndex(event.key, active, entries.length, Math.max(1, items.length - 2));
    if (next === undefined) return;
    event.preventDefault();
    setActive(next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  return (
    <div
      data-theme={themed['data-theme']}
      {...rest}
      className={cx(themed.className, 'activity-table', className)}
      data-state={state}
    >
      {newCount > 0 && (
        <button type="button" className="activity-new-pill" onClick={onShowNew}>
          {strings.newEntries(newCount)}
        </button>
      )}
      <div
        ref={scrollRef}
        role="grid"
        aria-label={strings.tableLabel}
        aria-rowcount={state === 'ready' ? (hasMore ? -1 : entries.length + 1) : 1}
        aria-busy={loading || loadingMore ? true : undefined}
        aria-activedescendant={activeEntry ? rowId(active) : undefined}
        tabIndex={0}
        className="activity-table-scroll"
        onKeyDown={onKeyDown}
        onFocus={() => {
          if (active < 0 && entries.length > 0) setActive(0);
        }}
      >
        <TableHead strings={strings} />
        {state === 'ready' && (
          <TableBody
            items={items}
            totalSize={virtualizer.getTotalSize()}
            entries={entries}
            rowId={rowId}
            active={active}
            selectedId={selectedId}
            now={now}
            locale={locale}
            strings={strings}
            labels={labels}
            onClick={onBodyClick}
            onPointerOver={onBodyPointerOver}
            onPointerLeave={() => intent.cancel()}
          />
        )}
      </div>
      {state === 'loading' && <TableSkeleton strings={strings} />}
      {state === 'empty' && (
        <TableEmpty strings={strings} filterDescription={filterDescription} onClearFilters={onClearFilters} />
      )}
      {state === 'error' && <TableError strings={strings} error={error} onRetry={onRetry} />}
    </div>
  );
}
