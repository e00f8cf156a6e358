// biome-ignore-all lint/a11y/useSemanticElements: a virtualized grid positions rows absolutely, which table elements cannot do
// biome-ignore-all lint/a11y/useFocusableInteractive: focus stays on the grid; rows are reached with aria-activedescendant
// biome-ignore-all lint/a11y/useKeyWithClickEvents: row clicks mirror Enter, which the grid handles for the active row
import type { ActivityEntry } from '@activity/sdk/client';
import { useVirtualizer } from '@tanstack/react-virtual';
import {
  type ComponentProps,
  type KeyboardEvent,
  type ReactNode,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react';
import { useNow } from './clock.js';
import { useActivityContext } from './context.js';
import { actorLabel, eventLabel, formatExact, formatRelative } from './format.js';
import { cx, StatusBadge } from './StatusBadge.js';
import { moveIndex, progressPercent, shouldLoadMore } from './useLogRows.js';

/** Props of {@link ActivityTable}. */
export interface ActivityTableProps extends Omit<ComponentProps<'div'>, 'children' | 'onError'> {
  /** Loaded entries, newest first. */
  entries: readonly ActivityEntry[];
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
  onOpen?: ((entry: ActivityEntry, index: number) => void) | undefined;
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
  const { strings, locale, timeZone } = useActivityContext();
  const now = useNow();
  const scrollRef = useRef<HTMLDivElement>(null);
  const idBase = useId();
  const [activeInternal, setActiveInternal] = useState(defaultActiveIndex);
  const active = activeProp ?? activeInternal;
  const setActive = (i: number) => {
    if (activeProp === undefined) setActiveInternal(i);
    onActiveIndexChange?.(i);
  };
  const count = entries.length + (hasMore ? 1 : 0);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan,
    getItemKey: (i) => entries[i]?.id ?? `loader-${i}`,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index;
  useEffect(() => {
    if (shouldLoadMore(lastIndex, entries.length, hasMore, loadingMore)) onLoadMore?.();
  }, [lastIndex, entries.length, hasMore, loadingMore, onLoadMore]);

  const state = error ? 'error' : loading ? 'loading' : entries.length === 0 ? 'empty' : 'ready';
  const rowId = (i: number) => `${idBase}-row-${i}`;
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
    <div {...rest} className={cx('activity-table', className)} data-state={state}>
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
        aria-colcount={COLUMNS.length}
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
            {COLUMNS.map((c, i) => (
              <div
                key={c}
                role="columnheader"
                aria-colindex={i + 1}
                className={`activity-cell activity-cell-${c}`}
              >
                {strings.columns[c]}
              </div>
            ))}
          </div>
        </div>
        {state === 'ready' && (
          <div role="rowgroup" className="activity-table-body" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const entry = entries[item.index];
              const style = { height: item.size, transform: `translateY(${item.start}px)` };
              if (!entry) {
                return (
                  <div
                    key={item.key}
                    role="row"
                    aria-rowindex={item.index + 2}
                    className="activity-row activity-row-loader"
                    style={style}
                  >
                    <div role="gridcell" aria-colindex={1} className="activity-cell activity-muted">
                      {strings.loadingMore}
                    </div>
                  </div>
                );
              }
              const isActive = item.index === active;
              return (
                <div
                  key={item.key}
                  id={rowId(item.index)}
                  role="row"
                  aria-rowindex={item.index + 2}
                  aria-selected={entry.id === selectedId}
                  data-state={isActive ? 'active' : 'inactive'}
                  data-status={entry.status.toLowerCase()}
                  data-index={item.index}
                  className="activity-row"
                  style={style}
                  onClick={() => {
                    setActive(item.index);
                    onOpen?.(entry, item.index);
                  }}
                >
                  <Row entry={entry} now={now} locale={locale} timeZone={timeZone} />
                </div>
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

function Row({
  entry,
  now,
  locale,
  timeZone,
}: {
  entry: ActivityEntry;
  now: Date;
  locale: ActivityTableContextLocale;
  timeZone: string | undefined;
}): ReactNode {
  const { strings, labels } = useActivityContext();
  const percent = progressPercent(entry.progress);
  const event =
    entry.type === 'WEBHOOK' && entry.webhook ? entry.webhook.eventType : eventLabel(entry, labels);
  return (
    <>
      <div role="gridcell" aria-colindex={1} className="activity-cell activity-cell-time">
        <time dateTime={entry.occurredAt} title={formatExact(entry.occurredAt, { locale, timeZone })}>
          {formatRelative(entry.occurredAt, now, locale)}
        </time>
      </div>
      <div role="gridcell" aria-colindex={2} className="activity-cell activity-cell-type">
        <span className="activity-type" data-type={entry.type.toLowerCase()}>
          {strings.types[entry.type]}
        </span>
      </div>
      <div role="gridcell" aria-colindex={3} className="activity-cell activity-cell-actor">
        <span className="activity-avatar" data-kind={entry.actor.kind} aria-hidden="true">
          {actorLabel(entry).charAt(0).toUpperCase()}
        </span>
        <span className="activity-truncate">{actorLabel(entry)}</span>
      </div>
      <div role="gridcell" aria-colindex={4} className="activity-cell activity-cell-event">
        <span className="activity-truncate" title={event}>
          {event}
        </span>
      </div>
      <div role="gridcell" aria-colindex={5} className="activity-cell activity-cell-status">
        <StatusBadge status={entry.status} />
        {entry.status === 'IN_PROGRESS' && (
          <span
            role="progressbar"
            className="activity-progress"
            aria-label={strings.progressLabel(entry.progress?.processed ?? 0, entry.progress?.total)}
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
        )}
      </div>
    </>
  );
}

type ActivityTableContextLocale = ReturnType<typeof useActivityContext>['locale'];
