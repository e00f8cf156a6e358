/**
 * Runtime validation of fully built entries: a hostile-input-safe deep copy (`sanitizeJson`) followed
 * by a zod schema of the event model. Everything that leaves here is plain JSON that PostgreSQL jsonb,
 * SQLite and ClickHouse accept as is.
 */
import { z } from 'zod';
import { ActivityError } from '../errors.js';
import { ACTIVITY_STATUSES, ACTIVITY_TYPES, ACTOR_KINDS, type ActivityEntry } from '../types.js';
import { formatInstant, isCanonicalInstant, parseInstant } from './isoDate.js';

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

/** Longest key an error's field path shows in full; longer ones are cut with a length note. */
const MAX_KEY_IN_PATH = 64;
/** Most keys an error's field path names; deeper ones are elided from the middle. */
const MAX_KEYS_IN_PATH = 16;
/** Longest text taken from input (a thrown error's message) into an error message. */
const MAX_QUOTED_TEXT = 512;

/**
 * One path segment as errors show it: a key past 64 characters is cut, with an ellipsis and its
 * length, so a 50 MB key costs an error 100 bytes, not 50 MB.
 */
export function boundKey(key: string | number): string {
  const text = String(key);
  return text.length <= MAX_KEY_IN_PATH ? text : `${text.slice(0, MAX_KEY_IN_PATH)}…(${text.length} chars)`;
}

/** Joins path segments under `root` with every segment bounded ({@link boundKey}) and at most 16 of them. */
export function joinPath(root: string, keys: readonly (string | number)[]): string {
  const parts: string[] = root === '' ? [] : [boundText(root, MAX_KEY_IN_PATH * MAX_KEYS_IN_PATH)];
  const shown =
    keys.length <= MAX_KEYS_IN_PATH
      ? keys.map(boundKey)
      : [
          ...keys.slice(0, MAX_KEYS_IN_PATH / 2).map(boundKey),
          `…(${keys.length - MAX_KEYS_IN_PATH} more)`,
          ...keys.slice(-MAX_KEYS_IN_PATH / 2).map(boundKey),
        ];
  return [...parts, ...shown].join('.');
}

/** Text from input as an error message quotes it: at most `max` characters, with a length note past that. */
export function boundText(text: string, max = MAX_QUOTED_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
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

/**
 * Entry fields that identify something: lookups, idempotency and links match them exactly, so they
 * are refused rather than cleaned when they hold NUL or an unpaired surrogate (a cleaned id
 * would be stored under another name than the one record() returned).
 */
const IDENTIFIER_PATHS = new Set([
  'id',
  'orgId',
  'idempotencyKey',
  'correlationId',
  'parentId',
  'retryOf',
  'actor.id',
  'entity.id',
  'webhook.eventId',
]);

const IDENTIFIER_PARTS = [...IDENTIFIER_PATHS].map((path) => path.split('.'));

const NOT_IN_IDENTIFIER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: identifiers must not carry control characters.
  /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * True when `value` could be a stored identifier: 1-256 characters, no control characters and no
 * unpaired surrogates (PostgreSQL text cannot hold NUL). A server answers 404 for anything else
 * instead of asking a store.
 */
export function isStorableId(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= 256 && !NOT_IN_IDENTIFIER.test(value)
  );
}

/**
 * State shared by one walk. `budget` is a lower bound of the JSON size, to stop huge inputs early.
 * The field path is kept as a stack of keys and joined only when an error names it: building a path
 * string per value cost more than the rest of the walk.
 */
interface Walk {
  limits: ValidationLimits;
  /** Containers being walked, outermost first (depth is capped, so a linear scan finds cycles fast). */
  open: object[];
  /** Keys from the walk's root to the value being walked. */
  keys: (string | number)[];
  /** Path of the walk's root ('' for the entry itself). */
  root: string;
  budget: number;
}

function newWalk(limits: ValidationLimits, root: string): Walk {
  return { limits, open: [], keys: [], root, budget: 0 };
}

function pathOf(walk: Walk): string {
  return joinPath(walk.root, walk.keys);
}

/** True when the walk, from the entry's root, is at one of the {@link IDENTIFIER_PATHS}. */
function atIdentifier(walk: Walk): boolean {
  const { keys } = walk;
  if (walk.root !== '' || keys.length === 0 || keys.length > 2) return false;
  return IDENTIFIER_PATHS.has(keys.length === 1 ? String(keys[0]) : `${keys[0]}.${keys[1]}`);
}

function charge(walk: Walk, bytes: number): void {
  walk.budget += bytes;
  if (walk.budget > walk.limits.maxBytes) {
    throw tooLarge(pathOf(walk), `entry exceeds ${walk.limits.maxBytes} bytes when serialized`);
  }
}

function sanitizeString(walk: Walk, value: string, what: string): string {
  if (value.length > walk.limits.maxStringLength) {
    throw tooLarge(
      pathOf(walk),
      `${what} is ${value.length} characters long, the limit is ${walk.limits.maxStringLength}`,
    );
  }
  // UTF-8 never takes fewer bytes than UTF-16 code units, so length + quotes is a safe lower bound.
  charge(walk, value.length + 3);
  if (!NEEDS_CLEANING.test(value)) return value;
  if (what === 'string' && atIdentifier(walk) && NOT_IN_IDENTIFIER.test(value)) {
    throw invalid(pathOf(walk), 'must not contain NUL, control characters or unpaired surrogates');
  }
  return cleanString(value);
}

function isBinary(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

function walkValue(walk: Walk, value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      return sanitizeString(walk, value, 'string');
    case 'number':
      if (!Number.isFinite(value)) throw invalid(pathOf(walk), `${String(value)} is not a finite number`);
      charge(walk, 1);
      // -0 serializes as 0; normalising keeps the copy equal to its JSON round trip.
      return value === 0 ? 0 : value;
    case 'boolean':
      charge(walk, 4);
      return value;
    case 'undefined':
      return undefined;
    case 'bigint':
      throw invalid(pathOf(walk), 'bigint is not JSON; convert it to a string or number');
    case 'symbol':
      throw invalid(pathOf(walk), 'symbols are not JSON');
    case 'function':
      throw invalid(pathOf(walk), 'functions are not JSON');
  }
  if (value === null) {
    charge(walk, 4);
    return null;
  }
  try {
    return walkObject(walk, value as object, depth);
  } catch (error) {
    // Hostile getters, proxies and toJSON methods throw; report them at the innermost path.
    throw asActivityError(error, pathOf(walk));
  }
}

function walkObject(walk: Walk, object: object, depth: number): unknown {
  const proto: unknown = Object.getPrototypeOf(object);
  // Plain objects and arrays are nearly all a host passes: skip the class checks below for them.
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
    const special = walkSpecial(walk, object, depth);
    if (special !== NOT_SPECIAL) return special;
  }
  if (walk.open.includes(object)) throw invalid(pathOf(walk), 'circular reference');
  if (depth >= walk.limits.maxDepth) {
    throw tooLarge(pathOf(walk), `nested deeper than the limit of ${walk.limits.maxDepth} levels`);
  }
  if (object instanceof Error) {
    // An Error's own fields are not enumerable; keep what a reader needs.
    return walkValue(walk, { name: object.name, message: object.message }, depth);
  }
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    // Like JSON.stringify; the result is walked as data, without calling its own toJSON again.
    const converted: unknown = toJSON.call(object, '');
    if (converted !== null && typeof converted === 'object') {
      walk.open.push(object);
      const out = walkContainer(walk, converted, depth);
      walk.open.pop();
      return out;
    }
    return walkValue(walk, converted, depth);
  }
  return walkContainer(walk, object, depth);
}

const NOT_SPECIAL = Symbol('not special');

/** Values of built-in classes: converted like JSON.stringify would, or rejected with the fix. */
function walkSpecial(walk: Walk, object: object, depth: number): unknown {
  if (object instanceof Date) {
    const time = object.getTime();
    if (Number.isNaN(time)) throw invalid(pathOf(walk), 'invalid Date');
    charge(walk, 26);
    return object.toISOString();
  }
  // Boxed primitives (new String('x')) serialize as their primitive.
  if (object instanceof String || object instanceof Number || object instanceof Boolean) {
    return walkValue(walk, object.valueOf(), depth);
  }
  if (isBinary(object)) throw invalid(pathOf(walk), 'binary data is not supported; encode it as base64 text');
  if (
    object instanceof Map ||
    object instanceof Set ||
    object instanceof WeakMap ||
    object instanceof WeakSet
  ) {
    throw invalid(pathOf(walk), `${object.constructor.name} is not JSON; convert it to an object or array`);
  }
  if (object instanceof Promise) throw invalid(pathOf(walk), 'a Promise is not JSON; await it first');
  return NOT_SPECIAL;
}

function walkContainer(walk: Walk, object: object, depth: number): unknown {
  if (walk.open.includes(object)) throw invalid(pathOf(walk), 'circular reference');
  const { limits, keys } = walk;
  // Errors abandon the walk, so the stacks are only unwound on success (no try/finally on the hot path).
  walk.open.push(object);
  let out: unknown;
  if (Array.isArray(object)) {
    const length = object.length;
    if (length > limits.maxArrayLength) {
      throw tooLarge(pathOf(walk), `array has ${length} items, the limit is ${limits.maxArrayLength}`);
    }
    charge(walk, 2 + length);
    const copy: unknown[] = new Array(length);
    for (let i = 0; i < length; i++) {
      // Read before naming the index: a throwing getter is reported at the array's own path.
      const value: unknown = object[i];
      keys.push(i);
      const item = walkValue(walk, value, depth + 1);
      keys.pop();
      // JSON turns holes and undefined into null inside arrays.
      copy[i] = item === undefined ? null : item;
    }
    out = copy;
  } else {
    const names = Object.keys(object);
    if (names.length > limits.maxKeys) {
      throw tooLarge(pathOf(walk), `object has ${names.length} keys, the limit is ${limits.maxKeys}`);
    }
    charge(walk, 2);
    const copy: Record<string, unknown> = {};
    for (const rawKey of names) {
      if (DANGEROUS_KEYS.has(rawKey)) continue;
      keys.push(rawKey);
      const key = sanitizeString(walk, rawKey, 'key');
      keys.pop();
      if (DANGEROUS_KEYS.has(key)) continue;
      const value: unknown = (object as Record<string, unknown>)[rawKey];
      keys.push(rawKey);
      const item = walkValue(walk, value, depth + 1);
      keys.pop();
      if (item !== undefined) copy[key] = item;
    }
    out = copy;
  }
  walk.open.pop();
  return out;
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
  const walk = newWalk(resolveLimits(limits), path);
  try {
    return walkValue(walk, value, 0);
  } catch (error) {
    throw asActivityError(error, path);
  }
}

/** Depth past which {@link checkDiffSize} stops descending: `diffObjects` refuses deeper input itself. */
const DIFF_DEPTH_CEILING = 500;

/**
 * Bounded pre-check of a value about to be diffed (`before`/`after` of record()), so a huge host object
 * is refused before the diff walks all of it: an array longer than `maxArrayLength`, an object with
 * more than `maxKeys` keys, or more than `maxBytes` of JSON (a lower bound, counted as a tree, so shared
 * references count each time the diff would visit them) throws EVENT_TOO_LARGE naming the path under
 * `path`. Stops at the first excess, so it costs at most about `maxBytes` steps. Cycles are not followed
 * (the diff handles them); hostile getters and proxies throw their own error.
 */
export function checkDiffSize(value: unknown, limits: ValidationLimits, path: string): void {
  if (typeof value !== 'object' || value === null) return;
  const keys: (string | number)[] = [];
  const open = new Set<object>();
  let budget = 0;
  const where = (): string => joinPath(path, keys);
  const charge = (bytes: number): void => {
    budget += bytes;
    if (budget > limits.maxBytes) {
      throw tooLarge(where(), `more than ${limits.maxBytes} bytes to compare; diff smaller objects`);
    }
  };
  const visit = (node: unknown, depth: number): void => {
    if (typeof node === 'string') {
      charge(node.length + 3);
      return;
    }
    if (typeof node !== 'object' || node === null) {
      charge(1);
      return;
    }
    if (open.has(node) || depth > DIFF_DEPTH_CEILING) return;
    if (Array.isArray(node)) {
      if (node.length > limits.maxArrayLength) {
        throw tooLarge(where(), `array has ${node.length} items, the limit is ${limits.maxArrayLength}`);
      }
      charge(2 + node.length);
      open.add(node);
      for (let i = 0; i < node.length; i++) {
        keys.push(i);
        visit(node[i], depth + 1);
        keys.pop();
      }
      open.delete(node);
      return;
    }
    // Dates, boxed values and other class instances: the diff compares them whole.
    const proto: unknown = Object.getPrototypeOf(node);
    if (proto !== Object.prototype && proto !== null) {
      charge(1);
      return;
    }
    const names = Object.keys(node);
    if (names.length > limits.maxKeys) {
      throw tooLarge(where(), `object has ${names.length} keys, the limit is ${limits.maxKeys}`);
    }
    charge(2);
    open.add(node);
    for (const name of names) {
      charge(name.length + 3);
      keys.push(name);
      visit((node as Record<string, unknown>)[name], depth + 1);
      keys.pop();
    }
    open.delete(node);
  };
  visit(value, 0);
}

/** Anything thrown by hostile getters, proxies or toJSON becomes an INVALID_EVENT naming the walk's root. */
function asActivityError(error: unknown, path: string): ActivityError {
  if (error instanceof ActivityError) return error;
  if (error instanceof RangeError) return tooLarge(path, 'nested too deeply to process');
  let reason = 'could not be read';
  try {
    if (error instanceof Error) reason = `could not be read: ${boundText(String(error.message))}`;
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

const strictEntrySchema = entrySchemaOf(true);
const fastEntrySchema = entrySchemaOf(false);

type Fields = Record<string, unknown>;

/** Set when {@link meetsFieldRules} wrote a trimmed id or a normalised time back into the entry. */
let rewroteFields = false;

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
function meetsFieldRules(entry: Fields): boolean {
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

/** UTF-8 byte length of any string: Buffer's native count on Node, {@link utf8Length} elsewhere. */
export const utf8Bytes: (value: string) => number =
  typeof Buffer === 'function' ? (value) => Buffer.byteLength(value, 'utf8') : utf8Length;

/** What the recorder queues: the entry's id and JSON text. */
export interface SerializedEntry {
  id: string;
  /** The entry as stored: validated, redacted, serialised once (stores may write it as is). */
  json: string;
  /** UTF-8 bytes of `json`. */
  bytes: number;
}

/** A validated entry with its JSON text. */
export interface PreparedEntry extends SerializedEntry {
  entry: ActivityEntry;
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
  const { entry, bytes } = prepareEntry(candidate, resolveLimits(limits));
  return { entry, bytes };
}

/**
 * The recorder's one pass over an entry: validate into a private copy, let `rewrite` change that copy
 * in place (redaction), then serialise once and check the size of what will be stored.
 * `limits` must come from {@link resolveLimits}.
 * @throws ActivityError `INVALID_EVENT` or `EVENT_TOO_LARGE`, with `field` naming the offending field.
 */
export function prepareEntry(
  candidate: unknown,
  limits: ValidationLimits,
  rewrite?: (entry: ActivityEntry) => ActivityEntry,
): PreparedEntry {
  try {
    let entry = validateResolved(candidate, limits);
    if (rewrite !== undefined) entry = rewrite(entry);
    const json = JSON.stringify(entry);
    const bytes = utf8Bytes(json);
    if (bytes > limits.maxBytes) {
      const field = largestField(entry);
      throw new ActivityError(
        'EVENT_TOO_LARGE',
        `entry: ${bytes} bytes when serialized, the limit is ${limits.maxBytes}; ${field} is the largest field`,
        { field },
      );
    }
    return { id: entry.id, entry, json, bytes };
  } catch (error) {
    throw asActivityError(error, '');
  }
}

/** The top-level field of a validated entry with the longest JSON: the one to shrink when it is too large. */
function largestField(entry: ActivityEntry): string {
  let largest = 'entry';
  let size = -1;
  for (const [key, value] of Object.entries(entry)) {
    const length = JSON.stringify(value)?.length ?? 0;
    if (length > size) {
      largest = key;
      size = length;
    }
  }
  return largest;
}

/** State of one {@link isPlainJson} check. */
interface Check {
  limits: ValidationLimits;
  open: object[];
  budget: number;
  /** Longest string or key accepted: `maxStringLength`, or more where the exact path decides later. */
  maxString: number;
  /** Accept valid Date objects (JSON.stringify and the exact walk both store their ISO form). */
  dates: boolean;
}

function newCheck(limits: ValidationLimits): Check {
  return { limits, open: [], budget: 0, maxString: limits.maxStringLength, dates: false };
}

/**
 * True when `value` is plain JSON that the exact walk would copy unchanged: only plain objects, arrays
 * and JSON primitives, within every limit, no keys to drop. Reads without copying; anything else
 * (including input the exact path rejects) answers false. Strings needing cleaning are the caller's
 * to rule out (see {@link prepareEntryFast}).
 */
function isPlainJson(check: Check, value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      if (value.length > check.maxString) return false;
      check.budget += value.length + 3;
      return check.budget <= check.limits.maxBytes;
    case 'number':
      check.budget += 1;
      return Number.isFinite(value);
    case 'boolean':
      check.budget += 4;
      return true;
    case 'undefined':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) {
    check.budget += 4;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
    if (!check.dates || proto !== Date.prototype || Reflect.ownKeys(value).length > 0) return false;
    check.budget += 26;
    return !Number.isNaN((value as Date).getTime());
  }
  const { limits, open } = check;
  if (depth >= limits.maxDepth || open.includes(value)) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  open.push(value);
  if (Array.isArray(value)) {
    const length = value.length;
    if (length > limits.maxArrayLength) return false;
    // Each item, a hole included, takes at least a byte: a sparse array is refused before its holes are walked.
    check.budget += 2 + length;
    if (check.budget > limits.maxBytes) return false;
    for (let i = 0; i < length; i++) if (!isPlainJson(check, value[i], depth + 1)) return false;
  } else {
    const names = Object.keys(value);
    if (names.length > limits.maxKeys) return false;
    check.budget += 2;
    for (const key of names) {
      if (DANGEROUS_KEYS.has(key) || key.length > check.maxString) return false;
      check.budget += key.length + 3;
      if (!isPlainJson(check, (value as Record<string, unknown>)[key], depth + 1)) return false;
    }
  }
  open.pop();
  return check.budget <= limits.maxBytes;
}

/**
 * record()'s bounded check before it snapshots a candidate with `JSON.stringify`: true when the
 * candidate is plain JSON within every limit (so the snapshot costs at most about `maxBytes` and
 * means what the exact walk would make of it) and no identifier field holds a character it would
 * refuse. False for anything else, including Map, Set, binary data, Dates, sparse or huge arrays,
 * cycles and input that throws: the caller then validates it in full with {@link prepareEntry},
 * which names the field. Never throws.
 */
export function isSnapshotSafe(candidate: Record<string, unknown>, limits: ValidationLimits): boolean {
  try {
    // Strings past maxStringLength stay deferred (the writer refuses them); past maxBytes they could
    // not be snapshotted in bounded time.
    const check: Check = { ...newCheck(limits), maxString: limits.maxBytes, dates: true };
    if (!isPlainJson(check, candidate, 0)) return false;
    for (const [outer, inner] of IDENTIFIER_PARTS) {
      const value =
        inner === undefined
          ? candidate[outer as string]
          : (candidate[outer as string] as Fields | undefined)?.[inner];
      if (typeof value === 'string' && NOT_IN_IDENTIFIER.test(value)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * The recorder's fast path for the common case: the candidate is checked in place instead of copied,
 * parsed with the non-strict schema, handed to `rewrite` (redaction, in place) and serialised once.
 * Returns exactly what {@link prepareEntry} would, or undefined when it cannot be sure (any special
 * value, limit or error): the caller then runs `prepareEntry`, which decides and reports.
 * The candidate must be private to the caller (it is read several times, and rewritten) and hold no
 * string that needs cleaning: in practice, parsed from a JSON text without `\u` escapes.
 */
export function prepareEntryFast(
  candidate: Record<string, unknown>,
  limits: ValidationLimits,
  rewrite: (entry: ActivityEntry) => ActivityEntry,
): PreparedEntry | undefined {
  try {
    if (!isPlainJson(newCheck(limits), candidate, 0)) return undefined;
    return parseFast(candidate, limits, rewrite);
  } catch {
    return undefined;
  }
}

/** {@link prepareEntryFast} after its plain-JSON check. May throw (its callers catch). */
function parseFast(
  candidate: Record<string, unknown>,
  limits: ValidationLimits,
  rewrite: (entry: ActivityEntry) => ActivityEntry,
): PreparedEntry | undefined {
  const parsed = fastEntrySchema.safeParse(candidate);
  if (!parsed.success || !meetsFieldRules(parsed.data as Fields)) return undefined;
  const entry = rewrite(parsed.data as ActivityEntry);
  const json = JSON.stringify(entry);
  const bytes = utf8Bytes(json);
  if (bytes > limits.maxBytes) return undefined;
  return { id: entry.id, entry, json, bytes };
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
const matchesEntryShape = shape([
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

/**
 * The recorder's path for a queued snapshot (`JSON.stringify` of a built entry): parses it once,
 * checks it in place, lets `rewrite` redact it in place (answering whether it changed anything), and
 * when neither the field rules nor redaction changed it, keeps `json` itself as the stored text instead
 * of serialising again; the text is then exactly what {@link prepareEntry} would produce. Returns
 * undefined when it cannot be sure (the caller runs `prepareEntry` on a fresh parse, which decides).
 * `json` must hold no `\u` escape (strings that may need cleaning); `bytes` is its UTF-8 length.
 */
export function prepareSnapshot(
  json: string,
  bytes: number,
  limits: ValidationLimits,
  rewrite: (entry: ActivityEntry) => boolean,
): PreparedEntry | undefined {
  try {
    const candidate = JSON.parse(json) as Record<string, unknown>;
    if (!isPlainJson(newCheck(limits), candidate, 0)) return undefined;
    if (!matchesEntryShape(candidate)) {
      // Unknown keys or another key order: zod's copy, serialised again.
      return parseFast(candidate, limits, (entry) => {
        rewrite(entry);
        return entry;
      });
    }
    rewroteFields = false;
    if (!meetsFieldRules(candidate)) return undefined;
    const entry = candidate as unknown as ActivityEntry;
    if (!rewrite(entry) && !rewroteFields) {
      return bytes > limits.maxBytes ? undefined : { id: entry.id, entry, json, bytes };
    }
    const text = JSON.stringify(entry);
    const size = utf8Bytes(text);
    return size > limits.maxBytes ? undefined : { id: entry.id, entry, json: text, bytes: size };
  } catch {
    return undefined;
  }
}

function validateResolved(candidate: unknown, resolved: ValidationLimits): ActivityEntry {
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
    throw new ActivityError('INVALID_EVENT', `entry: must be an object, got ${describe(candidate)}`);
  }
  const clean = walkValue(newWalk(resolved, ''), candidate, 0);
  const fast = fastEntrySchema.safeParse(clean);
  if (fast.success && meetsFieldRules(fast.data as Fields)) return fast.data as ActivityEntry;
  const parsed = strictEntrySchema.safeParse(clean);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined ? undefined : joinPath('', issue.path.map(String));
    const reason = issue === undefined ? 'is invalid' : boundText(describeIssue(issue));
    throw new ActivityError('INVALID_EVENT', `${field || 'entry'}: ${reason}`, { field: field || undefined });
  }
  return parsed.data as ActivityEntry;
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
