/** Shared helpers for the benchmarks: every figure is a ratio against a reference measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "<= 1.5". */
  target: string;
  /** Extra figures printed in the report (the absolute numbers behind a ratio). */
  detail?: string;
}

export interface BenchOptions {
  /** Smoke mode for CI: small sizes, proves the benchmark runs; numbers are not meaningful. */
  quick: boolean;
}

/** Nanoseconds per operation of `fn` over `iterations` calls, after a warm-up. */
export function nsPerOp(fn: (i: number) => void, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 2_000); i++) fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** Milliseconds taken by an async function. */
export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The p-th percentile (0–100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** Median of a list. */
export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Rounds for display. */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A ~1 KB metadata object like a real job or webhook entry carries. */
export function metadataOfAboutOneKb(i: number): Record<string, unknown> {
  return {
    releaseId: `rel_${i % 97}`,
    release: 'Spring 2026 Reds',
    processed: i % 500,
    total: 500,
    durationMs: 1234 + (i % 100),
    batch: Array.from({ length: 8 }, (_, k) => ({
      contactId: `con_${(i + k) % 10_000}`,
      amountCents: 4_500 + k * 100,
      currency: 'USD',
      outcome: k % 5 === 0 ? 'retry' : 'charged',
    })),
    source: { integration: 'stripe', account: 'acct_1NxYz', livemode: false },
    notes: 'Charged club members for the spring allocation; declined cards are retried after 24 hours.',
  };
}
