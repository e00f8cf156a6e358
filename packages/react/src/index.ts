export { ActivityLog, type ActivityLogProps } from './ActivityLog.js';
export { ActivityTable, type ActivityTableProps } from './ActivityTable.js';
export {
  type CalendarDay,
  type DaySelection,
  inSelection,
  isCalendarDay,
  monthGrid,
  moveByKey,
  selectDay,
  selectionBounds,
  selectionFromBounds,
  todayInZone,
  type WeekStart,
} from './calendar.js';
export { useNow } from './clock.js';
export {
  type ActivityContextValue,
  ActivityProvider,
  type ActivityProviderProps,
  ActivityScope,
  type ActivityScopeProps,
  type ActivityTheme,
  useActivityClient,
  useActivityContext,
  useActivityStrings,
  useViewerCan,
} from './context.js';
export {
  CopyButton,
  type CopyButtonProps,
  DetailDrawer,
  type DetailDrawerProps,
  DiffTable,
  type DiffTableProps,
  MetadataTree,
  type MetadataTreeProps,
  type RetryAvailability,
  retryAvailability,
} from './DetailDrawer.js';
export type { DateLocale } from './dateLocale.js';
export { type DiffRow, diffRows } from './diffRows.js';
export { EntityHistory, type EntityHistoryProps } from './EntityHistory.js';
export { ExportButton, type ExportButtonProps, exportErrorMessage } from './ExportButton.js';
export { entityFilter, type InlineChange, inlineChanges } from './entityHistoryRows.js';
export { exportFileName, readCsvStream, type StreamProgress } from './exportCsv.js';
export {
  FilterBar,
  type FilterBarRootProps,
  type FilterSearchProps,
  type FilterSelectProps,
  type FilterValueProps,
  type PopoverStateProps,
} from './FilterBar.js';
export {
  type ChipContext,
  clearFilter,
  type FilterChip,
  filterChips,
  filterFromSearch,
  isFailuresPreset,
  type MultiAxis,
  narrowToBucket,
  rangeLabel,
  removeChip,
  searchWithFilter,
  setAxis,
  setCustomRange,
  setQuery,
  setRange,
  toggleFailuresPreset,
  toggleValue,
} from './filterState.js';
export {
  actionLabel,
  actorLabel,
  entityTypeLabel,
  eventLabel,
  formatBytes,
  formatDuration,
  formatExact,
  formatRelative,
  formatValue,
  isForbiddenError,
  labelsFromCatalog,
  prettyJson,
  startOfDayInZone,
} from './format.js';
export { bucketWidthMs, Histogram, type HistogramProps } from './Histogram.js';
export {
  activityKeys,
  filterKey,
  type UseActivityEntryOptions,
  type UseActivityListOptions,
  type UseActivityListResult,
  useActivityEntry,
  useActivityFacets,
  useActivityHistogram,
  useActivityList,
  usePrefetchEntry,
  useRetryEntry,
} from './hooks.js';
export {
  INTEGRITY_STRINGS,
  IntegrityBadge,
  type IntegrityBadgeProps,
  type IntegrityStrings,
} from './IntegrityBadge.js';
export { createLiveTail, type LiveTail, type LiveTailOptions, type LiveTailSnapshot } from './liveTail.js';
export { RangeCalendar, type RangeCalendarProps } from './RangeCalendar.js';
export { StatusBadge, type StatusBadgeProps } from './StatusBadge.js';
export { safeHref } from './safeHref.js';
export { type ActivityStrings, DEFAULT_STRINGS, type DeepPartial, mergeStrings } from './strings.js';
export type { ActivityLabels, ActivityListPage, ActivityQueryClient, EntityHref } from './types.js';
export { type EntryIntegrity, useEntryIntegrity, useIntegrityKeys } from './useEntryIntegrity.js';
export { type ExportState, type UseExportOptions, type UseExportResult, useExport } from './useExport.js';
export { type UseFilterStateOptions, type UseFilterStateResult, useFilterState } from './useFilterState.js';
export { type UseLiveTailOptions, type UseLiveTailResult, useLiveTail } from './useLiveTail.js';
export { moveIndex, progressPercent, shouldLoadMore } from './useLogRows.js';
export { describeVerify, VerifyRange, type VerifyRangeProps } from './VerifyRange.js';
