/**
 * Runs one memory measurement in a fresh process (so RSS figures do not mix) and prints one JSON line.
 *   record <events> <queueBytes> [stalled]  — record into a deliberately slowed store (or one that never answers)
 *   export <dbPath> <rows>          — stream <rows> entries of a seeded SQLite file to CSV
 */
import { createActivity } from '../packages/sdk/src/core/index.js';
import { createExporter } from '../packages/sdk/src/server/index.js';
import { createSqliteStore } from '../packages/sdk/src/sqlite/index.js';
import { createMemoryStore } from '../packages/sdk/src/testing/index.js';
import type { ActivityStore, Viewer } from '../packages/sdk/src/types.js';
import { metadataOfAboutOneKb } from './lib.js';

const [mode, a, b] = process.argv.slice(2);
let peak = 0;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
const sampler = setInterval(sample, 5);

if (mode === 'record') {
  const events = Number(a);
  const queueBytes = Number(b);
  const stalled = process.argv[5] === 'stalled';
  const memory = createMemoryStore();
  // A store that takes 20 ms per batch and keeps nothing: the queue must stay bounded while it lags.
  const slow: ActivityStore = {
    ...memory,
    append: async (entries) => {
      // Stalled: the store never answers (the write deadline, 30 s, is longer than the run).
      await new Promise((r) => (stalled ? undefined : setTimeout(r, 20)));
      return { inserted: entries.length, duplicates: 0 };
    },
  };
  const activity = createActivity({
    store: slow,
    defaultOrgId: 'org_rss',
    batchSize: 500,
    maxQueueBytes: queueBytes,
    overflow: 'drop-oldest',
  });
  const payloads = Array.from({ length: 64 }, (_, i) => metadataOfAboutOneKb(i));
  global.gc?.();
  await new Promise((r) => setTimeout(r, 50));
  const before = process.memoryUsage().rss;
  peak = before;
  for (let i = 0; i < events; i++) {
    activity.record({
      type: 'BACKGROUND_JOB',
      action: 'PROCESS_RELEASE_PAYMENTS',
      entity: { type: 'release', id: `rel_${i % 50}` },
      metadata: payloads[i % 64],
    });
    if (i % 2_000 === 1_999) {
      sample();
      await new Promise((r) => setImmediate(r));
    }
  }
  sample();
  const stats = activity.stats();
  clearInterval(sampler);
  console.log(
    JSON.stringify({
      before,
      peak,
      growth: peak - before,
      dropped: stats.dropped,
      persisted: stats.persisted,
    }),
  );
  process.exit(0);
} else if (mode === 'export') {
  const store = createSqliteStore({ path: String(a), readonly: true });
  const rows = Number(b);
  const viewer: Viewer = { orgId: 'org_export', userId: 'u_bench', permissions: ['read', 'export'] };
  const recorder = createActivity({ store: createMemoryStore(), defaultOrgId: 'org_export' });
  const exporter = createExporter({ store, activity: recorder, secret: 'bench-secret-0123456789' });
  // The seeded file holds exactly the rows to export (one org): the filter spans all of it.
  const reader = exporter.stream(viewer, { from: '2000-01-01T00:00:00.000Z' }).getReader();
  let bytes = 0;
  const started = Date.now();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
  }
  const ms = Date.now() - started;
  sample();
  clearInterval(sampler);
  console.log(JSON.stringify({ rows, bytes, ms, rss: process.memoryUsage().rss, peak }));
  process.exit(0);
}
