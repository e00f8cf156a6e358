/**
 * Runtime validation of fully built entries: a hostile-input-safe deep copy (`sanitizeJson`) followed
 * by a zod schema of the event model. Everything that leaves here is plain JSON that PostgreSQL jsonb,
 * SQLite and ClickHouse accept as is.
 */
import { z } from 'zod';
import { ActivityError } from '../errors.js';
import { ACTIVITY_STATUSES, ACTIVITY_TYPES, ACTOR_KINDS, type ActivityEntry } from '../types.js';

/** Size and shape limits applied to every entry. */
export interface ValidationLimits {
  /** Largest serialized entry, in UTF-8 bytes of its JSON. @default 262144 (256 KiB) */
  maxBytes: number;
  /** Deepest nesting of objects and arrays, the entry itself being level 1. @default 12 */
  maxDepth: number;
  /** Longest string (in UTF-16 code units), keys included. @default 32768 */
  maxStringLength: number;
  /** Most keys in one object. @default 200 */
  maxKeys: number;
  /** Most items in one array. @default 1000 */
  maxArrayLength: number;
}

/** The limits used when none are given. */
export const DEFAULT_LIMITS: Readonly<ValidationLimits> = Object.freeze({
  maxBytes: 256 * 1024,
  maxDepth: 12,
  maxStringLength: 32 * 1024,
  maxKeys: 200,
  maxArrayLength: 1000,
});

/** Hard ceiling on maxDepth: the walk is recursive, so this keeps it far from the call-stack limit. */
const DEPTH_CEILING = 256;

/** Keys that would reach an object's prototype when a consumer copies the entry with plain assignment. */
const DANGEROUS_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// Without the `u` flag these match single UTF-16 code units, which is what a lone surrogate is.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point.
const NEEDS_CLEANING = /[\u0000\uD800-\uDFFF]/;

/**
 * Makes a string storable everywhere: NUL characters are removed and lone surrogates become U+FFFD,
 * because PostgreSQL jsonb rejects both and a single bad string must not cost the whole batch.
 */
export function cleanString(value: string): string {
  if (!NEEDS_CLEANING.test(value)) return value;
  return value.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
}

/** Merges partial limits with the defaults and rejects nonsense, so a misconfiguration fails loudly. */
export function resolveLimits(limits?: Partial<ValidationLimits>): ValidationLimits {
  if (limits === undefined) return DEFAULT_LIMITS;
  const merged: ValidationLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ValidationLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) {
      throw new ActivityError('CONFIG', `limits.${key} must be a positive integer, got ${String(value)}`, {
        field: `limits.${key}`,
      });
    }
    merged[key] = key === 'maxDepth' ? Math.min(value, DEPTH_CEILING) : value;
  }
  return merged;
}

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

function label(path: string): string {
  return path === '' ? 'entry' : path;
}

function invalid(path: string, reason: string): ActivityError {
  return new ActivityError('INVALID_EVENT', `${label(path)}: ${reason}`, {
    field: path === '' ? undefined : path,
  });
}

function tooLarge(path: string, reason: string): ActivityError {
  return new ActivityError('EVENT_TOO_LARGE', `${label(path)}: ${reason}`, {
    field: path === '' ? undefined : path,
  });
}

/** State shared by one walk. `budget` is a lower bound of the JSON size, to stop huge inputs early. */
interface Walk {
  limits: ValidationLimits;
  ancestors: Set<object>;
  budget: number;
}

function charge(walk: Walk, bytes: number, path: string): void {
  walk.budget += bytes;
  if (walk.budget > walk.limits.maxBytes) {
    throw tooLarge(path, `entry exceeds ${walk.limits.maxBytes} bytes when serialized`);
  }
}

function sanitizeString(walk: Walk, value: string, path: string, what: string): string {
  if (value.length > walk.limits.maxStringLength) {
    throw tooLarge(
      path,
      `${what} is ${value.length} characters long, the limit is ${walk.limits.maxStringLength}`,
    );
  }
  // UTF-8 never takes fewer bytes than UTF-16 code units, so length + quotes is a safe lower bound.
  charge(walk, value.length + 3, path);
  return cleanString(value);
}

function isBinary(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

function walkValue(walk: Walk, value: unknown, path: string, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      return sanitizeString(walk, value, path, 'string');
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, `${String(value)} is not a finite number`);
      charge(walk, 1, path);
      // -0 serializes as 0; normalising keeps the copy equal to its JSON round trip.
      return value === 0 ? 0 : value;
    case 'boolean':
      charge(walk, 4, path);
      return value;
    case 'undefined':
      return undefined;
    case 'bigint':
      throw invalid(path, 'bigint is not JSON; convert it to a string or number');
    case 'symbol':
      throw invalid(path, 'symbols are not JSON');
    case 'function':
      throw invalid(path, 'functions are not JSON');
  }
  if (value === null) {
    charge(walk, 4, path);
    return null;
  }
  try {
    return walkObject(walk, value as object, path, depth);
  } catch (error) {
    // Hostile getters, proxies and toJSON methods throw; report them at the innermost path.
    throw asActivityError(error, path);
  }
}

function walkObject(walk: Walk, object: object, path: string, depth: number): unknown {
  if (object instanceof Date) {
    const time = object.getTime();
    if (Number.isNaN(time)) throw invalid(path, 'invalid Date');
    charge(walk, 26, path);
    return object.toISOString();
  }
  // Boxed primitives (new String('x')) serialize as their primitive.
  if (object instanceof String || object instanceof Number || object instanceof Boolean) {
    return walkValue(walk, object.valueOf(), path, depth);
  }
  if (isBinary(object)) throw invalid(path, 'binary data is not supported; encode it as base64 text');
  if (
    object instanceof Map ||
    object instanceof Set ||
    object instanceof WeakMap ||
    object instanceof WeakSet
  ) {
    throw invalid(path, `${object.constructor.name} is not JSON; convert it to an object or array`);
  }
  if (object instanceof Promise) throw invalid(path, 'a Promise is not JSON; await it first');
  if (walk.ancestors.has(object)) throw invalid(path, 'circular reference');
  if (depth >= walk.limits.maxDepth) {
    throw tooLarge(path, `nested deeper than the limit of ${walk.limits.maxDepth} levels`);
  }
  if (object instanceof Error) {
    // An Error's own fields are not enumerable; keep what a reader needs.
    return walkValue(walk, { name: object.name, message: object.message }, path, depth);
  }
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    // Like JSON.stringify; the result is walked as data, without calling its own toJSON again.
    const converted: unknown = toJSON.call(object, '');
    if (converted !== null && typeof converted === 'object') {
      walk.ancestors.add(object);
      try {
        return walkContainer(walk, converted, path, depth);
      } finally {
        walk.ancestors.delete(object);
      }
    }
    return walkValue(walk, converted, path, depth);
  }
  return walkContainer(walk, object, path, depth);
}

function walkContainer(walk: Walk, object: object, path: string, depth: number): unknown {
  if (walk.ancestors.has(object)) throw invalid(path, 'circular reference');
  walk.ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      if (object.length > walk.limits.maxArrayLength) {
        throw tooLarge(path, `array has ${object.length} items, the limit is ${walk.limits.maxArrayLength}`);
      }
      charge(walk, 2 + object.length, path);
      const out: unknown[] = new Array(object.length);
      for (let i = 0; i < object.length; i++) {
        const item = walkValue(walk, object[i], join(path, i), depth + 1);
        // JSON turns holes and undefined into null inside arrays.
        out[i] = item === undefined ? null : item;
      }
      return out;
    }
    const keys = Object.keys(object);
    if (keys.length > walk.limits.maxKeys) {
      throw tooLarge(path, `object has ${keys.length} keys, the limit is ${walk.limits.maxKeys}`);
    }
    charge(walk, 2, path);
    const out: Record<string, unknown> = {};
    for (const rawKey of keys) {
      if (DANGEROUS_KEYS.has(rawKey)) continue;
      const childPath = join(path, rawKey);
      const key = sanitizeString(walk, rawKey, childPath, 'key');
      if (DANGEROUS_KEYS.has(key)) continue;
      const item = walkValue(walk, (object as Record<string, unknown>)[rawKey], childPath, depth + 1);
      if (item !== undefined) out[key] = item;
    }
    return out;
  } finally {
    walk.ancestors.delete(object);
  }
}

/**
 * Deep-copies `value` into plain JSON, neutralising or rejecting hostile content.
 * Throws an ActivityError (INVALID_EVENT or EVENT_TOO_LARGE) whose `field` extends `path`; depth counts
 * from `value` itself (level 1). Undefined object members are dropped and undefined array items become null.
 */
export function sanitizeJson(
  value: unknown,
  limits: Partial<ValidationLimits> | undefined,
  path: string,
): unknown {
  const walk: Walk = { limits: resolveLimits(limits), ancestors: new Set(), budget: 0 };
  try {
    return walkValue(walk, value, path, 0);
  } catch (error) {
    throw asActivityError(error, path);
  }
}

/** Anything thrown by hostile getters, proxies or toJSON becomes an INVALID_EVENT naming the walk's root. */
function asActivityError(error: unknown, path: string): ActivityError {
  if (error instanceof ActivityError) return error;
  if (error instanceof RangeError) return tooLarge(path, 'nested too deeply to process');
  let reason = 'could not be read';
  try {
    if (error instanceof Error) reason = `could not be read: ${error.message}`;
  } catch {
    // A hostile error object: keep the generic reason.
  }
  return new ActivityError('INVALID_EVENT', `${label(path)}: ${reason}`, {
    field: path === '' ? undefined : path,
    cause: error,
  });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ids must not carry control characters.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const required = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must be a non-empty string')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters');
const id = required(256);
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
// Stores compare timestamps as text, so every accepted form is normalised to toISOString()'s.
// Hand-rolled rather than z.iso.datetime().transform(): this runs twice per record() and is ~2× cheaper.
const isoTime = z.string().transform((value, ctx) => {
  const time = ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an ISO 8601 date-time with a time zone (2026-03-01T12:00:00Z)',
    });
    return z.NEVER;
  }
  return new Date(time).toISOString();
});
function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const count = z.number().int('must be an integer').min(0, 'must not be negative');

const messageSchema = z.object({
  headers: z.record(z.string(), text(8192)).optional(),
  body: z.unknown().optional(),
});

const entrySchema = z
  .object({
    id,
    orgId: id,
    occurredAt: isoTime,
    recordedAt: isoTime,
    schemaVersion: z.number().int('must be an integer').min(1, 'must be at least 1'),
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
        statusCode: z
          .number()
          .int('must be an integer')
          .min(100, 'must be an HTTP status (100-599)')
          .max(599, 'must be an HTTP status (100-599)')
          .optional(),
        durationMs: z.number().min(0, 'must not be negative').optional(),
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
    completedAt: isoTime.optional(),
    durationMs: z.number().min(0, 'must not be negative').optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.status === 'IN_PROGRESS' && entry.type !== 'BACKGROUND_JOB') {
      ctx.addIssue({
        code: 'custom',
        path: ['status'],
        message: `IN_PROGRESS is only allowed for BACKGROUND_JOB entries, not ${entry.type}`,
      });
    }
  });

/** UTF-8 length of a well-formed string, without allocating (works in browsers as well as Node). */
export function utf8Length(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Validates a fully built entry and returns a sanitised deep copy with its UTF-8 JSON size.
 * Unknown top-level and nested keys are dropped; timestamps are normalised to UTC `toISOString()` form.
 * @throws ActivityError `INVALID_EVENT` or `EVENT_TOO_LARGE`, with `field` naming the offending field.
 */
export function validateEntry(
  candidate: unknown,
  limits?: Partial<ValidationLimits>,
): { entry: ActivityEntry; bytes: number } {
  const resolved = resolveLimits(limits);
  try {
    return validateResolved(candidate, resolved);
  } catch (error) {
    throw asActivityError(error, '');
  }
}

function validateResolved(
  candidate: unknown,
  resolved: ValidationLimits,
): { entry: ActivityEntry; bytes: number } {
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
    throw new ActivityError('INVALID_EVENT', `entry: must be an object, got ${describe(candidate)}`);
  }
  const walk: Walk = { limits: resolved, ancestors: new Set(), budget: 0 };
  const clean = walkValue(walk, candidate, '', 0);
  const parsed = entrySchema.safeParse(clean);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined ? undefined : issue.path.map(String).join('.');
    const reason = issue === undefined ? 'is invalid' : describeIssue(issue);
    throw new ActivityError('INVALID_EVENT', `${field || 'entry'}: ${reason}`, { field: field || undefined });
  }
  const entry = parsed.data as ActivityEntry;
  const bytes = utf8Length(JSON.stringify(entry));
  if (bytes > resolved.maxBytes) {
    throw new ActivityError(
      'EVENT_TOO_LARGE',
      `entry: ${bytes} bytes when serialized, the limit is ${resolved.maxBytes}`,
    );
  }
  return { entry, bytes };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // zod's default "Invalid input: expected string, received undefined" reads better as "is required".
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'is required';
  return /^[A-Z][a-z]/.test(issue.message)
    ? issue.message.charAt(0).toLowerCase() + issue.message.slice(1)
    : issue.message;
}
