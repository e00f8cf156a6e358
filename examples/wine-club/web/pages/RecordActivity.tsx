/** "Recent activity" on a record page: the last entries about this entity, linking to the full log. */
import {
  actionLabel,
  formatRelative,
  StatusBadge,
  useActivityContext,
  useActivityList,
} from '@activity/react';
import { serializeFilter } from '@activity/sdk/client';
import type { ReactNode } from 'react';
import { Link } from '../router';

/** Props: the entity whose history to show. */
export interface RecordActivityProps {
  entityType: string;
  entityId: string;
}

/** The entity's ten latest entries of the last two years. */
export function RecordActivity({ entityType, entityId }: RecordActivityProps): ReactNode {
  const { labels } = useActivityContext();
  const filter = { entityTypes: [entityType], entityId, range: 'all' as const };
  const list = useActivityList(filter, { pageSize: 10 });
  const now = new Date();
  const href = `/activity?${serializeFilter(filter).toString()}`;
  return (
    <section className="card">
      <div className="card-head">
        <h2>Recent activity</h2>
        <Link href={href}>View all in Activity →</Link>
      </div>
      {list.isLoading ? <p className="muted">Loading…</p> : null}
      {!list.isLoading && list.entries.length === 0 ? (
        <p className="muted">Nothing recorded for this record yet.</p>
      ) : null}
      <ul className="timeline activity-theme" data-theme="light">
        {list.entries.slice(0, 10).map((entry) => (
          <li key={entry.id}>
            <StatusBadge status={entry.status} />
            <div>
              <div className="timeline-title">{actionLabel(entry, labels)}</div>
              <div className="muted small">
                {entry.actor.name ?? entry.actor.id} ·{' '}
                <time dateTime={entry.occurredAt} title={new Date(entry.occurredAt).toLocaleString('en-US')}>
                  {formatRelative(entry.occurredAt, now)}
                </time>
                {entry.summary ? ` · ${entry.summary}` : ''}
              </div>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
