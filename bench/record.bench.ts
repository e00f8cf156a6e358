/**
 * `record-vs-pino`: the cost of `activity.record()` (validate, redact, enqueue) against pino's `info()`
 * writing the same object to /dev/null, both measured here in one process.
 * `record-buffered-vs-pino`: `record()` with the disk buffer (one write(2) per entry to a segment file)
 * against pino's `info()` writing the same object to a file with `pino.destination({ sync: false })`.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createActivity } from '../packages/sdk/src/core/index.js';
import { createMemoryStore } from '../packages/sdk/src/testing/index.js';
import type { ActivityStore } from '../packages/sdk/src/types.js';
import { type BenchOptions, type BenchResult, metadataOfAboutOneKb, nsPerOp, round } from './lib.js';

export async function run({ quick }: BenchOptions): Promise<BenchResult[]> {
  const iterations = quick ? 5_000 : 200_000;
  // The store keeps nothing: this measures the caller's cost, not persistence.
  const base = createMemoryStore();
  const store: ActivityStore = {
    ...base,
    append: async (entries) => ({ inserted: entries.length, duplicates: 0 }),
  };
  const activity = createActivity({
    store,
    defaultOrgId: 'org_bench',
    batchSize: 500,
    maxQueueBytes: 512 * 1024 * 1024,
  });
  const logger = pino(pino.destination({ dest: '/dev/null', sync: false }));
  const payloads = Array.from({ length: 64 }, (_, i) => metadataOfAboutOneKb(i));

  const samples: Array<{ record: number; pino: number }> = [];
  for (let round_ = 0; round_ < (quick ? 1 : 5); round_++) {
    const pinoNs = nsPerOp(
      (i) => logger.info({ metadata: payloads[i % 64] }, 'PROCESS_RELEASE_PAYMENTS'),
      iterations,
    );
    const recordNs = nsPerOp(
      (i) =>
        activity.record({
          type: 'BACKGROUND_JOB',
          action: 'PROCESS_RELEASE_PAYMENTS',
          entity: { type: 'release', id: 'rel_1', label: 'Spring 2026 Reds' },
          metadata: payloads[i % 64],
        }),
      iterations,
    );
    samples.push({ record: recordNs, pino: pinoNs });
    await activity.flush();
  }
  await activity.shutdown();
  const best = (k: 'record' | 'pino') => Math.min(...samples.map((s) => s[k]));
  const ratio = best('record') / best('pino');
  const buffered = await bufferedRatio(store, payloads, quick ? 5_000 : 100_000, quick ? 1 : 5);
  return [
    {
      name: 'record-vs-pino',
      value: round(ratio),
      unit: 'ratio',
      target: '<= 1.5',
      detail: `record() ${round(best('record') / 1000, 2)} µs/op, pino.info() ${round(best('pino') / 1000, 2)} µs/op, ${iterations} ops`,
    },
    buffered,
  ];
}

/** `record()` into a disk-buffered recorder ÷ pino writing the same object to a file, best of `rounds`. */
async function bufferedRatio(
  store: ActivityStore,
  payloads: Record<string, unknown>[],
  iterations: number,
  rounds: number,
): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'activity-bench-buffer-'));
  try {
    const activity = createActivity({
      store,
      defaultOrgId: 'org_bench',
      batchSize: 500,
      buffer: { path: join(dir, 'buffer'), maxBytes: 2 * 1024 * 1024 * 1024 },
    });
    const destination = pino.destination({ dest: join(dir, 'pino.log'), sync: false });
    await once(destination, 'ready');
    const logger = pino(destination);
    const samples: Array<{ record: number; pino: number }> = [];
    for (let i = 0; i < rounds; i++) {
      const pinoNs = nsPerOp(
        (n) => logger.info({ metadata: payloads[n % 64] }, 'PROCESS_RELEASE_PAYMENTS'),
        iterations,
      );
      const recordNs = nsPerOp(
        (n) =>
          activity.record({
            type: 'BACKGROUND_JOB',
            action: 'PROCESS_RELEASE_PAYMENTS',
            entity: { type: 'release', id: 'rel_1', label: 'Spring 2026 Reds' },
            metadata: payloads[n % 64],
          }),
        iterations,
      );
      samples.push({ record: recordNs, pino: pinoNs });
      await activity.flush();
      await new Promise<void>((resolve) => destination.flush(() => resolve()));
    }
    await activity.shutdown();
    destination.flushSync();
    destination.end();
    const best = (k: 'record' | 'pino') => Math.min(...samples.map((s) => s[k]));
    return {
      name: 'record-buffered-vs-pino',
      value: round(best('record') / best('pino')),
      unit: 'ratio',
      target: '<= 2',
      detail: `record() with the disk buffer ${round(best('record') / 1000, 2)} µs/op, pino.info() to a file (sync: false) ${round(best('pino') / 1000, 2)} µs/op, ${iterations} ops`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
