/**
 * Memory figures, each from a fresh child process:
 * `record-rss-plateau` (peak RSS recording 1M events into a stalled store ÷ peak at 100k, same bound),
 * `record-rss-overhead-mib` (peak growth at 1M minus the queue bound), and
 * `export-rss-ratio` (RSS after streaming 1M entries to CSV ÷ after 100k), with `export-rows-per-s`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createSqliteStore } from '../packages/sdk/src/sqlite/index.js';
import { generateActivityBatches } from '../packages/sdk/src/testing/index.js';
import { type BenchOptions, type BenchResult, round } from './lib.js';

const root = join(import.meta.dirname, '..');
const tmp = join(import.meta.dirname, '.tmp-rss');

function child(args: string[]): Record<string, number> {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'rss-child.ts'), ...args],
    {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const line = out.trim().split('\n').pop() ?? '{}';
  return JSON.parse(line);
}

async function seed(path: string, count: number): Promise<void> {
  const store = createSqliteStore({ path });
  for (const batch of generateActivityBatches({
    count,
    batchSize: 20_000,
    orgIds: ['org_export'],
    seed: 3,
    now: new Date('2026-11-01T00:00:00Z'),
    spanDays: 700,
  })) {
    await store.append(batch);
  }
  await store.close();
}

export async function run({ quick }: BenchOptions): Promise<BenchResult[]> {
  mkdirSync(tmp, { recursive: true });
  try {
    const queueBytes = quick ? 4 * 1024 * 1024 : 16 * 1024 * 1024;
    const events = quick ? 50_000 : 1_000_000;
    const fewer = events / 10;
    // Each from a fresh process: the peak of a burst of `fewer` and of `events` into a store that never answers.
    const few = child(['record', String(fewer), String(queueBytes), 'stalled']);
    const rec = child(['record', String(events), String(queueBytes), 'stalled']);
    const small = quick ? 5_000 : 100_000;
    const large = quick ? 50_000 : 1_000_000;
    const smallDb = join(tmp, 'small.db');
    const largeDb = join(tmp, 'large.db');
    await seed(smallDb, small);
    await seed(largeDb, large);
    const s = child(['export', smallDb, String(small)]);
    const l = child(['export', largeDb, String(large)]);
    return [
      {
        name: 'record-rss-plateau',
        value: round((rec.peak ?? 0) / (few.peak ?? 1)),
        unit: 'ratio',
        target: '<= 1.1',
        detail: `peak RSS ${round((rec.peak ?? 0) / 1048576, 1)} MiB after ${events} events vs ${round((few.peak ?? 0) / 1048576, 1)} MiB after ${fewer}, store stalled, queue bound ${queueBytes / 1048576} MiB`,
      },
      {
        name: 'record-rss-overhead-mib',
        value: round(((rec.growth ?? 0) - queueBytes) / 1048576, 1),
        unit: 'MiB',
        target: 'report (aim <= 48)',
        detail: `RSS +${round((rec.growth ?? 0) / 1048576, 1)} MiB for ${events} events into a stalled store, minus the ${queueBytes / 1048576} MiB bound; dropped ${JSON.stringify(rec.dropped)}`,
      },
      {
        name: 'export-rss-ratio',
        value: round((l.rss ?? 0) / (s.rss ?? 1)),
        unit: 'ratio',
        target: '<= 1.15',
        detail: `RSS ${round((l.rss ?? 0) / 1048576, 1)} MiB after ${large} rows vs ${round((s.rss ?? 0) / 1048576, 1)} MiB after ${small}`,
      },
      {
        name: 'export-rows-per-s',
        value: Math.round((l.rows ?? 0) / ((l.ms ?? 1) / 1000)),
        unit: 'rows/s',
        target: 'report',
        detail: `${large} rows, ${round((l.bytes ?? 0) / 1048576, 1)} MiB of CSV in ${l.ms} ms`,
      },
    ];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
