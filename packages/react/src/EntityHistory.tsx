import type { ActivityEntry, ActivityFilter, EntityRef } from '@activity/sdk/client';
import { useQuery } from '@tanstack/react-query';
import { type ComponentProps, type ReactNode, useCallback, useId, useMemo } from 'react';
import { useNowMs } from './clock.js';
import { useActivityContext, useThemeAttributes } from './context.js';
import { entityFilter, inlineChanges } from './entityHistoryRows.js';
import { actionLabel, actorLabel, formatExact, formatRelative } from './format.js';
import { activityKeys, filterKey } from './hooks.js';
import { cx, StatusBadge } from './StatusBadge.js';
import { safeHref } from './safeHref.js';
import { useLiveTail } from './useLiveTail.js';

/** Props of {@link EntityHistory}. */
export interface EntityHistoryProps extends Omit<ComponentProps<'section'>, 'children' | 'title'> {
  /** The record whose history to show: its entity type and id, as recorded. */
  entity: Pick<EntityRef, 'type' | 'id'>;
  /** Entries shown, newest first. @default 10 */
  limit?: number | undefined;
  /** Follow new entries about the record as they are recorded. @default true */
  live?: boolean | undefined;
  /** Heading. @default strings.historyTitle ("Recent activity") */
  title?: ReactNode | undefined;
  /**
   * The "View all in Activity" link: a URL, or a function of the record's filter. Only http(s) and
   * relative URLs are rendered; no link when neither this nor the provider's `activityHref` gives one.
   * @default the provider's `activityHref`
   */
  viewAllHref?: string | ((filter: ActivityFilter) => string | undefined) | undefined;
}

/**
 * The history of one record, for the host's own record pages: newest first, who did what, the changed
 * fields inline, the jobs and webhooks about it, live, and a link to the full log filtered to the record.
 * @example <EntityHistory entity={{ type: 'contact', id: contact.id }} />
 */
export function EntityHistory({
  entity,
  limit = 10,
  live = true,
  title,
  viewAllHref,
  className,
  ...rest
}: EntityHistoryProps): ReactNode {
  const { client, queryClient, strings, activityHref } = useActivityContext();
  const themed = useThemeAttributes();
  const { type, id } = entity;
  const filter = useMemo(() => entityFilter({ type, id }), [type, id]);
  // Full entries: the changed fields are shown inline, and a record's history is short.
  const queryKey = useMemo(
    () => [...activityKeys.all, 'history', filterKey(filter), limit] as const,
    [filter, limit],
  );
  const history = useQuery(
    {
      queryKey,
      queryFn: () => client.list({ ...filter, limit, fields: 'full' }),
    },
    queryClient,
  );
  const onEntry = useCallback(() => {
    // The tail sends summaries; the inline changes need the full entry, so the short list is reloaded.
    void queryClient.invalidateQueries({ queryKey, exact: true });
    return true;
  }, [queryClient, queryKey]);
  useLiveTail(filter, { enabled: live, onEntry });
  const href = safeHref(
    typeof viewAllHref === 'function' ? viewAllHref(filter) : (viewAllHref ?? activityHref?.(filter)),
  );
  const entries = history.data?.entries ?? [];
  const headingId = useId();
  return (
    <section
      aria-labelledby={headingId}
      data-theme={themed['data-theme']}
      {...rest}
      className={cx(themed.className, 'activity-history', className)}
      data-state={
        history.isPending ? 'loading' : history.isError ? 'error' : entries.length ? 'ready' : 'empty'
      }
    >
      <div className="activity-history-head">
        <h2 id={headingId} className="activity-history-title">
          {title ?? strings.historyTitle}
        </h2>
        {href && (
          <a className="activity-link" href={href}>
            {strings.historyViewAll}
          </a>
        )}
      </div>
      {history.isPending && (
        <p className="activity-muted" role="status">
          {strings.loading}
        </p>
      )}
      {history.isError && (
        <p className="activity-muted" role="alert">
          {history.error.message}
        </p>
      )}
      {history.isSuccess && entries.length === 0 && <p className="activity-muted">{strings.historyEmpty}</p>}
      {entries.length > 0 && (
        <ol className="activity-history-list">
          {entries.map((entry) => (
            <HistoryItem key={entry.id} entry={entry} />
          ))}
        </ol>
      )}
    </section>
  );
}

function HistoryItem({ entry }: { entry: ActivityEntry }): ReactNode {
  const { strings, labels, locale, timeZone } = useActivityContext();
  const now = useNowMs();
  const { shown, more } = inlineChanges(entry.changes);
  const what =
    entry.type === 'WEBHOOK' && entry.webhook ? entry.webhook.eventType : actionLabel(entry, labels);
  return (
    <li className="activity-history-item" data-type={entry.type.toLowerCase().replace('_', '-')}>
      <StatusBadge status={entry.status} />
      <div className="activity-history-body">
        <p className="activity-history-line">
          <span className="activity-history-actor">{actorLabel(entry)}</span>{' '}
          <span className="activity-history-action">{what}</span>
          {entry.type !== 'USER_ACTION' && <span className="activity-type">{strings.types[entry.type]}</span>}
        </p>
        {entry.summary && <p className="activity-muted activity-history-summary">{entry.summary}</p>}
        {shown.length > 0 && (
          <ul className="activity-history-changes" aria-label={strings.historyChangedFields}>
            {shown.map((c) => (
              <li key={c.path} data-kind={c.kind}>
                <code>{c.path}</code>{' '}
                {c.redacted ? (
                  <span className="activity-muted">{strings.changedHidden}</span>
                ) : c.kind === 'added' ? (
                  <span>
                    {strings.added} <ins>{c.after}</ins>
                  </span>
                ) : c.kind === 'removed' ? (
                  <span>
                    {strings.removed} <del>{c.before}</del>
                  </span>
                ) : (
                  <span>
                    <del>{c.before}</del> → <ins>{c.after}</ins>
                  </span>
                )}
              </li>
            ))}
            {more > 0 && <li className="activity-muted">{strings.historyMoreChanges(more)}</li>}
          </ul>
        )}
        <time
          className="activity-muted activity-history-time"
          dateTime={entry.occurredAt}
          title={formatExact(entry.occurredAt, { locale, timeZone })}
        >
          {formatRelative(entry.occurredAt, new Date(now), locale, strings.justNow)}
        </time>
      </div>
    </li>
  );
}
