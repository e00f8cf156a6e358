import type { ActivityStatus } from '@activity/sdk/client';
import type { ComponentProps, ReactNode } from 'react';
import { useActivityStrings } from './context.js';
import { StatusIcon } from './icons.js';

/** Props of {@link StatusBadge}. */
export interface StatusBadgeProps extends ComponentProps<'span'> {
  status: ActivityStatus;
}

/** A status as icon + text + colour (never colour alone). */
export function StatusBadge({ status, className, ...rest }: StatusBadgeProps): ReactNode {
  const strings = useActivityStrings();
  return (
    <span
      {...rest}
      className={cx('activity-badge', className)}
      data-status={status.toLowerCase().replace('_', '-')}
    >
      <StatusIcon status={status} />
      <span>{strings.statuses[status]}</span>
    </span>
  );
}

/** Joins class names, skipping empty ones. */
export function cx(...names: (string | false | null | undefined)[]): string {
  return names.filter(Boolean).join(' ');
}
