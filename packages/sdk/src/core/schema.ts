/**
 * The event model's schema: the zod schemas (strict, the reference for error messages; non-strict, the
 * hot path's structure), the per-field rules the hot path applies by hand, and the read-only shape
 * check of a snapshot already in the schema's form.
 */
import { z } from 'zod';
import { ACTIVITY_STATUSES, ACTIVITY_TYPES, ACTOR_KINDS } from '../types.js';
import { formatInstant, isCanonicalInstant, parseInstant } from './isoDate.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: ids must not carry control characters.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
// Stores compare timestamps as text, so every accepted form is normalised to toISOString()'s.
// Hand-rolled rather than z.iso.datetime().transform(): this runs twice per record() and is ~2× cheaper,
// and z.iso.datetime() neither checks the calendar (2025-02-30) nor the range every store holds.
const isoTime = z.string().transform((value, ctx) => {
  if (isCanonicalInstant(value)) return value;
  const parsed = parseInstant(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  return formatInstant(parsed.ms);
});
function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The event model's schema. `strict` is the reference: every rule, and its first issue is the error
 * reported. The hot path parses with the non-strict twin (same structure, types and enums, but no
 * per-field string and number checks: zod runs each of those at ~1 µs) and then applies
 * {@link meetsFieldRules}; only an entry failing either is parsed again strictly, for the message.
 */
function entrySchemaOf(strict: boolean) {
  const anyString = z.string();
  const anyNumber = z.number();
  const text = (max: number) =>
    strict ? z.string().max(max, `must be at most ${max} characters`) : anyString;
  const required = (max: number) =>
    strict
      ? z
          .string()
          .trim()
          .min(1, 'must be a non-empty string')
          .max(max, `must be at most ${max} characters`)
          .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters')
      : anyString;
  const id = required(256);
  const count = strict ? z.number().int('must be an integer').min(0, 'must not be negative') : anyNumber;
  const duration = strict ? z.number().min(0, 'must not be negative') : anyNumber;
  // Timestamps are normalised by a transform in the strict schema and by meetsFieldRules otherwise.
  const time = strict ? isoTime : anyString;
  const messageSchema = z.object({
    headers: z.record(z.string(), text(8192)).optional(),
    body: z.unknown().optional(),
  });
  const shape = z.object({
    id,
    orgId: id,
    occurredAt: time,
    recordedAt: time,
    schemaVersion: strict ? z.number().int('must be an integer').min(1, 'must be at least 1') : anyNumber,
    type: z.enum(ACTIVITY_TYPES),
    status: z.enum(ACTIVITY_STATUSES),
    actor: z.object({ kind: z.enum(ACTOR_KINDS), id, name: text(256).optional() }),
    action: required(200),
    entity: z.object({ type: required(100), id, label: text(500).optional() }).optional(),
    summary: text(2000).optional(),
    changes: z
      .array(
        z.object({
          path: required(1000),
          kind: z.enum(['added', 'removed', 'changed']),
          before: z.unknown().optional(),
          after: z.unknown().optional(),
          redacted: z.boolean().optional(),
        }),
      )
      .optional(),
    // Already sanitised plain JSON: check the shape without zod copying every key again.
    metadata: z.custom<Record<string, unknown>>(isJsonObject, 'must be an object').optional(),
    error: z
      .object({
        name: text(256),
        message: z.string(),
        stack: z.string().optional(),
        code: text(256).optional(),
      })
      .optional(),
    webhook: z
      .object({
        direction: z.enum(['in', 'out']),
        provider: required(100),
        eventType: required(200),
        eventId: id.optional(),
        url: text(4096).optional(),
        request: messageSchema.optional(),
        response: messageSchema.optional(),
        statusCode: (strict
          ? z
              .number()
              .int('must be an integer')
              .min(100, 'must be an HTTP status (100-599)')
              .max(599, 'must be an HTTP status (100-599)')
          : anyNumber
        ).optional(),
        durationMs: duration.optional(),
      })
      .optional(),
    progress: z.object({ processed: count, total: count.optional() }).optional(),
    correlationId: id.optional(),
    parentId: id.optional(),
    retryOf: id.optional(),
    idempotencyKey: id.optional(),
    context: z
      .object({ ip: text(64).optional(), userAgent: text(1024).optional(), requestId: text(256).optional() })
      .optional(),
    retryable: z.boolean().optional(),
    retriggerUrl: text(4096).optional(),
    completedAt: time.optional(),
    durationMs: duration.optional(),
    heartbeatAt: time.optional(),
    leaseExpiresAt: time.optional(),
  });
  // Refinements and transforms cost zod far more than its structural checks: the non-strict twin has none.
  if (!strict) return shape;
  return shape.superRefine((entry, ctx) => {
    if (entry.status === 'IN_PROGRESS' && entry.type !== 'BACKGROUND_JOB') {
      ctx.addIssue({
        code: 'custom',
        path: ['status'],
        message: `IN_PROGRESS is only allowed for BACKGROUND_JOB entries, not ${entry.type}`,
      });
    }
  });
}

export const strictEntrySchema = entrySchemaOf(true);
export const fastEntrySchema = entrySchemaOf(false);

export type Fields = Record<string, unknown>;

/** Set when {@link meetsFieldRules} wrote a trimmed id or a normalised time back into the entry. */
let rewroteFields = false;

/** Whether {@link meetsFieldRules} rewrote a field since the last call; resets the flag. */
export function takeRewrites(): boolean {
  const rewrote = rewroteFields;
  rewroteFields = false;
  return rewrote;
}

/** The strict schema's `required(max)`: trimmed (written back), non-empty, at most `max`, no control characters. */
function required(fields: Fields, key: string, max: number): boolean {
  const value = fields[key];
  if (value === undefined) return true;
  const trimmed = (value as string).trim();
  if (trimmed.length === 0 || trimmed.length > max || CONTROL_CHARACTERS.test(trimmed)) return false;
  if (trimmed !== value) {
    fields[key] = trimmed;
    rewroteFields = true;
  }
  return true;
}

/** The strict schema's `isoTime`: a real instant in range, written back in `toISOString()` form. */
function time(fields: Fields, key: string): boolean {
  const value = fields[key];
  if (value === undefined) return true;
  // Already canonical (nearly always): valid as is, without the cost of Date.
  if (isCanonicalInstant(value as string)) return true;
  const parsed = parseInstant(value as string);
  if (!parsed.ok) return false;
  fields[key] = formatInstant(parsed.ms);
  rewroteFields = true;
  return true;
}

/** The strict schema's `text(max)`. */
function text(fields: Fields, key: string, max: number): boolean {
  const value = fields[key];
  return value === undefined || (value as string).length <= max;
}

/** A number at least `min` (and at most `max`), an integer when `integer`. */
function number(fields: Fields, key: string, min: number, integer: boolean, max = Infinity): boolean {
  const value = fields[key];
  if (value === undefined) return true;
  const n = value as number;
  return n >= min && n <= max && (!integer || Number.isInteger(n));
}

function headersFit(message: unknown): boolean {
  const headers = (message as { headers?: Fields } | undefined)?.headers;
  if (headers === undefined) return true;
  for (const key of Object.keys(headers)) if (!text(headers, key, 8192)) return false;
  return true;
}

/**
 * The strict schema's string and number rules, on an entry the non-strict schema accepted (so every
 * field has its type). Trims ids in place as the strict schema would. Keep in step with `entrySchemaOf`;
 * validate.test.ts checks both agree.
 */
export function meetsFieldRules(entry: Fields): boolean {
  if (!required(entry, 'id', 256) || !required(entry, 'orgId', 256)) return false;
  if (!time(entry, 'occurredAt') || !time(entry, 'recordedAt') || !time(entry, 'completedAt')) return false;
  if (!time(entry, 'heartbeatAt') || !time(entry, 'leaseExpiresAt')) return false;
  if (entry.status === 'IN_PROGRESS' && entry.type !== 'BACKGROUND_JOB') return false;
  if (!number(entry, 'schemaVersion', 1, true)) return false;
  const actor = entry.actor as Fields;
  if (!required(actor, 'id', 256) || !text(actor, 'name', 256)) return false;
  if (!required(entry, 'action', 200)) return false;
  const entity = entry.entity as Fields | undefined;
  if (
    entity !== undefined &&
    (!required(entity, 'type', 100) || !required(entity, 'id', 256) || !text(entity, 'label', 500))
  ) {
    return false;
  }
  if (!text(entry, 'summary', 2000)) return false;
  const changes = entry.changes as Fields[] | undefined;
  if (changes !== undefined) for (const change of changes) if (!required(change, 'path', 1000)) return false;
  const error = entry.error as Fields | undefined;
  if (error !== undefined && (!text(error, 'name', 256) || !text(error, 'code', 256))) return false;
  const webhook = entry.webhook as Fields | undefined;
  if (
    webhook !== undefined &&
    (!required(webhook, 'provider', 100) ||
      !required(webhook, 'eventType', 200) ||
      !required(webhook, 'eventId', 256) ||
      !text(webhook, 'url', 4096) ||
      !headersFit(webhook.request) ||
      !headersFit(webhook.response) ||
      !number(webhook, 'statusCode', 100, true, 599) ||
      !number(webhook, 'durationMs', 0, false))
  ) {
    return false;
  }
  const progress = entry.progress as Fields | undefined;
  if (
    progress !== undefined &&
    (!number(progress, 'processed', 0, true) || !number(progress, 'total', 0, true))
  ) {
    return false;
  }
  for (const key of ['correlationId', 'parentId', 'retryOf', 'idempotencyKey']) {
    if (!required(entry, key, 256)) return false;
  }
  const context = entry.context as Fields | undefined;
  if (
    context !== undefined &&
    (!text(context, 'ip', 64) || !text(context, 'userAgent', 1024) || !text(context, 'requestId', 256))
  ) {
    return false;
  }
  return text(entry, 'retriggerUrl', 4096) && number(entry, 'durationMs', 0, false);
}

// --- the snapshot path: the non-strict schema's structure, checked by hand ---------------------------

type FieldCheck = (value: unknown) => boolean;

const isString: FieldCheck = (value) => typeof value === 'string';
// Parsed JSON holds only finite numbers, which is all the non-strict schema asks of a number.
const isNumber: FieldCheck = (value) => typeof value === 'number';
const isBoolean: FieldCheck = (value) => typeof value === 'boolean';
const isAnything: FieldCheck = () => true;

function oneOf(values: readonly string[]): FieldCheck {
  const set = new Set(values);
  return (value) => typeof value === 'string' && set.has(value);
}

function everyValue(check: FieldCheck): FieldCheck {
  return (value) => {
    if (!isJsonObject(value)) return false;
    for (const key of Object.keys(value as Fields)) if (!check((value as Fields)[key])) return false;
    return true;
  };
}

function everyItem(check: FieldCheck): FieldCheck {
  return (value) => Array.isArray(value) && value.every(check);
}

/**
 * An object with exactly these fields (`true`: required), each passing its check, its keys in this
 * order. Unknown keys (which zod would strip) or another order (zod's output follows the schema's)
 * answer false: then the object zod returns would serialise differently from the text it came from.
 */
function shape(fields: readonly (readonly [string, FieldCheck, boolean?])[]): FieldCheck {
  const index = new Map(fields.map(([key], i) => [key, i]));
  const required = fields.filter(([, , isRequired]) => isRequired === true).length;
  return (value) => {
    if (!isJsonObject(value)) return false;
    let last = -1;
    let seen = 0;
    for (const key of Object.keys(value as Fields)) {
      const i = index.get(key);
      if (i === undefined || i <= last) return false;
      last = i;
      const [, check, isRequired] = fields[i] as readonly [string, FieldCheck, boolean?];
      if (!check((value as Fields)[key])) return false;
      if (isRequired === true) seen++;
    }
    return seen === required;
  };
}

const messageShape = shape([
  ['headers', everyValue(isString)],
  ['body', isAnything],
]);

/**
 * `fastEntrySchema`'s structure as a read-only check, fields in the schema's order. Keep in step with
 * `entrySchemaOf`; validate.test.ts checks that whatever passes it, zod accepts and returns unchanged.
 */
export const matchesEntryShape = shape([
  ['id', isString, true],
  ['orgId', isString, true],
  ['occurredAt', isString, true],
  ['recordedAt', isString, true],
  ['schemaVersion', isNumber, true],
  ['type', oneOf(ACTIVITY_TYPES), true],
  ['status', oneOf(ACTIVITY_STATUSES), true],
  [
    'actor',
    shape([
      ['kind', oneOf(ACTOR_KINDS), true],
      ['id', isString, true],
      ['name', isString],
    ]),
    true,
  ],
  ['action', isString, true],
  [
    'entity',
    shape([
      ['type', isString, true],
      ['id', isString, true],
      ['label', isString],
    ]),
  ],
  ['summary', isString],
  [
    'changes',
    everyItem(
      shape([
        ['path', isString, true],
        ['kind', oneOf(['added', 'removed', 'changed']), true],
        ['before', isAnything],
        ['after', isAnything],
        ['redacted', isBoolean],
      ]),
    ),
  ],
  ['metadata', isJsonObject],
  [
    'error',
    shape([
      ['name', isString, true],
      ['message', isString, true],
      ['stack', isString],
      ['code', isString],
    ]),
  ],
  [
    'webhook',
    shape([
      ['direction', oneOf(['in', 'out']), true],
      ['provider', isString, true],
      ['eventType', isString, true],
      ['eventId', isString],
      ['url', isString],
      ['request', messageShape],
      ['response', messageShape],
      ['statusCode', isNumber],
      ['durationMs', isNumber],
    ]),
  ],
  [
    'progress',
    shape([
      ['processed', isNumber, true],
      ['total', isNumber],
    ]),
  ],
  ['correlationId', isString],
  ['parentId', isString],
  ['retryOf', isString],
  ['idempotencyKey', isString],
  [
    'context',
    shape([
      ['ip', isString],
      ['userAgent', isString],
      ['requestId', isString],
    ]),
  ],
  ['retryable', isBoolean],
  ['retriggerUrl', isString],
  ['completedAt', isString],
  ['durationMs', isNumber],
  ['heartbeatAt', isString],
  ['leaseExpiresAt', isString],
]);

export function describeIssue(issue: z.core.$ZodIssue): string {
  // zod's default "Invalid input: expected string, received undefined" reads better as "is required".
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'is required';
  return /^[A-Z][a-z]/.test(issue.message)
    ? issue.message.charAt(0).toLowerCase() + issue.message.slice(1)
    : issue.message;
}
