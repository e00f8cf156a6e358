import type { ActivityFilter } from '@activity/sdk/client';
import type { ComponentProps, ReactNode } from 'react';
import { useActivityContext } from './context.js';
import { formatBytes } from './format.js';
import { Icons } from './icons.js';
import { cx } from './StatusBadge.js';
import { type UseExportOptions, useExport } from './useExport.js';

/** Props of {@link ExportButton}. */
export interface ExportButtonProps extends Omit<ComponentProps<'button'>, 'onClick'>, UseExportOptions {
  /** The filter to export (the page's current filter). */
  filter: ActivityFilter;
}

/** "Export CSV": streams a download with progress, or tells the user the link will be emailed. */
export function ExportButton({ filter, onFile, className, children, ...rest }: ExportButtonProps): ReactNode {
  const { strings } = useActivityContext();
  const { state, start } = useExport(filter, { onFile });
  const busy = state.status === 'streaming';
  return (
    <div className={cx('activity-export', className)} data-state={state.status}>
      <button
        type="button"
        className="activity-button"
        disabled={busy}
        {...rest}
        onClick={() => void start()}
      >
        <Icons.download />
        {children ?? strings.exportCsv}
      </button>
      <span className="activity-export-status" role="status">
        {state.status === 'streaming' && strings.exporting(state.rows, formatBytes(state.bytes))}
        {state.status === 'done' && strings.exportDone(state.rows)}
        {state.status === 'async' && strings.exportAsync}
        {state.status === 'error' && `${strings.exportFailed}: ${state.error.message}`}
      </span>
    </div>
  );
}
