/**
 * The wine club's background jobs, simulated: they take real time, report progress on the job run and
 * sometimes fail the way the real integrations do. The simulator starts them; retry handlers re-run them.
 */
import type { JobRun } from '@activity/sdk';
import type { HostData } from './data.js';

/** Knobs shared by every simulated job. */
export interface JobSimulation {
  /** Wall time of one run. */
  durationMs: number;
  /** Chance (0–1) that the run fails. */
  failureRate: number;
  /** Stops the run early (server shutdown). */
  signal?: AbortSignal | undefined;
  /** Random source, replaceable for determinism. @default Math.random */
  random?: (() => number) | undefined;
}

/** An error shaped like the Square SDK's, so the stack trace in the log looks like the real thing. */
export class SquareApiError extends Error {
  override name = 'SquareApiError';
  /** Square's error category. */
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

/** An error from the card processor during a payment run. */
export class PaymentRunError extends Error {
  override name = 'PaymentRunError';
  /** Processor error code. */
  readonly code = 'STRIPE_API_UNAVAILABLE';
}

const SQUARE_FAILURES: [string, string][] = [
  [
    'Square API responded 503 Service Unavailable (POST /v2/inventory/counts/batch-retrieve)',
    'SERVICE_UNAVAILABLE',
  ],
  ['Square API responded 429 Too Many Requests: rate limit exceeded', 'RATE_LIMITED'],
  ['request to https://connect.squareup.com/v2/catalog/list failed, reason: ETIMEDOUT', 'ETIMEDOUT'],
];

/** Waits `ms`; rejects early when `signal` aborts. The listener goes when the wait ends either way. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    // One signal (the server's or the simulator's) lives as long as the process: a listener left on it
    // after each step piled up (MaxListenersExceededWarning after 11 steps) and kept every closure alive.
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Throws the way the Square client does, from named frames so the stack reads like production. */
function squareRequest(random: () => number): never {
  const [message, code] = SQUARE_FAILURES[Math.floor(random() * SQUARE_FAILURES.length)] ??
    SQUARE_FAILURES[0] ?? ['', ''];
  throw new SquareApiError(message, code);
}

/**
 * Syncs stock counts from Square into the product catalog, `total` items in steps with progress.
 * Resolves with the job's result metadata; throws a {@link SquareApiError} on a simulated outage.
 */
export async function syncSquareStock(
  run: Pick<JobRun, 'progress'>,
  data: HostData,
  sim: JobSimulation,
): Promise<{ synced: number; skipped: number }> {
  const random = sim.random ?? Math.random;
  const total = 60 + Math.floor(random() * 140);
  const steps = 10;
  const failAt = random() < sim.failureRate ? 3 + Math.floor(random() * 6) : -1;
  let synced = 0;
  let skipped = 0;
  run.progress(0, total);
  for (let step = 1; step <= steps; step++) {
    await sleep(sim.durationMs / steps, sim.signal);
    if (step === failAt) squareRequest(random);
    const chunk = step === steps ? total - synced - skipped : Math.floor(total / steps);
    const skip = Math.floor(random() * 2);
    synced += chunk - skip;
    skipped += skip;
    const product = data.products[Math.floor(random() * data.products.length)];
    if (product) product.stock = Math.max(0, product.stock + Math.floor(random() * 13) - 6);
    run.progress(synced + skipped, total);
  }
  return { synced, skipped };
}

/**
 * Charges every member of a release, with progress; a few cards decline (counted, not fatal). Throws a
 * {@link PaymentRunError} when the simulated processor outage hits.
 */
export async function processReleasePayments(
  run: Pick<JobRun, 'progress'>,
  members: number,
  sim: JobSimulation,
): Promise<{ processed: number; succeeded: number; failed: number; amountCents: number }> {
  const random = sim.random ?? Math.random;
  const steps = 10;
  const failAt = random() < sim.failureRate ? 4 + Math.floor(random() * 5) : -1;
  let processed = 0;
  let failed = 0;
  run.progress(0, members);
  for (let step = 1; step <= steps; step++) {
    await sleep(sim.durationMs / steps, sim.signal);
    if (step === failAt) {
      throw new PaymentRunError(
        `Stripe API unavailable after ${processed.toString()} of ${members.toString()} charges (HTTP 502)`,
      );
    }
    const chunk = step === steps ? members - processed : Math.floor(members / steps);
    processed += chunk;
    failed += Math.floor(random() * Math.max(1, chunk / 20));
    run.progress(processed, members);
  }
  return { processed, succeeded: processed - failed, failed, amountCents: (processed - failed) * 8999 };
}
