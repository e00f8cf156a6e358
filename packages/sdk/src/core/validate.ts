/**
 * Runtime validation of fully built entries: a hostile-input-safe deep copy (sanitize.ts) followed by
 * the event model's schema (schema.ts), then serialisation with the size check. Everything that leaves
 * here is plain JSON that PostgreSQL jsonb, SQLite and ClickHouse accept as is.
 */
import { ActivityError } from '../errors.js';
import type { ActivityEntry } from '../types.js';
import {
  asActivityError,
  boundText,
  isPlainJson,
  joinPath,
  newCheck,
  newWalk,
  resolveLimits,
  type ValidationLimits,
  walkValue,
} from './sanitize.js';
import {
  describeIssue,
  type Fields,
  fastEntrySchema,
  matchesEntryShape,
  meetsFieldRules,
  strictEntrySchema,
  takeRewrites,
} from './schema.js';

export {
  boundKey,
  boundText,
  checkDiffSize,
  cleanString,
  DEFAULT_LIMITS,
  isSnapshotSafe,
  isStorableId,
  joinPath,
  resolveLimits,
  sanitizeJson,
  type ValidationLimits,
} from './sanitize.js';

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
    takeRewrites();
    if (!meetsFieldRules(candidate)) return undefined;
    const entry = candidate as unknown as ActivityEntry;
    if (!rewrite(entry) && !takeRewrites()) {
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
