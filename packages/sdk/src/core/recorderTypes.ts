/** The recorder's public surface as typed by a catalog (the implementation is untyped). */
import type { ActivityErrorCode } from '../errors.js';
import type { ActivityEntry } from '../types.js';
import type { ActivityRecorder, JobOptions, JobRun } from './api.js';
import type {
  CatalogDefinition,
  EntityRefOf,
  JobEntityOf,
  JobMetadataOf,
  JobNameOf,
  JobResultMetadata,
  RecordInputOf,
  SystemInput,
  UserActionInput,
  WebhookInput,
} from './catalog.js';

/** A job run whose `succeed()` metadata is typed by the catalog. */
export interface TypedJobRun<M = Record<string, unknown>> extends Omit<JobRun, 'succeed' | 'warn' | 'fail'> {
  succeed(metadata?: M): Promise<void>;
  warn(message: string, metadata?: Partial<M>): Promise<void>;
  fail(error: unknown, metadata?: Partial<M>): Promise<void>;
}

/** Options of `activity.job(name)` with the entity type checked against the job's catalog entry. */
export type TypedJobOptions<C, N extends string> = Omit<JobOptions, 'entity'> & {
  entity?: EntityRefOf<JobEntityOf<C, N>> | undefined;
};

/** The recorder returned by `createActivity()`, typed by catalog `C` (all `string` without one). */
export interface Activity<C extends CatalogDefinition = CatalogDefinition> extends ActivityRecorder {
  record(input: RecordInputOf<C>): string | undefined;
  recordDurable(input: RecordInputOf<C>): Promise<ActivityEntry>;
  /** Records a USER_ACTION: `action` is `${entity.type}.${action}` from the catalog. */
  userAction(input: UserActionInput<C>): string | undefined;
  /** Records a WEBHOOK exchange; the actor is the provider (external). */
  webhook(input: WebhookInput<C>): string | undefined;
  /** Records a SYSTEM_EVENT. */
  system(input: SystemInput<C>): string | undefined;
  job<N extends JobNameOf<C>>(
    name: N,
    options?: TypedJobOptions<C, N>,
  ): TypedJobRun<JobResultMetadata<JobMetadataOf<C, N>>>;
  runJob<N extends JobNameOf<C>, T>(
    name: N,
    options: TypedJobOptions<C, N> | undefined,
    fn: (run: TypedJobRun<JobResultMetadata<JobMetadataOf<C, N>>>) => Promise<T>,
  ): Promise<T>;
  /** The catalog given at construction. */
  readonly catalog: C | undefined;
}

/** Error codes `record()` can count under `stats().rejected`. */
export type RejectionCode = Extract<ActivityErrorCode, 'INVALID_EVENT' | 'EVENT_TOO_LARGE' | 'SHUTDOWN'>;
