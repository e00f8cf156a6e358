/**
 * The typed catalog: a host declares its entity types, actions, jobs, webhook providers and system
 * events once. The types narrow `record()` and the helpers at compile time; `catalogLabels()` gives the
 * UI the same names as plain JSON at runtime.
 */
import { ActivityError } from '../errors.js';
import {
  ACTIVITY_STATUSES,
  ACTIVITY_TYPES,
  type ActivityStatus,
  type ActivityType,
  type EntityRef,
  type WebhookInfo,
} from '../types.js';
import type { RecordBase, RecordInput } from './api.js';

/** Phantom carrier of a metadata payload type. Holds nothing at runtime. */
export interface Payload<M> {
  /** Never set: only its type matters. */
  readonly __payload?: M;
}

const PAYLOAD: Payload<never> = Object.freeze({});

/**
 * Declares the metadata type of an action, job or system event.
 * @example jobs: { SYNC: { label: 'Sync', metadata: payload<{ synced: number }>() } }
 */
export function payload<M extends object>(): Payload<M> {
  return PAYLOAD;
}

/** One action of an entity type (`created`, `tags_added`). */
export interface ActionDefinition {
  /** Display label, written as it completes the entity label ("Created", "Promoted to PENDING"). */
  label: string;
  description?: string | undefined;
  /** Metadata type, declared with {@link payload} or {@link action}. */
  metadata?: Payload<unknown> | undefined;
}

/** An entity type (`contact`, `release`) and its actions. */
export interface EntityDefinition {
  /** Singular display label ("Contact"). */
  label: string;
  /** Plural display label ("Contacts"). @default `${label}s` */
  plural?: string | undefined;
  /** Link to the record in the host app. Server-side only: functions do not reach the browser. */
  href?: ((id: string) => string) | undefined;
  actions: Record<string, ActionDefinition>;
}

/** A background job name (`PROCESS_RELEASE_PAYMENTS`). */
export interface JobDefinition {
  label: string;
  description?: string | undefined;
  /** Entity type the job works on (`release`). */
  entity?: string | undefined;
  /** True when a retry handler exists for this job: its entries show a Retry button. */
  retryable?: boolean | undefined;
  /** Host page where a job that cannot be retried in place is re-triggered. */
  retriggerUrl?: string | undefined;
  metadata?: Payload<unknown> | undefined;
}

/** A webhook provider (`stripe`) and the event types it sends or receives. */
export interface WebhookDefinition {
  /** Display name, also used as the actor's name ("Stripe"). */
  label: string;
  events: readonly string[];
  /** True when a retry handler exists for this provider's deliveries. */
  retryable?: boolean | undefined;
}

/** An internal system event (`schema.migrated`). */
export interface SystemEventDefinition {
  label: string;
  description?: string | undefined;
  metadata?: Payload<unknown> | undefined;
}

/** The whole catalog. Every section but `entities` is optional; an omitted section is not type-checked. */
export interface CatalogDefinition {
  entities: Record<string, EntityDefinition>;
  jobs?: Record<string, JobDefinition> | undefined;
  webhooks?: Record<string, WebhookDefinition> | undefined;
  systemEvents?: Record<string, SystemEventDefinition> | undefined;
}

/**
 * Declares an action whose entries carry metadata of type `M`.
 * @example tags_added: action<{ tags: string[] }>({ label: 'Tags added' })
 */
export function action<M extends object>(
  definition: Omit<ActionDefinition, 'metadata'>,
): ActionDefinition & { metadata: Payload<M> } {
  return { ...definition, metadata: payload<M>() };
}

const ENTITY_KEY = /^[a-z][a-z0-9_]*$/;
const ACTION_KEY = /^[a-z][a-z0-9_]*$/;

/**
 * Checks and returns the catalog with its literal types kept, so `createActivity({ catalog })` can type
 * entity types, actions, job names, providers, event types and metadata.
 * @throws ActivityError `CONFIG` naming the malformed key.
 */
export function defineCatalog<const C extends CatalogDefinition>(catalog: C): C {
  const fail = (field: string, reason: string): never => {
    throw new ActivityError('CONFIG', `catalog.${field}: ${reason}`, { field: `catalog.${field}` });
  };
  if (catalog === null || typeof catalog !== 'object') fail('entities', 'pass an object { entities: { … } }');
  if (catalog.entities === null || typeof catalog.entities !== 'object') {
    fail('entities', 'must be an object of entity types, e.g. { contact: { label, actions } }');
  }
  for (const [type, entity] of Object.entries(catalog.entities)) {
    // Dots would make `${type}.${action}` ambiguous to split back into entity type and action.
    if (!ENTITY_KEY.test(type)) fail(`entities.${type}`, 'use lowercase letters, digits and _ (no dots)');
    if (typeof entity?.label !== 'string') fail(`entities.${type}.label`, 'a display label is required');
    if (entity.actions === null || typeof entity.actions !== 'object') {
      fail(
        `entities.${type}.actions`,
        'must be an object of actions, e.g. { created: { label: "Created" } }',
      );
    }
    for (const [name, def] of Object.entries(entity.actions)) {
      if (!ACTION_KEY.test(name))
        fail(`entities.${type}.actions.${name}`, 'use lowercase letters, digits and _');
      if (typeof def?.label !== 'string')
        fail(`entities.${type}.actions.${name}.label`, 'a label is required');
    }
  }
  for (const [name, def] of Object.entries(catalog.jobs ?? {})) {
    if (typeof def?.label !== 'string') fail(`jobs.${name}.label`, 'a label is required');
    if (def.entity !== undefined && !(def.entity in catalog.entities)) {
      fail(`jobs.${name}.entity`, `"${def.entity}" is not an entity type of this catalog`);
    }
  }
  for (const [name, def] of Object.entries(catalog.webhooks ?? {})) {
    if (typeof def?.label !== 'string') fail(`webhooks.${name}.label`, 'a label is required');
    if (!Array.isArray(def.events)) fail(`webhooks.${name}.events`, 'must be an array of event types');
  }
  for (const [name, def] of Object.entries(catalog.systemEvents ?? {})) {
    if (typeof def?.label !== 'string') fail(`systemEvents.${name}.label`, 'a label is required');
  }
  return catalog;
}

// ---------------------------------------------------------------------------------------------------
// Type-level views of a catalog. A section the catalog omits (or the untyped default) yields `string`.

type Keys<T> = keyof T & string;
/** Metadata type declared on a definition, or `undefined` when none is. */
type DeclaredMeta<D> = D extends { metadata?: Payload<infer M> | undefined }
  ? unknown extends M
    ? undefined
    : M
  : undefined;
/** `{ metadata: M }` when declared, else the untyped optional metadata. */
export type MetadataField<M> = [M] extends [undefined]
  ? { metadata?: Record<string, unknown> | undefined }
  : { metadata: M };

type Section<C, K extends string> = C extends { [P in K]: infer S } ? (S extends object ? S : never) : never;
type SectionKeys<C, K extends string> = [Section<C, K>] extends [never]
  ? string
  : string extends Keys<Section<C, K>>
    ? string
    : Keys<Section<C, K>>;

/** Entity types of the catalog (`'contact' | 'release' …`), or `string` without one. */
export type EntityTypeOf<C> = SectionKeys<C, 'entities'>;
/** Job names of the catalog, or `string`. */
export type JobNameOf<C> = SectionKeys<C, 'jobs'>;
/** Webhook providers of the catalog, or `string`. */
export type ProviderOf<C> = SectionKeys<C, 'webhooks'>;
/** System event actions of the catalog, or `string`. */
export type SystemActionOf<C> = SectionKeys<C, 'systemEvents'>;

type Entities<C> = Section<C, 'entities'>;
type ActionsOf<C, E extends string> = E extends keyof Entities<C>
  ? Entities<C>[E] extends { actions: infer A }
    ? A
    : never
  : never;

/** User actions of the catalog as `${entityType}.${action}` (`'contact.updated'`), or `string`. */
export type UserActionOf<C> =
  string extends EntityTypeOf<C>
    ? string
    : { [E in EntityTypeOf<C>]: `${E}.${Keys<ActionsOf<C, E>>}` }[EntityTypeOf<C>];

/** Event types of one provider, or `string`. */
export type EventTypeOf<C, P extends string> =
  string extends ProviderOf<C>
    ? string
    : P extends keyof Section<C, 'webhooks'>
      ? Section<C, 'webhooks'>[P] extends { events: readonly (infer T)[] }
        ? T & string
        : string
      : never;

/** An entity reference whose `type` is narrowed to `E`. */
export type EntityRefOf<E extends string> = Omit<EntityRef, 'type'> & { type: E };

/** Metadata type declared for a job, or `undefined`. */
export type JobMetadataOf<C, N extends string> = N extends keyof Section<C, 'jobs'>
  ? DeclaredMeta<Section<C, 'jobs'>[N]>
  : undefined;
/** Metadata type declared for a system event, or `undefined`. */
export type SystemMetadataOf<C, N extends string> = N extends keyof Section<C, 'systemEvents'>
  ? DeclaredMeta<Section<C, 'systemEvents'>[N]>
  : undefined;
/** Metadata type declared for a user action (`'contact.tags_added'`), or `undefined`. */
export type ActionMetadataOf<C, A extends string> = A extends `${infer E}.${infer X}`
  ? X extends keyof ActionsOf<C, E>
    ? DeclaredMeta<ActionsOf<C, E>[X]>
    : undefined
  : undefined;
/** Entity type a job declares, or any entity type of the catalog. */
export type JobEntityOf<C, N extends string> = N extends keyof Section<C, 'jobs'>
  ? Section<C, 'jobs'>[N] extends { entity: infer E extends string }
    ? E
    : EntityTypeOf<C>
  : EntityTypeOf<C>;

/** Metadata passed to `run.succeed()`: the declared type, or a plain record. */
export type JobResultMetadata<M> = [M] extends [undefined] ? Record<string, unknown> : M;

type Common = Omit<RecordBase, 'metadata'>;
type AnyEntity<C> = EntityRefOf<EntityTypeOf<C>>;

/** Input of `activity.userAction()`: action `${entityType}.${action}` with a matching `entity.type`. */
export type UserActionInput<C> =
  string extends EntityTypeOf<C>
    ? Common & {
        action: string;
        entity: EntityRef;
        status?: ActivityStatus | undefined;
      } & MetadataField<undefined>
    : {
        [E in EntityTypeOf<C>]: {
          [X in Keys<ActionsOf<C, E>>]: Common & {
            action: `${E}.${X}`;
            entity: EntityRefOf<E>;
            status?: ActivityStatus | undefined;
          } & MetadataField<DeclaredMeta<ActionsOf<C, E>[X]>>;
        }[Keys<ActionsOf<C, E>>];
      }[EntityTypeOf<C>];

type ProviderEvent<C> =
  string extends ProviderOf<C>
    ? { provider: string; eventType: string }
    : { [P in ProviderOf<C>]: { provider: P; eventType: EventTypeOf<C, P> } }[ProviderOf<C>];

/** Input of `activity.webhook()`: the provider and its event types are checked against the catalog. */
export type WebhookInput<C> = Omit<RecordBase, 'metadata'> &
  ProviderEvent<C> & {
    /** `in` for received webhooks. @default 'in' */
    direction?: 'in' | 'out' | undefined;
    /** Provider's event id; becomes the idempotency key `${provider}:${eventId}` unless one is given. */
    eventId?: string | undefined;
    url?: string | undefined;
    request?: WebhookInfo['request'];
    response?: WebhookInfo['response'];
    statusCode?: number | undefined;
    durationMs?: number | undefined;
    /** @default FAILED when statusCode ≥ 400, else SUCCESS */
    status?: ActivityStatus | undefined;
    entity?: AnyEntity<C> | undefined;
    metadata?: Record<string, unknown> | undefined;
  };

/** Input of `activity.system()`. */
export type SystemInput<C> =
  string extends SystemActionOf<C>
    ? Common & {
        action: string;
        status?: ActivityStatus | undefined;
        entity?: EntityRef | undefined;
      } & MetadataField<undefined>
    : {
        [N in SystemActionOf<C>]: Common & {
          action: N;
          status?: ActivityStatus | undefined;
          entity?: AnyEntity<C> | undefined;
        } & MetadataField<SystemMetadataOf<C, N>>;
      }[SystemActionOf<C>];

type JobRecord<C> =
  string extends JobNameOf<C>
    ? Common & {
        type: 'BACKGROUND_JOB';
        action: string;
        status?: ActivityStatus;
        entity?: EntityRef;
      } & MetadataField<undefined>
    : {
        [N in JobNameOf<C>]: Common & {
          type: 'BACKGROUND_JOB';
          action: N;
          status?: ActivityStatus | undefined;
          entity?: EntityRefOf<JobEntityOf<C, N>> | undefined;
        } & Partial<MetadataField<JobMetadataOf<C, N>>>;
      }[JobNameOf<C>];

type WebhookRecord<C> =
  string extends ProviderOf<C>
    ? Common & {
        type: 'WEBHOOK';
        action: string;
        status?: ActivityStatus | undefined;
        entity?: EntityRef | undefined;
        webhook: WebhookInfo;
        metadata?: Record<string, unknown> | undefined;
      }
    : {
        [P in ProviderOf<C>]: Common & {
          type: 'WEBHOOK';
          action: EventTypeOf<C, P>;
          status?: ActivityStatus | undefined;
          entity?: AnyEntity<C> | undefined;
          webhook: Omit<WebhookInfo, 'provider' | 'eventType'> & {
            provider: P;
            eventType: EventTypeOf<C, P>;
          };
          metadata?: Record<string, unknown> | undefined;
        };
      }[ProviderOf<C>];

/** Input of `activity.record()` for catalog `C`: a union discriminated by `type`, or {@link RecordInput} untyped. */
export type RecordInputOf<C> =
  string extends EntityTypeOf<C>
    ? RecordInput
    :
        | (UserActionInput<C> & { type: 'USER_ACTION' })
        | JobRecord<C>
        | WebhookRecord<C>
        | (SystemInput<C> & { type: 'SYSTEM_EVENT' });

// ---------------------------------------------------------------------------------------------------
// Runtime views.

/** A value with its display label, as filter options. */
export interface LabeledValue {
  value: string;
  label: string;
  description?: string | undefined;
}

/** Labels and filter options for the UI: plain JSON, safe to send to the browser. */
export interface CatalogLabels {
  types: LabeledValue[];
  statuses: LabeledValue[];
  entityTypes: (LabeledValue & { plural: string })[];
  /** Display label by action: user actions (`contact.updated` → "Contact updated"), jobs and system events. */
  actions: Record<string, string>;
  jobs: (LabeledValue & {
    retryable: boolean;
    entity?: string | undefined;
    retriggerUrl?: string | undefined;
  })[];
  providers: (LabeledValue & { events: string[]; retryable: boolean })[];
  systemEvents: LabeledValue[];
}

/** Labels of the four activity types, with the spec's descriptions. */
export const TYPE_LABELS: Readonly<Record<ActivityType, LabeledValue>> = Object.freeze({
  USER_ACTION: {
    value: 'USER_ACTION',
    label: 'User action',
    description: 'A team member did something — created a contact, processed payments, changed a setting.',
  },
  BACKGROUND_JOB: {
    value: 'BACKGROUND_JOB',
    label: 'Background job',
    description: 'A scheduled or triggered job — sync, payment processing, automations.',
  },
  WEBHOOK: {
    value: 'WEBHOOK',
    label: 'Webhook',
    description: 'An incoming or outgoing webhook — Stripe events, FedEx tracking.',
  },
  SYSTEM_EVENT: {
    value: 'SYSTEM_EVENT',
    label: 'System event',
    description: 'Internal system events — schema migrations, configuration changes, cache clears.',
  },
});

/** Labels of the four statuses, with the spec's descriptions. */
export const STATUS_LABELS: Readonly<Record<ActivityStatus, LabeledValue>> = Object.freeze({
  SUCCESS: { value: 'SUCCESS', label: 'Success', description: 'Completed without errors.' },
  IN_PROGRESS: { value: 'IN_PROGRESS', label: 'In progress', description: 'Currently running.' },
  WARNING: {
    value: 'WARNING',
    label: 'Warning',
    description: 'Completed but with caveats — partial sync, retry-able failure, etc.',
  },
  FAILED: { value: 'FAILED', label: 'Failed', description: 'Did not complete. Error captured on the entry.' },
});

// Lower-cases only a leading capital followed by a lower-case letter, so "PENDING" or "SKU" survive.
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

/** Display label of a user action: entity label + action label ("Contact" + "Updated" → "Contact updated"). */
export function userActionLabel(entityLabel: string, actionLabel: string): string {
  return `${entityLabel} ${lowerFirst(actionLabel)}`;
}

/**
 * Labels and filter options derived from a catalog (or only the built-in types and statuses without one).
 * The result is plain JSON: pass it to the browser as is.
 */
export function catalogLabels(catalog?: CatalogDefinition): CatalogLabels {
  const withDescription = (value: string, label: string, description?: string): LabeledValue =>
    description === undefined ? { value, label } : { value, label, description };
  const labels: CatalogLabels = {
    types: ACTIVITY_TYPES.map((type) => ({ ...TYPE_LABELS[type] })),
    statuses: ACTIVITY_STATUSES.map((status) => ({ ...STATUS_LABELS[status] })),
    entityTypes: [],
    actions: {},
    jobs: [],
    providers: [],
    systemEvents: [],
  };
  if (catalog === undefined) return labels;
  for (const [type, entity] of Object.entries(catalog.entities)) {
    labels.entityTypes.push({
      value: type,
      label: entity.label,
      plural: entity.plural ?? `${entity.label}s`,
    });
    for (const [name, def] of Object.entries(entity.actions)) {
      labels.actions[`${type}.${name}`] = userActionLabel(entity.label, def.label);
    }
  }
  for (const [name, def] of Object.entries(catalog.jobs ?? {})) {
    const job: CatalogLabels['jobs'][number] = {
      ...withDescription(name, def.label, def.description),
      retryable: def.retryable === true,
    };
    if (def.entity !== undefined) job.entity = def.entity;
    if (def.retriggerUrl !== undefined) job.retriggerUrl = def.retriggerUrl;
    labels.jobs.push(job);
    labels.actions[name] = def.label;
  }
  for (const [name, def] of Object.entries(catalog.webhooks ?? {})) {
    labels.providers.push({
      value: name,
      label: def.label,
      events: [...def.events],
      retryable: def.retryable === true,
    });
  }
  for (const [name, def] of Object.entries(catalog.systemEvents ?? {})) {
    labels.systemEvents.push(withDescription(name, def.label, def.description));
    labels.actions[name] = def.label;
  }
  return labels;
}

/** Link to an entity in the host app from the catalog's `href`, or undefined. Server-side helper. */
export function entityHref(catalog: CatalogDefinition | undefined, entity: EntityRef): string | undefined {
  const def = catalog?.entities[entity.type];
  return def?.href === undefined ? undefined : def.href(entity.id);
}
