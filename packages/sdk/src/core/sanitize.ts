/**
 * The hostile-input-safe side of validation: a bounded deep copy of host input into plain JSON
 * (`sanitizeJson`), the size pre-check of a diff's inputs, and the cheap plain-JSON check `record()`
 * makes before it snapshots. Work and error text are bounded by the input's real size: a sparse array,
 * a throwing getter, a Proxy or a 50 MB key cost no more than their bytes, and never throw raw.
 */
import { ActivityError } from '../errors.js';

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

/** {@link DANGEROUS_KEYS} as comparisons: cheaper than hashing every key of a hot check. */
function isDangerousKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

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

/** Every character {@link NOT_IN_IDENTIFIER} could match, without its lookarounds: a cheap first test. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: identifiers must not carry control characters.
const MAYBE_NOT_IN_IDENTIFIER = /[\u0000-\u001f\u007f\uD800-\uDFFF]/;

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
export interface Walk {
  limits: ValidationLimits;
  /** Containers being walked, outermost first (depth is capped, so a linear scan finds cycles fast). */
  open: object[];
  /** Keys from the walk's root to the value being walked. */
  keys: (string | number)[];
  /** Path of the walk's root ('' for the entry itself). */
  root: string;
  budget: number;
}

export function newWalk(limits: ValidationLimits, root: string): Walk {
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

export function walkValue(walk: Walk, value: unknown, depth: number): unknown {
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
export function asActivityError(error: unknown, path: string): ActivityError {
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

/** State of one {@link isPlainJson} check. */
export interface Check {
  limits: ValidationLimits;
  open: object[];
  budget: number;
  /** Longest string or key accepted: `maxStringLength`, or more where the exact path decides later. */
  maxString: number;
  /** Accept valid Date objects (JSON.stringify and the exact walk both store their ISO form). */
  dates: boolean;
  /**
   * Whether objects' keys are listed with `for…in` (no array per object: half the check's cost)
   * rather than `Object.keys`. Only while `Object.prototype` has no enumerable key, so that both
   * list exactly the own enumerable keys (see {@link newCheck}).
   */
  forIn: boolean;
}

/** True when no enumerable key was added to `Object.prototype` (prototype pollution), as is normal. */
function prototypeIsClean(): boolean {
  for (const _ in Object.prototype) return false;
  return true;
}

/** A fresh {@link isPlainJson} check under `limits`, listing keys with `for…in` unless the prototype is polluted. */
export function newCheck(limits: ValidationLimits): Check {
  return {
    limits,
    open: [],
    budget: 0,
    maxString: limits.maxStringLength,
    dates: false,
    forIn: prototypeIsClean(),
  };
}

/**
 * One member of an object under {@link isPlainJson}: the key's own checks, then its value. A key
 * enumerated from a prototype polluted during the walk only makes the check stricter.
 */
function isPlainMember(check: Check, object: object, key: string, depth: number): boolean {
  if (key.length > check.maxString || isDangerousKey(key)) return false;
  check.budget += key.length + 3;
  return isPlainJson(check, (object as Record<string, unknown>)[key], depth + 1);
}

/**
 * True when `value` is plain JSON that the exact walk would copy unchanged: only plain objects, arrays
 * and JSON primitives, within every limit, no keys to drop. Reads without copying; anything else
 * (including input the exact path rejects) answers false. Strings needing cleaning are the caller's
 * to rule out (see {@link prepareEntryFast}).
 */
export function isPlainJson(check: Check, value: unknown, depth: number): boolean {
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
  } else if (check.forIn) {
    check.budget += 2;
    let count = 0;
    for (const key in value) {
      if (++count > limits.maxKeys || !isPlainMember(check, value, key, depth)) return false;
    }
  } else {
    const names = Object.keys(value);
    if (names.length > limits.maxKeys) return false;
    check.budget += 2;
    for (const key of names) if (!isPlainMember(check, value, key, depth)) return false;
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
    const check = newCheck(limits);
    check.maxString = limits.maxBytes;
    check.dates = true;
    if (!isPlainJson(check, candidate, 0)) return false;
    for (const [outer, inner] of IDENTIFIER_PARTS) {
      const value =
        inner === undefined
          ? candidate[outer as string]
          : (candidate[outer as string] as Record<string, unknown> | undefined)?.[inner];
      // The cheap class first: the precise pattern (with lookarounds) only for the rare suspect.
      if (typeof value === 'string' && MAYBE_NOT_IN_IDENTIFIER.test(value) && NOT_IN_IDENTIFIER.test(value)) {
        return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}
