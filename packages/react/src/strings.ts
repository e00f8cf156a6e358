import type { ActivityStatus, ActivityType, DateRangePreset } from '@activity/sdk/client';

/** Every visible string of the components; pass a partial object to `ActivityProvider` to override any of them. */
export interface ActivityStrings {
  title: string;
  subtitle: string;
  types: Record<ActivityType, string>;
  statuses: Record<ActivityStatus, string>;
  ranges: Record<DateRangePreset, string>;
  columns: { time: string; type: string; actor: string; event: string; status: string };
  filterType: string;
  filterStatus: string;
  filterUser: string;
  filterEntity: string;
  filterDate: string;
  failuresPreset: string;
  searchPlaceholder: string;
  searchLabel: string;
  searchUsers: string;
  noOptions: string;
  customRange: string;
  customFrom: string;
  customTo: string;
  applyRange: string;
  previousMonth: string;
  nextMonth: string;
  /** Under the calendar: how the picked days will be read. */
  rangeHint: (days: string, timeZone: string) => string;
  pickStartDay: string;
  openEnded: string;
  clearAll: string;
  removeFilter: (label: string) => string;
  activeFilters: string;
  selectedCount: (n: number) => string;
  tableLabel: string;
  loading: string;
  /** Shown in the drawer while the full entry (diff, metadata, bodies) loads. */
  loadingDetails: string;
  loadingMore: string;
  emptyTitle: string;
  emptyWithFilters: (filters: string) => string;
  emptyNoFilters: string;
  clearFilters: string;
  errorTitle: string;
  retryLoad: string;
  newEntries: (n: number) => string;
  live: string;
  paused: string;
  liveError: string;
  progressLabel: (processed: number, total?: number) => string;
  drawerTitle: string;
  close: string;
  actor: string;
  action: string;
  entity: string;
  occurredAt: string;
  duration: string;
  summary: string;
  changes: string;
  field: string;
  before: string;
  after: string;
  added: string;
  removed: string;
  changedHidden: string;
  metadata: string;
  error: string;
  stackTrace: string;
  /** Heading of a run the sweeper finalised because its process stopped before it finished. */
  abandoned: string;
  /** After "Abandoned — ": when the run was last seen alive, relative and exact. */
  lastSeenAlive: (relative: string, exact: string) => string;
  /** When an abandoned run does not say when it was last seen alive. */
  lastSeenAliveUnknown: string;
  /** What happened to an abandoned run, in plain words. */
  abandonedHint: string;
  /** Under a running job's progress: "Last heartbeat 12 seconds ago". */
  lastHeartbeat: (relative: string) => string;
  /** A running job whose lease passed without a heartbeat. */
  heartbeatOverdue: string;
  copy: string;
  copied: string;
  copyStack: string;
  webhook: string;
  request: string;
  response: string;
  headers: string;
  body: string;
  statusCode: string;
  entryId: string;
  entryIdHint: string;
  copyId: string;
  retry: string;
  retrying: string;
  retryStarted: string;
  openNewRun: string;
  retryFailed: string;
  /** Why Retry is disabled while a retry request is on its way. */
  retryPending: string;
  /** Shown instead of Retry while the entry is still running (the server refuses with 409). */
  retryWhenFinished: string;
  /** A 403 from the retry endpoint. */
  retryForbidden: string;
  retrigger: string;
  retryOf: string;
  related: string;
  thisEntry: string;
  exportCsv: string;
  exporting: (rows: number, bytes: string) => string;
  exportDone: (rows: number) => string;
  exportAsync: string;
  exportFailed: string;
  /** Tooltip of the disabled Export CSV button when the viewer lacks the `export` permission. */
  exportNotAllowed: string;
  /** A 403 from the export endpoint. */
  exportForbidden: string;
  histogramLabel: string;
  histogramBar: (when: string, count: number, failures: number) => string;
  /** Relative time under a minute. */
  justNow: string;
  /** Title of `<EntityHistory/>`. */
  historyTitle: string;
  /** `<EntityHistory/>` with no entries. */
  historyEmpty: string;
  /** The link from `<EntityHistory/>` to the Activity page, filtered to the record. */
  historyViewAll: string;
  /** Label of an entry's inline list of changed fields. */
  historyChangedFields: string;
  /** "+2 more" after the inline changed fields. */
  historyMoreChanges: (count: number) => string;
  /** Tooltip line of a bar: "12 entries". */
  histogramEntries: (count: number) => string;
  /** Tooltip line of a bar: "3 failed or with warnings". */
  histogramFailures: (failures: number) => string;
  /** Hint under the tooltip of a bar that narrows the range. */
  histogramNarrowHint: string;
  actorKinds: { user: string; system: string; external: string };
  empty: string;
}

/** The default English strings. */
export const DEFAULT_STRINGS: ActivityStrings = {
  title: 'Activity Logs',
  subtitle: 'Tracking all system activities and events across your organization',
  types: {
    USER_ACTION: 'User action',
    BACKGROUND_JOB: 'Background job',
    WEBHOOK: 'Webhook',
    SYSTEM_EVENT: 'System event',
  },
  statuses: { SUCCESS: 'Success', IN_PROGRESS: 'In progress', WARNING: 'Warning', FAILED: 'Failed' },
  ranges: {
    '1h': 'Last hour',
    '24h': 'Last 24 hours',
    '7d': 'Last 7 days',
    '30d': 'Last 30 days',
    '90d': 'Last 90 days',
    '1y': 'Last year',
    all: 'Everything retained',
  },
  columns: { time: 'Time', type: 'Type', actor: 'Actor', event: 'Event', status: 'Status' },
  filterType: 'Type',
  filterStatus: 'Status',
  filterUser: 'User',
  filterEntity: 'Entity',
  filterDate: 'Date',
  failuresPreset: 'Failures',
  searchPlaceholder: 'Search actions, entities, people…',
  searchLabel: 'Search activity',
  searchUsers: 'Search people',
  noOptions: 'Nothing to choose from in this range',
  customRange: 'Custom range',
  customFrom: 'From',
  customTo: 'To',
  applyRange: 'Apply',
  previousMonth: 'Previous month',
  nextMonth: 'Next month',
  rangeHint: (days, timeZone) => `${days}, days in ${timeZone}`,
  pickStartDay: 'Pick the first day, then the last',
  openEnded: 'until now',
  clearAll: 'Clear all',
  removeFilter: (label) => `Remove filter ${label}`,
  activeFilters: 'Active filters',
  selectedCount: (n) => `${n} selected`,
  tableLabel: 'Activity entries',
  loading: 'Loading activity…',
  loadingDetails: 'Loading details…',
  loadingMore: 'Loading more…',
  emptyTitle: 'No activity found',
  emptyWithFilters: (filters) => `Nothing matches ${filters}.`,
  emptyNoFilters: 'Nothing was recorded in this period.',
  clearFilters: 'Clear filters',
  errorTitle: 'Could not load activity',
  retryLoad: 'Retry',
  newEntries: (n) => (n === 1 ? '1 new entry' : `${n} new entries`),
  live: 'Live',
  paused: 'Paused',
  liveError: 'Live updates interrupted',
  progressLabel: (processed, total) =>
    total === undefined ? `${processed} processed` : `${processed} of ${total} processed`,
  drawerTitle: 'Activity detail',
  close: 'Close',
  actor: 'Actor',
  action: 'Action',
  entity: 'Entity',
  occurredAt: 'Time',
  duration: 'Duration',
  summary: 'Summary',
  changes: 'Changes',
  field: 'Field',
  before: 'Before',
  after: 'After',
  added: 'added',
  removed: 'removed',
  changedHidden: 'changed, hidden',
  metadata: 'Metadata',
  error: 'Error',
  stackTrace: 'Stack trace',
  abandoned: 'Abandoned',
  lastSeenAlive: (relative, exact) => `last seen alive ${relative} (${exact})`,
  lastSeenAliveUnknown: 'no heartbeat was recorded',
  abandonedHint:
    'The process running this job stopped (crash, deploy or kill) before it finished, so the run was closed as failed. Work it did before that may have been kept.',
  lastHeartbeat: (relative) => `Last heartbeat ${relative}`,
  heartbeatOverdue:
    'No heartbeat within its lease: the process may have stopped. If it does not report back, the run will be closed as abandoned.',
  copy: 'Copy',
  copied: 'Copied',
  copyStack: 'Copy error and stack trace',
  webhook: 'Webhook',
  request: 'Request',
  response: 'Response',
  headers: 'Headers',
  body: 'Body',
  statusCode: 'Status code',
  entryId: 'Entry ID',
  entryIdHint: 'Give this ID to support to look up the full server logs.',
  copyId: 'Copy entry ID',
  retry: 'Retry',
  retrying: 'Retrying…',
  retryStarted: 'Retry started as a new run.',
  openNewRun: 'Open new run',
  retryFailed: 'Retry failed',
  retryPending: 'A retry request is already on its way.',
  retryWhenFinished: 'Retry becomes available once this run has finished.',
  retryForbidden: 'You do not have permission to retry entries.',
  retrigger: 'Re-trigger from its integration page',
  retryOf: 'Retry of',
  related: 'Related entries',
  thisEntry: 'this entry',
  exportCsv: 'Export CSV',
  exporting: (rows, bytes) => `Exporting… ${rows.toLocaleString()} rows (${bytes})`,
  exportDone: (rows) => `Exported ${rows.toLocaleString()} rows`,
  exportAsync:
    'This export is large: it runs in the background and the download link will be emailed to you.',
  exportFailed: 'Export failed',
  exportNotAllowed: 'You do not have permission to export activity.',
  exportForbidden:
    'You do not have permission to export activity. Ask an administrator for the export permission.',
  histogramLabel: 'Entries over time',
  histogramBar: (when, count, failures) =>
    `${when}: ${count} ${count === 1 ? 'entry' : 'entries'}, ${failures} ${failures === 1 ? 'failure' : 'failures'}`,
  justNow: 'just now',
  historyTitle: 'Recent activity',
  historyEmpty: 'Nothing recorded for this record yet.',
  historyViewAll: 'View all in Activity',
  historyChangedFields: 'Changed fields',
  historyMoreChanges: (count) => `+${count} more`,
  histogramEntries: (count) => `${count} ${count === 1 ? 'entry' : 'entries'}`,
  histogramFailures: (failures) => `${failures} failed or with warnings`,
  histogramNarrowHint: 'Click to show only this time',
  actorKinds: { user: 'Team member', system: 'System', external: 'External' },
  empty: '—',
};

/** Deep-merges overrides (one level of nesting) onto the defaults. */
export function mergeStrings(overrides?: DeepPartial<ActivityStrings>): ActivityStrings {
  if (!overrides) return DEFAULT_STRINGS;
  const out: Record<string, unknown> = { ...DEFAULT_STRINGS };
  for (const [key, value] of Object.entries(overrides)) {
    const base = (DEFAULT_STRINGS as unknown as Record<string, unknown>)[key];
    out[key] =
      value && typeof value === 'object' && base && typeof base === 'object'
        ? { ...(base as object), ...(value as object) }
        : value;
  }
  return out as unknown as ActivityStrings;
}

/** Partial strings: nested groups (`types`, `statuses`…) may be partial too. */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends (...args: never[]) => unknown
    ? T[K]
    : T[K] extends object
      ? Partial<T[K]>
      : T[K];
};
