// biome-ignore-all lint/a11y/useSemanticElements: a virtualized grid positions rows absolutely, which table elements cannot do
// biome-ignore-all lint/a11y/useFocusableInteractive: focus stays on the grid; rows are reached with aria-activedescendant
// biome-ignore-all lint/a11y/noNoninteractiveElementToInteractiveRole: a row's <time> is its grid cell itself (one element less per scrolled row); gridcell is a cell role, not a widget
// biome-ignore-all lint/a11y/useKeyWithClickEvents: row clicks mirror Enter, which the grid handles for the active row
import type { ActivityEntrySummary } from '@activity/sdk/client';
import { useVirtualizer } from '@tanstack/react-virtual';
import {
  type ComponentProps,
  type KeyboardEvent,
  type MouseEvent,
  memo,
  type PointerEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react';
import { useNowMs } from './clock.js';
import { useActivityContext, useThemeAttributes } from './context.js';
import type { DateLocale as Locale } from './dateLocale.js';
import { actorLabel, eventLabel, formatExact, formatRelative, formatRelativeCompact } from './format.js';
import { createRowIntent } from './rowIntent.js';
import { cx } from './StatusBadge.js';
import type { ActivityStrings } from './strings.js';
import type { ActivityLabels } from './types.js';
import { moveIndex, progressPercent, shouldLoadMore } from './useLogRows.js';

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

const COLUMNS = ['time', 'type', 'actor', 'event', 'status'] as const;

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
  const [activeInternal, setActiveInternal] = useState(defaultActiveIndex);
  const active = activeProp ?? activeInternal;
  const entriesRef = useRef(entries);
  entriesRef.current = entries;
  const intentRef = useRef(onRowIntent);
  intentRef.current = onRowIntent;
  const [intent] = useState(() =>
    createRowIntent((id) => {
      const entry = entriesRef.current.find((e) => e.id === id);
      if (entry) intentRef.current?.(entry);
    }),
  );
  useEffect(() => () => intent.cancel(), [intent]);
  const setActive = (i: number) => {
    if (activeProp === undefined) setActiveInternal(i);
    onActiveIndexChange?.(i);
    intent.point(entries[i]?.id);
  };
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
        <div role="rowgroup" className="activity-table-head">
          <div role="row" aria-rowindex={1} className="activity-row activity-row-head">
            {COLUMNS.map((c) => (
              <div key={c} role="columnheader" className={`activity-cell activity-cell-${c}`}>
                {strings.columns[c]}
              </div>
            ))}
          </div>
        </div>
        {state === 'ready' && (
          <div
            role="rowgroup"
            className="activity-table-body"
            style={{ height: virtualizer.getTotalSize() }}
            onClick={onBodyClick}
            onPointerOver={onBodyPointerOver}
            onPointerLeave={() => intent.cancel()}
          >
            {items.map((item) => {
              const entry = entries[item.index];
              if (!entry) {
                return (
                  <div
                    key={item.key}
                    role="row"
                    aria-rowindex={item.index + 2}
                    className="activity-row activity-row-loader"
                    style={{ height: item.size, transform: `translateY(${item.start}px)` }}
                  >
                    <div role="gridcell" className="activity-cell activity-muted">
                      {strings.loadingMore}
                    </div>
                  </div>
                );
              }
              return (
                <Row
                  key={item.key}
                  id={rowId(item.index)}
                  index={item.index}
                  start={item.start}
                  size={item.size}
                  entry={entry}
                  active={item.index === active}
                  selected={entry.id === selectedId}
                  now={now}
                  locale={locale}
                  strings={strings}
                  labels={labels}
                />
              );
            })}
          </div>
        )}
      </div>
      {state === 'loading' && (
        <div className="activity-table-state" role="status">
          <span className="activity-visually-hidden">{strings.loading}</span>
          {Array.from({ length: 8 }, (_, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
            <div key={i} className="activity-skeleton-row" aria-hidden="true">
              {COLUMNS.map((c) => (
                <span key={c} className={`activity-skeleton activity-cell-${c}`} />
              ))}
            </div>
          ))}
        </div>
      )}
      {state === 'empty' && (
        <div className="activity-table-state activity-empty" role="status">
          <p className="activity-empty-title">{strings.emptyTitle}</p>
          <p className="activity-muted">
            {filterDescription ? strings.emptyWithFilters(filterDescription) : strings.emptyNoFilters}
          </p>
          {filterDescription && onClearFilters && (
            <button type="button" className="activity-button" onClick={onClearFilters}>
              {strings.clearFilters}
            </button>
          )}
        </div>
      )}
      {state === 'error' && (
        <div className="activity-table-state activity-error-state" role="alert">
          <p className="activity-empty-title">{strings.errorTitle}</p>
          <p className="activity-muted">{error?.message}</p>
          {onRetry && (
            <button type="button" className="activity-button" onClick={onRetry}>
              {strings.retryLoad}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

interface RowProps {
  id: string;
  index: number;
  start: number;
  size: number;
  entry: ActivityEntrySummary;
  active: boolean;
  selected: boolean;
  /** The shared clock in ms: a number, so an unchanged tick keeps the row memoised. */
  now: number;
  locale: Locale | undefined;
  strings: ActivityStrings;
  labels: ActivityLabels;
}

function statusSlug(status: ActivityEntrySummary['status']): string {
  return status.toLowerCase().replace('_', '-');
}

/**
 * One row: seven elements, near a bare list's six. Scrolling creates a whole window of rows per frame, so
 * each element a row saves is style, layout and commit work saved on every frame: each cell is its own
 * content (the type and status pills are the cells; the status icon is the pill's background image).
 * Every prop is a primitive or a stable object, so scrolling re-renders only the rows that come into view
 * (and the two whose active state changes), not the whole window.
 */
const Row = memo(function Row({
  id,
  index,
  start,
  size,
  entry,
  active,
  selected,
  now,
  locale,
  strings,
  labels,
}: RowProps): ReactNode {
  const event =
    entry.type === 'WEBHOOK' && entry.webhook ? entry.webhook.eventType : eventLabel(entry, labels);
  const actor = actorLabel(entry);
  return (
    <div
      id={id}
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-state={active ? 'active' : 'inactive'}
      data-index={index}
      className="activity-row"
      style={{ height: size, transform: `translateY(${start}px)` }}
    >
      {/* data-short is what narrow tables show instead ("2h"), through CSS, so the text stays whole.
          The exact time (title) is added on hover by the table. */}
      <time
        role="gridcell"
        className="activity-cell activity-cell-time activity-time"
        dateTime={entry.occurredAt}
        data-short={formatRelativeCompact(entry.occurredAt, now, locale)}
      >
        {formatRelative(entry.occurredAt, new Date(now), locale, strings.justNow)}
      </time>
      <span role="gridcell" className="activity-cell-type activity-type">
        {strings.types[entry.type]}
      </span>
      <span role="gridcell" className="activity-cell activity-cell-actor">
        <span className="activity-avatar" data-kind={entry.actor.kind} aria-hidden="true">
          {actor.charAt(0).toUpperCase()}
        </span>
        {actor}
      </span>
      <span role="gridcell" className="activity-cell activity-cell-event">
        {event}
      </span>
      {/* StatusBadge's look, its icon drawn by CSS (data-icon): an inline SVG is several nodes per row. */}
      <span
        role="gridcell"
        className="activity-cell-status activity-badge"
        data-status={statusSlug(entry.status)}
        data-icon=""
      >
        {strings.statuses[entry.status]}
        {entry.status === 'IN_PROGRESS' && <ProgressBar progress={entry.progress} strings={strings} />}
      </span>
    </div>
  );
});

/** A running job's bar, beside its status pill. */
function ProgressBar({
  progress,
  strings,
}: {
  progress: ActivityEntrySummary['progress'];
  strings: ActivityStrings;
}): ReactNode {
  const percent = progressPercent(progress);
  return (
    <span
      role="progressbar"
      className="activity-progress"
      aria-label={strings.progressLabel(progress?.processed ?? 0, progress?.total)}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
    >
      <span
        className="activity-progress-bar"
        data-indeterminate={percent === undefined ? '' : undefined}
        style={{ width: `${percent ?? 30}%` }}
      />
    </span>
  );
}
