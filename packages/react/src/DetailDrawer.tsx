import type { ActivityEntry, ActivityEntrySummary, FieldChange, WebhookMessage } from '@activity/sdk/client';
import { Dialog } from 'radix-ui';
import {
  type ComponentProps,
  type ReactNode,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { useNow } from './clock.js';
import { useActivityContext, useViewerCan } from './context.js';
import { diffRows } from './diffRows.js';
import {
  actionLabel,
  actorLabel,
  entityTypeLabel,
  eventLabel,
  formatDuration,
  formatExact,
  formatRelative,
  formatValue,
  isForbiddenError,
  prettyJson,
} from './format.js';
import { useActivityEntry, useActivityList, useRetryEntry } from './hooks.js';
import { IntegrityBadge } from './IntegrityBadge.js';
import { Icons } from './icons.js';
import { isAbandoned, type JobLease, lastSeenAlive, leaseOverdue } from './jobLiveness.js';
import { cx, StatusBadge } from './StatusBadge.js';
import { safeHref } from './safeHref.js';
import type { ActivityLabels, EntityHref } from './types.js';
import { progressPercent } from './useLogRows.js';

/** Props of {@link DetailDrawer}. */
export interface DetailDrawerProps {
  /** Entry shown (controlled); undefined closes the drawer. */
  entryId?: string | undefined;
  defaultEntryId?: string | undefined;
  /** Called with a new id (related entry, new run) or undefined on close. */
  onEntryIdChange?: ((id: string | undefined) => void) | undefined;
  /** The row's summary of the entry, shown while the full entry loads. */
  placeholder?: ActivityEntrySummary | undefined;
  /** Link to the affected record in the host app. Only http(s) and relative URLs are rendered. */
  entityHref?: EntityHref | undefined;
  /** Whether the viewer may retry; the server checks again. @default true */
  canRetry?: boolean | ((entry: ActivityEntry) => boolean) | undefined;
  /** Offer Retry on retryable entries that succeeded too (re-running a sync, resending a webhook). @default false */
  retrySucceeded?: boolean | undefined;
  className?: string | undefined;
}

/** Where Retry stands for an entry: offered, waiting for a running entry to finish, or not offered. */
export type RetryAvailability = 'offer' | 'running' | 'none';

/**
 * Whether to offer Retry: only on `retryable` entries that have finished — FAILED or WARNING, and SUCCESS
 * when `retrySucceeded` — and never while IN_PROGRESS (the server answers 409 then).
 */
export function retryAvailability(
  entry: Pick<ActivityEntry, 'retryable' | 'status'>,
  options: { allowed: boolean; retrySucceeded?: boolean | undefined },
): RetryAvailability {
  if (entry.retryable !== true || !options.allowed) return 'none';
  switch (entry.status) {
    case 'IN_PROGRESS':
      return 'running';
    case 'FAILED':
    case 'WARNING':
      return 'offer';
    case 'SUCCESS':
      return options.retrySucceeded ? 'offer' : 'none';
  }
}

/** Side sheet with everything about one entry: actor, entity link, diff, metadata, error, webhook bodies, retry. */
export function DetailDrawer(props: DetailDrawerProps): ReactNode {
  const { strings, theme, labels } = useActivityContext();
  const [internal, setInternal] = useState(props.defaultEntryId);
  const entryId = 'entryId' in props ? props.entryId : internal;
  const setEntryId = (id: string | undefined) => {
    if (!('entryId' in props)) setInternal(id);
    props.onEntryIdChange?.(id);
  };
  const query = useActivityEntry(entryId, { placeholder: props.placeholder });
  const entry = query.data;
  const open = entryId !== undefined;
  const returnFocus = useRef<HTMLElement | null>(null);
  // Layout effects run before Radix moves focus into the sheet, so this still sees the opener (the grid).
  useLayoutEffect(() => {
    if (open && !returnFocus.current && document.activeElement instanceof HTMLElement) {
      returnFocus.current = document.activeElement;
    }
  }, [open]);
  return (
    <Dialog.Root open={entryId !== undefined} onOpenChange={(open) => !open && setEntryId(undefined)}>
      <Dialog.Portal>
        <Dialog.Overlay className="activity-theme activity-overlay" data-theme={theme} />
        <Dialog.Content
          className={cx('activity-theme activity-drawer', props.className)}
          data-theme={theme}
          onCloseAutoFocus={(event) => {
            // There is no Dialog.Trigger: give focus back to whatever opened the drawer (the table).
            const target = returnFocus.current;
            returnFocus.current = null;
            if (target?.isConnected) {
              event.preventDefault();
              target.focus();
            }
          }}
        >
          <div className="activity-drawer-header">
            <Dialog.Title className="activity-drawer-title">
              {entry ? eventLabelFor(entry, labels) : strings.drawerTitle}
            </Dialog.Title>
            <Dialog.Close className="activity-icon-button" aria-label={strings.close}>
              <Icons.close />
            </Dialog.Close>
          </div>
          {entry ? (
            <EntryDetail
              key={entry.id}
              entry={entry}
              {...props}
              partial={query.isPlaceholderData}
              onOpenEntry={setEntryId}
            />
          ) : (
            <Dialog.Description className="activity-muted">
              {query.error ? query.error.message : strings.loading}
            </Dialog.Description>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function eventLabelFor(entry: ActivityEntrySummary, labels: ActivityLabels): string {
  return entry.type === 'WEBHOOK' && entry.webhook ? entry.webhook.eventType : eventLabel(entry, labels);
}

function EntryDetail({
  entry,
  entityHref,
  canRetry = true,
  retrySucceeded,
  onOpenEntry,
  partial,
}: DetailDrawerProps & {
  entry: ActivityEntry;
  /** Only the row's summary so far: the parts it lacks are announced as loading, and no action is offered. */
  partial: boolean;
  onOpenEntry: (id: string) => void;
}): ReactNode {
  const { strings, locale, timeZone } = useActivityContext();
  const now = useNow();
  const href = entry.entity && entityHref ? safeHref(entityHref(entry.entity)) : undefined;
  return (
    <div className="activity-drawer-body" data-state={partial ? 'partial' : 'full'}>
      <Dialog.Description className="activity-drawer-subtitle">
        <StatusBadge status={entry.status} />
        <span>{strings.types[entry.type]}</span>
        <span aria-hidden="true">·</span>
        <time dateTime={entry.occurredAt} title={formatExact(entry.occurredAt, { locale, timeZone })}>
          {formatRelative(entry.occurredAt, now, locale, strings.justNow)}
        </time>
      </Dialog.Description>
      {entry.summary && <p className="activity-summary">{entry.summary}</p>}
      <Facts entry={entry} href={href} onOpenEntry={onOpenEntry} />
      {partial ? (
        <p className="activity-muted activity-drawer-loading" role="status">
          {strings.loadingDetails}
        </p>
      ) : (
        <EntryParts
          entry={entry}
          canRetry={canRetry}
          retrySucceeded={retrySucceeded}
          onOpenEntry={onOpenEntry}
        />
      )}
    </div>
  );
}

/** Actor, action, entity, times and retry link of an entry. */
function Facts({
  entry,
  href,
  onOpenEntry,
}: {
  entry: ActivityEntry;
  href: string | undefined;
  onOpenEntry: (id: string) => void;
}): ReactNode {
  const { strings, labels, locale, timeZone } = useActivityContext();
  return (
    <dl className="activity-facts">
      <dt>{strings.actor}</dt>
      <dd>
        {actorLabel(entry)} <span className="activity-muted">({strings.actorKinds[entry.actor.kind]})</span>
      </dd>
      <dt>{strings.action}</dt>
      <dd>
        {actionLabel(entry, labels)}
        {actionLabel(entry, labels) !== entry.action && (
          <code className="activity-code-inline">{entry.action}</code>
        )}
      </dd>
      {entry.entity && (
        <>
          <dt>{strings.entity}</dt>
          <dd>
            <span className="activity-muted">{entityTypeLabel(entry.entity.type, labels)} </span>
            {href ? (
              <a href={href} className="activity-link">
                {entry.entity.label ?? entry.entity.id}
              </a>
            ) : (
              <span>{entry.entity.label ?? entry.entity.id}</span>
            )}
          </dd>
        </>
      )}
      <dt>{strings.occurredAt}</dt>
      <dd>{formatExact(entry.occurredAt, { locale, timeZone })}</dd>
      {entry.durationMs !== undefined && (
        <>
          <dt>{strings.duration}</dt>
          <dd>{formatDuration(entry.durationMs)}</dd>
        </>
      )}
      {entry.retryOf && (
        <>
          <dt>{strings.retryOf}</dt>
          <dd>
            <button
              type="button"
              className="activity-link-button"
              onClick={() => onOpenEntry(entry.retryOf as string)}
            >
              <code>{entry.retryOf}</code>
            </button>
          </dd>
        </>
      )}
    </dl>
  );
}

/** Progress, error, diff, webhook, metadata, related entries, id and actions: the full entry's parts. */
function EntryParts({
  entry,
  canRetry = true,
  retrySucceeded,
  onOpenEntry,
}: {
  entry: ActivityEntry;
  canRetry: DetailDrawerProps['canRetry'];
  retrySucceeded: boolean | undefined;
  onOpenEntry: (id: string) => void;
}): ReactNode {
  const { strings } = useActivityContext();
  const retriggerHref = safeHref(entry.retriggerUrl);
  const permitted = useViewerCan('retry');
  const retry = retryAvailability(entry, {
    allowed: permitted && (typeof canRetry === 'function' ? canRetry(entry) : canRetry),
    retrySucceeded,
  });
  const percent = progressPercent(entry.progress);
  return (
    <>
      {entry.status === 'IN_PROGRESS' && (
        <div className="activity-section">
          <div
            role="progressbar"
            className="activity-progress activity-progress-lg"
            aria-label={strings.progressLabel(entry.progress?.processed ?? 0, entry.progress?.total)}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
          >
            <span className="activity-progress-bar" style={{ width: `${percent ?? 30}%` }} />
          </div>
          <p className="activity-muted">
            {strings.progressLabel(entry.progress?.processed ?? 0, entry.progress?.total)}
          </p>
          <Heartbeat entry={entry} />
        </div>
      )}
      {isAbandoned(entry) ? <AbandonedNotice entry={entry} /> : entry.error && <ErrorSection entry={entry} />}
      {entry.changes && entry.changes.length > 0 && (
        <Section title={strings.changes}>
          <DiffTable changes={entry.changes} />
        </Section>
      )}
      {entry.webhook && <WebhookSection entry={entry} />}
      {entry.metadata && Object.keys(entry.metadata).length > 0 && (
        <Section title={strings.metadata}>
          <MetadataTree value={entry.metadata} />
        </Section>
      )}
      {entry.correlationId && <RelatedEntries entry={entry} onOpenEntry={onOpenEntry} />}
      <Section title={strings.entryId}>
        <div className="activity-id-row">
          <code className="activity-code-inline">{entry.id}</code>
          <CopyButton text={entry.id} label={strings.copyId} />
        </div>
        <p className="activity-muted">{strings.entryIdHint}</p>
      </Section>
      <IntegrityBadge entry={entry} />
      {(retry !== 'none' || (!entry.retryable && retriggerHref)) && (
        <div className="activity-drawer-actions">
          {retry === 'offer' && <RetryAction entry={entry} onOpenEntry={onOpenEntry} />}
          {retry === 'running' && <p className="activity-muted">{strings.retryWhenFinished}</p>}
          {!entry.retryable && retriggerHref && (
            <a className="activity-button" href={retriggerHref}>
              <Icons.external />
              {strings.retrigger}
            </a>
          )}
        </div>
      )}
    </>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }): ReactNode {
  return (
    <section className="activity-section" aria-label={title}>
      <h3 className="activity-section-title">{title}</h3>
      {children}
    </section>
  );
}

function RetryAction({
  entry,
  onOpenEntry,
}: {
  entry: ActivityEntry;
  onOpenEntry: (id: string) => void;
}): ReactNode {
  const { strings } = useActivityContext();
  const retry = useRetryEntry();
  const reasonId = useId();
  return (
    <div className="activity-retry" data-state={retry.status}>
      <button
        type="button"
        className="activity-button activity-button-primary"
        disabled={retry.isPending}
        aria-describedby={retry.isPending ? reasonId : undefined}
        title={retry.isPending ? strings.retryPending : undefined}
        onClick={() => {
          // A second click before the answer would start a second run.
          if (!retry.isPending) retry.mutate(entry.id);
        }}
      >
        <Icons.retry />
        {retry.isPending ? strings.retrying : strings.retry}
      </button>
      {retry.isPending && (
        <span id={reasonId} className="activity-visually-hidden">
          {strings.retryPending}
        </span>
      )}
      <div aria-live="polite">
        {retry.data && (
          <p className="activity-retry-result">
            {strings.retryStarted}{' '}
            <button
              type="button"
              className="activity-link-button"
              onClick={() => onOpenEntry(retry.data.entryId)}
            >
              {strings.openNewRun}
            </button>
          </p>
        )}
        {retry.error && (
          <p className="activity-error-text" role="alert">
            {isForbiddenError(retry.error)
              ? strings.retryForbidden
              : `${strings.retryFailed}: ${retry.error.message}`}
          </p>
        )}
      </div>
    </div>
  );
}

function ErrorSection({ entry }: { entry: ActivityEntry }): ReactNode {
  const { strings } = useActivityContext();
  const error = entry.error;
  if (!error) return null;
  const text = `${error.name}: ${error.message}${error.stack ? `\n${error.stack}` : ''}`;
  return (
    <Section title={strings.error}>
      <div className="activity-error-box">
        <p className="activity-error-message">
          <strong>{error.name}</strong>
          {error.code && <code className="activity-code-inline">{error.code}</code>}: {error.message}
        </p>
        {error.stack && (
          <details className="activity-stack" open>
            <summary>{strings.stackTrace}</summary>
            <pre className="activity-pre">{error.stack}</pre>
          </details>
        )}
        <CopyButton text={text} label={strings.copyStack} />
      </div>
    </Section>
  );
}

/** A run the sweeper closed because its process stopped: when it was last seen alive, in plain words. */
function AbandonedNotice({ entry }: { entry: ActivityEntry & JobLease }): ReactNode {
  const { strings, locale, timeZone } = useActivityContext();
  const now = useNow();
  const error = entry.error;
  const seen = lastSeenAlive(entry);
  const text = error ? `${error.name} [${error.code}]: ${error.message}` : strings.abandoned;
  return (
    <Section title={strings.error}>
      <div className="activity-error-box activity-abandoned" data-state="abandoned">
        <p className="activity-error-message">
          <strong>{strings.abandoned}</strong>
          {' — '}
          {seen ? (
            <time dateTime={seen}>
              {strings.lastSeenAlive(
                formatRelative(seen, now, locale, null),
                formatExact(seen, { locale, timeZone }),
              )}
            </time>
          ) : (
            strings.lastSeenAliveUnknown
          )}
        </p>
        <p className="activity-abandoned-hint">{strings.abandonedHint}</p>
        {entry.progress && (
          <p className="activity-abandoned-progress">
            {strings.progressLabel(entry.progress.processed, entry.progress.total)}
          </p>
        )}
        <div className="activity-id-row">
          {error?.code && <code className="activity-code-inline">{error.code}</code>}
          <CopyButton text={text} label={strings.copyStack} />
        </div>
      </div>
    </Section>
  );
}

/** "Last heartbeat 12 seconds ago" under a running job, on a clock that ticks every second. */
function Heartbeat({ entry }: { entry: ActivityEntry & JobLease }): ReactNode {
  const { strings, locale, timeZone } = useActivityContext();
  const now = useNow(1000);
  const seen = lastSeenAlive(entry);
  if (!seen) return null;
  const overdue = leaseOverdue(entry, now.getTime());
  return (
    <div className="activity-heartbeat" data-state={overdue ? 'overdue' : 'alive'}>
      <time dateTime={seen} title={formatExact(seen, { locale, timeZone })}>
        {strings.lastHeartbeat(formatRelative(seen, now, locale, null))}
      </time>
      {overdue && <p className="activity-heartbeat-overdue">{strings.heartbeatOverdue}</p>}
    </div>
  );
}

function Message({ title, message }: { title: string; message: WebhookMessage | undefined }): ReactNode {
  const { strings } = useActivityContext();
  if (!message) return null;
  const headers = Object.entries(message.headers ?? {});
  const body = prettyJson(message.body);
  return (
    <div className="activity-webhook-message">
      <h4 className="activity-subtitle">{title}</h4>
      {headers.length > 0 && (
        <table className="activity-kv">
          <caption className="activity-visually-hidden">
            {title} {strings.headers}
          </caption>
          <tbody>
            {headers.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {body !== '' && (
        <figure className="activity-code-block">
          <figcaption className="activity-visually-hidden">{`${title} ${strings.body}`}</figcaption>
          <pre className="activity-pre">{body}</pre>
          <CopyButton text={body} label={`${strings.copy} ${title} ${strings.body}`} />
        </figure>
      )}
    </div>
  );
}

function WebhookSection({ entry }: { entry: ActivityEntry }): ReactNode {
  const { strings } = useActivityContext();
  const w = entry.webhook;
  if (!w) return null;
  return (
    <Section title={strings.webhook}>
      <dl className="activity-facts">
        <dt>{w.direction === 'in' ? '←' : '→'}</dt>
        <dd>
          {w.provider} · <code className="activity-code-inline">{w.eventType}</code>
        </dd>
        {w.url && (
          <>
            <dt>URL</dt>
            <dd className="activity-break">{w.url}</dd>
          </>
        )}
        {w.statusCode !== undefined && (
          <>
            <dt>{strings.statusCode}</dt>
            <dd>{w.statusCode}</dd>
          </>
        )}
        {w.durationMs !== undefined && (
          <>
            <dt>{strings.duration}</dt>
            <dd>{formatDuration(w.durationMs)}</dd>
          </>
        )}
      </dl>
      <Message title={strings.request} message={w.request} />
      <Message title={strings.response} message={w.response} />
    </Section>
  );
}

function RelatedEntries({
  entry,
  onOpenEntry,
}: {
  entry: ActivityEntry;
  onOpenEntry: (id: string) => void;
}): ReactNode {
  const { strings, labels, locale, timeZone } = useActivityContext();
  const filter = useMemo(
    () => ({ correlationId: entry.correlationId, range: 'all' as const }),
    [entry.correlationId],
  );
  const related = useActivityList(filter, { pageSize: 20 });
  // Oldest first reads as a story: webhook → job → records it changed.
  const list = [...related.entries].reverse();
  if (list.length <= 1) return null;
  return (
    <Section title={strings.related}>
      <ol className="activity-timeline">
        {list.map((e) => (
          <li key={e.id} className="activity-timeline-item" data-current={e.id === entry.id ? '' : undefined}>
            <StatusBadge status={e.status} />
            {e.id === entry.id ? (
              <span aria-current="true">
                {eventLabel(e, labels)} <span className="activity-muted">({strings.thisEntry})</span>
              </span>
            ) : (
              <button type="button" className="activity-link-button" onClick={() => onOpenEntry(e.id)}>
                {eventLabel(e, labels)}
              </button>
            )}
            <time className="activity-muted" dateTime={e.occurredAt}>
              {formatExact(e.occurredAt, { locale, timeZone })}
            </time>
          </li>
        ))}
      </ol>
    </Section>
  );
}

/** Props of {@link DiffTable}. */
export interface DiffTableProps extends ComponentProps<'table'> {
  changes: readonly FieldChange[];
}

/** Before/after table of field changes: nested values expanded, added/removed marked, redacted hidden. */
export function DiffTable({ changes, className, ...rest }: DiffTableProps): ReactNode {
  const { strings } = useActivityContext();
  const rows = useMemo(() => diffRows(changes), [changes]);
  return (
    <table {...rest} className={cx('activity-diff', className)}>
      <thead>
        <tr>
          <th scope="col">{strings.field}</th>
          <th scope="col">{strings.before}</th>
          <th scope="col">{strings.after}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.path} data-kind={row.kind} data-redacted={row.redacted ? '' : undefined}>
            <th scope="row">
              <code>{row.path}</code>
              {row.kind !== 'changed' && (
                <span className="activity-diff-kind">
                  {row.kind === 'added' ? strings.added : strings.removed}
                </span>
              )}
            </th>
            {row.redacted ? (
              <td colSpan={2} className="activity-muted">
                {strings.changedHidden}
              </td>
            ) : (
              <>
                <td className="activity-diff-before">
                  {row.hasBefore ? formatValue(row.before, strings.empty) : strings.empty}
                </td>
                <td className="activity-diff-after">
                  {row.hasAfter ? formatValue(row.after, strings.empty) : strings.empty}
                </td>
              </>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Props of {@link MetadataTree}. */
export interface MetadataTreeProps extends ComponentProps<'div'> {
  value: Record<string, unknown> | unknown[];
}

/** Metadata as a collapsible tree (details/summary); top level open. */
export function MetadataTree({ value, className, ...rest }: MetadataTreeProps): ReactNode {
  return (
    <div {...rest} className={cx('activity-tree', className)}>
      <TreeNodes value={value} depth={0} />
    </div>
  );
}

function TreeNodes({
  value,
  depth,
}: {
  value: Record<string, unknown> | unknown[];
  depth: number;
}): ReactNode {
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return (
    <ul className="activity-tree-list">
      {entries.map(([key, v]) => (
        <li key={key}>
          {v !== null && typeof v === 'object' && depth < 8 ? (
            <details open={depth < 1}>
              <summary>
                <span className="activity-tree-key">{key}</span>
                <span className="activity-muted">
                  {Array.isArray(v) ? ` [${v.length}]` : ` {${Object.keys(v).length}}`}
                </span>
              </summary>
              <TreeNodes value={v as Record<string, unknown>} depth={depth + 1} />
            </details>
          ) : (
            <>
              <span className="activity-tree-key">{key}</span>:{' '}
              <span className="activity-tree-value">{formatValue(v)}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/** Props of {@link CopyButton}. */
export interface CopyButtonProps extends Omit<ComponentProps<'button'>, 'onClick'> {
  text: string;
  /** Accessible name before copying. */
  label: string;
}

/** Copies text to the clipboard and confirms with "Copied". */
export function CopyButton({ text, label, className, ...rest }: CopyButtonProps): ReactNode {
  const { strings } = useActivityContext();
  const [copied, setCopied] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return (
    <button
      type="button"
      {...rest}
      className={cx('activity-copy', className)}
      data-state={copied ? 'copied' : 'idle'}
      aria-label={copied ? `${label}: ${strings.copied}` : label}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setCopied(true);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => setCopied(false), 2000);
        } catch {
          setCopied(false);
        }
      }}
    >
      {copied ? <Icons.check /> : <Icons.copy />}
      <span>{copied ? strings.copied : strings.copy}</span>
    </button>
  );
}
