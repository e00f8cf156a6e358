/** Every error code the SDK can report. */
export type ActivityErrorCode =
  | 'INVALID_EVENT'
  | 'EVENT_TOO_LARGE'
  | 'QUEUE_FULL'
  | 'DROPPED'
  | 'STORE_FAILED'
  | 'TIMEOUT'
  | 'SHUTDOWN'
  | 'CONFIG'
  | 'INVALID_FILTER'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'NOT_RETRYABLE'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'HTTP'
  | 'NETWORK';

/** The one error class crossing the SDK's API. */
export class ActivityError extends Error {
  override readonly name = 'ActivityError';
  /** What went wrong, as a stable code. */
  readonly code: ActivityErrorCode;
  /** The field or parameter at fault, when there is one (`metadata.total`, `types`). */
  readonly field: string | undefined;
  /** HTTP status, for errors from the query API. */
  readonly status: number | undefined;

  constructor(
    code: ActivityErrorCode,
    message: string,
    options: { cause?: unknown; field?: string | undefined; status?: number | undefined } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.status = options.status;
  }

  /** A plain JSON shape for HTTP responses. */
  toJSON(): { code: ActivityErrorCode; message: string; field?: string } {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

/** True when `value` is an {@link ActivityError}, optionally of one code. */
export function isActivityError(value: unknown, code?: ActivityErrorCode): value is ActivityError {
  return value instanceof ActivityError && (code === undefined || value.code === code);
}
