import type { ActivityFilter } from '@activity/sdk/client';
import { type ComponentProps, type ReactNode, useId } from 'react';
import { useActivityContext, useThemeAttributes, useViewerCan } from './context.js';
import { formatBytes, isForbiddenError } from './format.js';
import { Icons } from './icons.js';
import { cx } from './StatusBadge.js';
import type { ActivityStrings } from './strings.js';
import { type UseExportOptions, useExport } from './useExport.js';

/** Props of {@link ExportButton}. */
export interface ExportButtonProps extends Omit<ComponentProps<'button'>, 'onClick'>, UseExportOptions {
  /** The filter to export (the page's current filter). */
  filter: ActivityFilter;
  /**
   * Without the viewer's `export` permission (see `ActivityProvider`'s `permissions`): show the button
   * disabled with the reason as its tooltip, or hide it. @default 'disable'
   */
  whenForbidden?: 'disable' | 'hide' | undefined;
}

/** The message for a failed export: a 403 says which permission is missing instead of a bare status. */
export function exportErrorMessage(error: Error, strings: ActivityStrings): string {
  if (isForbiddenError(error)) return strings.exportForbidden;
  return `${strings.exportFailed}: ${error.message}`;
}

/** "Export CSV": streams a download with progress, or tells the user the link will be emailed. */
export function ExportButton({
  filter,
  onFile,
  whenForbidden = 'disable',
  className,
  children,
  ...rest
}: ExportButtonProps): ReactNode {
  const { strings } = useActivityContext();
  const themed = useThemeAttributes();
  const allowed = useViewerCan('export');
  const { state, start } = useExport(filter, { onFile });
  const reasonId = useId();
  if (!allowed && whenForbidden === 'hide') return null;
  const busy = state.status === 'streaming';
  return (
    <div
      className={cx(themed.className, 'activity-export', className)}
      data-theme={themed['data-theme']}
      data-state={allowed ? state.status : 'forbidden'}
    >
      <button
        type="button"
        className="activity-button"
        // aria-disabled rather than disabled: the button stays focusable, so its reason can be read.
        disabled={allowed ? busy : undefined}
        aria-disabled={allowed ? undefined : true}
        aria-describedby={allowed ? undefined : reasonId}
        title={allowed ? undefined : strings.exportNotAllowed}
        {...rest}
        onClick={() => {
          if (allowed) void start();
        }}
      >
        <Icons.download />
        {children ?? strings.exportCsv}
      </button>
      {!allowed && (
        <span id={reasonId} className="activity-visually-hidden">
          {strings.exportNotAllowed}
        </span>
      )}
      <span className="activity-export-status" role="status">
        {state.status === 'streaming' && strings.exporting(state.rows, formatBytes(state.bytes))}
        {state.status === 'done' && strings.exportDone(state.rows)}
        {state.status === 'async' && strings.exportAsync}
      </span>
      {state.status === 'error' && (
        <span className="activity-export-status activity-error-text" role="alert">
          {exportErrorMessage(state.error, strings)}
        </span>
      )}
    </div>
  );
}
