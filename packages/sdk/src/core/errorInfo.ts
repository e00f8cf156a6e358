/** Reading what host code throws or hands in, without ever throwing while doing it. */
import { ActivityError } from '../errors.js';
import type { ActivityEntry, ActivityErrorInfo } from '../types.js';
import type { ActivityErrorHandler } from './api.js';
import { boundText } from './validate.js';

/** A short name of a value's kind for error messages ("null", "an array", "string" …). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** `String(value)`, or a placeholder when converting throws (a hostile `toString`). */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '[unprintable value]';
  }
}

/** Turns anything thrown into the stored error shape; never throws itself. */
export function toErrorInfo(error: unknown): ActivityErrorInfo {
  try {
    if (error !== null && typeof error === 'object') {
      const e = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
      const info: ActivityErrorInfo = {
        name: typeof e.name === 'string' && e.name !== '' ? e.name : 'Error',
        // String() of a huge array joins every item: name its size instead (bounded work).
        message:
          typeof e.message === 'string'
            ? e.message
            : Array.isArray(error)
              ? `[an array of ${error.length} items]`
              : safeString(error),
      };
      if (typeof e.stack === 'string') info.stack = e.stack;
      if (typeof e.code === 'string') info.code = e.code;
      return info;
    }
    return { name: 'Error', message: typeof error === 'string' ? error : safeString(error) };
  } catch {
    return { name: 'Error', message: '[error could not be read]' };
  }
}

/** Anything thrown while reading host input, as the INVALID_EVENT naming `field` (the input when unknown). */
export function asActivityError(error: unknown, field = 'input'): ActivityError {
  if (error instanceof ActivityError) return error;
  // The message is the thrower's: bounded, so a hostile 50 MB message is not copied into every report.
  return new ActivityError(
    'INVALID_EVENT',
    `${field} could not be read: ${boundText(toErrorInfo(error).message)}`,
    { cause: error, field },
  );
}

/** A plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Removes undefined-valued keys, so validation sees only what the caller set. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}

/** Receives a problem hidden from host code (undefined: nobody listens, so nothing is built for it). */
export type Reporter = ((error: ActivityError, entry?: Partial<ActivityEntry>) => void) | undefined;

/** The host's `onError` as a {@link Reporter}: a throwing handler never turns into a throw inside record(). */
export function toReporter(onError: ActivityErrorHandler | undefined): Reporter {
  if (onError === undefined) return undefined;
  return (error, entry) => {
    try {
      onError(error, entry);
    } catch {
      // Swallowed: the pipeline's callers must never see it.
    }
  };
}
