/**
 * "Recent activity" on a record page: the package's `<EntityHistory/>` in the app's card. Its "View all in
 * Activity" link comes from the provider's `activityHref` (App.tsx).
 */
import { EntityHistory } from '@activity/react';
import type { ReactNode } from 'react';

/** Props: the entity whose history to show. */
export interface RecordActivityProps {
  entityType: string;
  entityId: string;
}

/** The entity's ten latest entries, live, with the changed fields inline. */
export function RecordActivity({ entityType, entityId }: RecordActivityProps): ReactNode {
  return (
    <div className="card">
      <EntityHistory entity={{ type: entityType, id: entityId }} limit={10} />
    </div>
  );
}
