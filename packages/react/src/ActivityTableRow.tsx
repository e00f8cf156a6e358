// biome-ignore-all lint/a11y/useSemanticElements: a virtualized grid positions rows absolutely, which table elements cannot do
// biome-ignore-all lint/a11y/useFocusableInteractive: focus stays on the grid; rows are reached with aria-activedescendant
// biome-ignore-all lint/a11y/noNoninteractiveElementToInteractiveRole: a row's <time> is its grid cell itself (one element less per scrolled row); gridcell is a cell role, not a widget
// biome-ignore-all lint/a11y/useKeyWithClickEvents: row clicks mirror Enter, which the grid handles for the active row
/**
 * The rows of {@link ActivityTable}'s grid: its columns and header row, the body of virtualized rows, one
 * entry's row (kept to as few elements as possible: a window of them is built on every scrolled frame),
 * and the "loading more" row.
 */
import type { ActivityEntrySummary } from '@activity/sdk/client';
import type { VirtualItem } from '@tanstack/react-virtual';
import { type MouseEvent, memo, type PointerEvent, type ReactNode } from 'react';
import type { DateLocale as Locale } from './dateLocale.js';
import { actorLabel, eventLabel, formatRelative, formatRelativeCompact } from './format.js';
import type { ActivityStrings } from './strings.js';
import type { ActivityLabels } from './types.js';
import { progressPercent } from './useLogRows.js';

export const COLUMNS = ['time', 'type', 'actor', 'event', 'status'] as const;

/** The header row, in its own row group. */
export function TableHead({ strings }: { strings: ActivityStrings }): ReactNode {
  return (
    <div role="rowgroup" className="activity-table-head">
      <div role="row" aria-rowindex={1} className="activity-row activity-row-head">
        {COLUMNS.map((c) => (
          <div key={c} role="columnheader" className={`activity-cell activity-cell-${c}`}>
            {strings.columns[c]}
          </div>
        ))}
      </div>
    </div>
  );
}

/** Props of {@link TableBody}. */
interface TableBodyProps {
  /** The virtualizer's rows in view (plus overscan). */
  items: readonly VirtualItem[];
  totalSize: number;
  entries: readonly ActivityEntrySummary[];
  rowId: (index: number) => string;
  active: number;
  selectedId: string | undefined;
  now: number;
  locale: Locale | undefined;
  strings: ActivityStrings;
  labels: ActivityLabels;
  onClick: (event: MouseEvent<HTMLDivElement>) => void;
  onPointerOver: (event: PointerEvent<HTMLDivElement>) => void;
  onPointerLeave: () => void;
}

/** The row group of entry rows, as tall as all rows together, each row placed at its offset. */
export function TableBody(props: TableBodyProps): ReactNode {
  const { items, entries, rowId, active, selectedId, now, locale, strings, labels } = props;
  return (
    <div
      role="rowgroup"
      className="activity-table-body"
      style={{ height: props.totalSize }}
      onClick={props.onClick}
      onPointerOver={props.onPointerOver}
      onPointerLeave={props.onPointerLeave}
    >
      {items.map((item) => {
        const entry = entries[item.index];
        if (!entry) {
          return (
            <LoaderRow
              key={item.key}
              index={item.index}
              start={item.start}
              size={item.size}
              strings={strings}
            />
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
  );
}

/** The row after the last loaded entry while another page exists. */
export function LoaderRow({
  index,
  start,
  size,
  strings,
}: {
  index: number;
  start: number;
  size: number;
  strings: ActivityStrings;
}): ReactNode {
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className="activity-row activity-row-loader"
      style={{ height: size, transform: `translateY(${start}px)` }}
    >
      <div role="gridcell" className="activity-cell activity-muted">
        {strings.loadingMore}
      </div>
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
export const Row = memo(function Row({
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
