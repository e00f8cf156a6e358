/**
 * Deadlines for store calls: a store that accepts a request and never answers (a frozen primary, a
 * black-holed network) must not hold the writer, `flush()` or `shutdown()` forever.
 */
import { ActivityError } from '../errors.js';

/**
 * Settles like `promise`, or rejects with `ActivityError('TIMEOUT')` once `ms` pass first. The late
 * outcome of `promise` is ignored (its rejection is caught so it never surfaces as unhandled). A `ms`
 * of 0 or Infinity means no deadline.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0) || ms === Number.POSITIVE_INFINITY) return promise;
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
      timer = undefined;
      reject(new ActivityError('TIMEOUT', `${what} did not answer within ${ms} ms`));
    }, ms);
    // A deadline alone must not keep the host process alive.
    timer.unref?.();
    promise.then(
      (value) => {
        if (timer === undefined) return;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (timer === undefined) return;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Resolves after `ms`; an unref'd timer, so waiting never keeps the process alive by itself. */
export function delay(ms: number, keepAlive = true): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (!keepAlive) timer.unref?.();
  });
}

/**
 * Calls the store under the write deadline: a synchronous throw becomes a rejection, and a call that
 * passes `ms` rejects with `ActivityError('TIMEOUT')` after `onTimeout` counted it.
 */
export function storeCall<T>(
  call: () => Promise<T>,
  ms: number,
  what: string,
  onTimeout?: () => void,
): Promise<T> {
  let promise: Promise<T>;
  try {
    promise = Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
  return withDeadline(promise, ms, what).catch((error: unknown) => {
    if (isTimeout(error)) onTimeout?.();
    throw error;
  });
}

/** True for the error of a passed deadline. */
export function isTimeout(error: unknown): boolean {
  return error instanceof ActivityError && error.code === 'TIMEOUT';
}

/** Resolves when `work` does or `timeoutMs` passes (true when the work finished first). */
export function within(work: Promise<unknown>, timeoutMs: number | undefined): Promise<boolean> {
  if (timeoutMs === undefined || !(timeoutMs >= 0) || timeoutMs === Number.POSITIVE_INFINITY) {
    return work.then(() => true);
  }
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void work.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
