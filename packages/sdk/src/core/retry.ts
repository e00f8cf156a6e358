/** The retry policy shared by entry writes and job updates: exponential backoff with full jitter. */

/** How failing store calls are retried. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Base of the exponential backoff. */
  retryBaseMs: number;
  /** Ceiling of one delay. */
  retryMaxMs: number;
  /** Source of jitter in [0, 1). @default Math.random (read at each call, so tests can stub it) */
  random?: (() => number) | undefined;
}

/** Full jitter: uniform in [0, min(max, base · 2^(attempt−1))]. */
export function backoff(attempt: number, policy: RetryPolicy): number {
  const random = policy.random ?? Math.random;
  return random() * Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** (attempt - 1));
}

/** Resolves after `ms` on the host's timers (fake ones in tests). */
export function sleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}
