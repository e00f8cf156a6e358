/**
 * Starts the example: opens the store named by the environment, seeds it on first start, builds the
 * dashboard when needed, serves everything and keeps live activity flowing.
 *
 * Environment: PORT (default 5173), HOST, ACTIVITY_DB (SQLite file), ACTIVITY_PG_URL / DATABASE_URL
 * (PostgreSQL), CLICKHOUSE_URL (ClickHouse), SEED_COUNT (default 100000), SIMULATE=0 (no live activity),
 * JOB_DURATION_MS (simulated job length), TICK_MS (simulator interval), RETRY_DURATION_MS and
 * RETRY_FAILURE_RATE (retried jobs), WEB_DIR / OUTBOX_DIR / EXPORT_DIR (folders; tests use temp ones),
 * ASYNC_EXPORT_THRESHOLD (rows above which exports are emailed), SKIP_BUILD=1 (serve WEB_DIR as is).
 */

import { startWineClub } from './app.js';
import { ensureWebBuild } from './build.js';
import { isEmpty, seedActivity, topUpActivity } from './seed.js';
import { openStore } from './store.js';

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name}: expected a non-negative number, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const started = Date.now();
  const port = numberEnv('PORT', 5173);
  const seedCount = numberEnv('SEED_COUNT', 100_000);
  const jobDurationMs = numberEnv('JOB_DURATION_MS', 20_000);
  const { store, kind, location } = await openStore();
  console.log(`store: ${kind} (${location})`);

  const webDir = process.env.WEB_DIR || undefined;
  const build =
    process.env.SKIP_BUILD === '1'
      ? Promise.resolve(false)
      : ensureWebBuild({ outDir: webDir, log: (l) => console.log(l) });
  if (seedCount > 0 && (await isEmpty(store))) {
    console.log(`empty store: seeding ${seedCount.toLocaleString('en-US')} entries (two years of history) …`);
    const result = await seedActivity(store, { count: seedCount });
    console.log(
      `seeded ${result.inserted.toLocaleString('en-US')} entries in ${(result.ms / 1000).toFixed(1)} s`,
    );
  } else if (seedCount > 0) {
    const added = await topUpActivity(store);
    if (added > 0)
      console.log(`the demo was stopped a while: added ${added.toLocaleString('en-US')} recent entries`);
  }
  await build;

  const app = await startWineClub({
    store,
    port,
    host: process.env.HOST,
    webDir,
    outboxDir: process.env.OUTBOX_DIR || undefined,
    exportDir: process.env.EXPORT_DIR || undefined,
    asyncExportThreshold: numberEnv('ASYNC_EXPORT_THRESHOLD', 5000),
    simulator: process.env.SIMULATE === '0' ? false : { jobDurationMs, tickMs: numberEnv('TICK_MS', 4000) },
    retryJobs: {
      durationMs: numberEnv('RETRY_DURATION_MS', 8000),
      failureRate: numberEnv('RETRY_FAILURE_RATE', 0.15),
    },
  });
  console.log(`\n  Wine club demo ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`  ➜  Dashboard:  ${app.url}/activity`);
  console.log(`  ➜  Dev inbox:  ${app.url}/dev/inbox`);
  console.log(`  Signed in as Riley Park (owner); switch team member in the top bar. Ctrl+C to stop.\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping …');
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
