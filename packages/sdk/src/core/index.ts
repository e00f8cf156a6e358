/** The recording side of @activity/sdk: recorder, catalog, diff, redaction and validation. */

export {
  type Activity,
  type ActivityOptions,
  createActivity,
  type OverflowPolicy,
  type RejectionCode,
  type TypedJobOptions,
  type TypedJobRun,
  toErrorInfo,
} from './activity.js';
export type {
  ActivityContext,
  ActivityErrorHandler,
  ActivityRecorder,
  ActivityStats,
  ErrorLike,
  JobOptions,
  JobRun,
  RecordBase,
  RecordInput,
  SweepResult,
} from './api.js';
export {
  type ActionDefinition,
  type ActionMetadataOf,
  action,
  type CatalogDefinition,
  type CatalogLabels,
  catalogLabels,
  defineCatalog,
  type EntityDefinition,
  type EntityRefOf,
  type EntityTypeOf,
  type EventTypeOf,
  entityHref,
  type JobDefinition,
  type JobEntityOf,
  type JobMetadataOf,
  type JobNameOf,
  type JobResultMetadata,
  type LabeledValue,
  type MetadataField,
  type Payload,
  type ProviderOf,
  payload,
  type RecordInputOf,
  STATUS_LABELS,
  type SystemActionOf,
  type SystemEventDefinition,
  type SystemInput,
  type SystemMetadataOf,
  TYPE_LABELS,
  type UserActionInput,
  type UserActionOf,
  userActionLabel,
  type WebhookDefinition,
  type WebhookInput,
} from './catalog.js';
export { currentContext, withContext } from './context.js';
export { type DiffOptions, diffObjects, summarizeChanges } from './diff.js';
export { type WineClubCatalog, wineClubCatalog } from './presets/wineClub.js';
export { createRedactor, DEFAULT_REDACT_KEYS, type RedactionOptions, type Redactor } from './redact.js';
export { DEFAULT_LIMITS, type ValidationLimits, validateEntry } from './validate.js';
