/**
 * What {@link ActivityTable} shows in place of rows: the skeleton while the first page loads, the empty
 * state (naming the active filters, with "Clear filters"), and the load error with Retry.
 */
import type { ReactNode } from 'react';
import { COLUMNS } from './ActivityTableRow.js';
import type { ActivityStrings } from './strings.js';

/** Placeholder rows, with the loading text for screen readers. */
export function TableSkeleton({ strings }: { strings: ActivityStrings }): ReactNode {
  return (
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
  );
}

/** No entries: why, and a way out when filters are the reason. */
export function TableEmpty({
  strings,
  filterDescription,
  onClearFilters,
}: {
  strings: ActivityStrings;
  filterDescription: string | undefined;
  onClearFilters: (() => void) | undefined;
}): ReactNode {
  return (
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
  );
}

/** The load failed: its message, and Retry when the caller can. */
export function TableError({
  strings,
  error,
  onRetry,
}: {
  strings: ActivityStrings;
  error: Error | null | undefined;
  onRetry: (() => void) | undefined;
}): ReactNode {
  return (
    <div className="activity-table-state activity-error-state" role="alert">
      <p className="activity-empty-title">{strings.errorTitle}</p>
      <p className="activity-muted">{error?.message}</p>
      {onRetry && (
        <button type="button" className="activity-button" onClick={onRetry}>
          {strings.retryLoad}
        </button>
      )}
    </div>
  );
}
