/** The Activity page: the embedded `<ActivityLog/>`, the way the README shows it. */
import { ActivityLog } from '@activity/react';
import type { ReactNode } from 'react';
import { entityHref, useSession } from '../api';

/** Activity in the sidebar. */
export function ActivityPage(): ReactNode {
  const session = useSession();
  const permissions = session.data?.member.permissions ?? [];
  return <ActivityLog entityHref={entityHref} canRetry={permissions.includes('retry')} />;
}
