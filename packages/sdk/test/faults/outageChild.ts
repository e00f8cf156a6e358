/**
 * Child process of `outage.test.ts`: a host recording 500 events/s with `record()` on a timer into a
 * PostgreSQL store that the test makes unreachable. It measures what the host would feel (event-loop
 * delay, anything thrown into it) and answers one JSON line per stdin command:
 * `stats` (a snapshot), `reset` (restart the event-loop measures), `shutdown` (timed `shutdown({ timeoutMs: 5000 })`), `close` (closes the store
 * and lets the process end by itself).
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createActivity } from '../../src/core/activity.js';
import { createPostgresStore } from '../../src/postgres.js';

const { url, schema, orgId, rate } = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  schema: string;
  orgId: string;
  rate: number;
};
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const storeErrors: string[] = [];
const store = createPostgresStore({
  connectionString: url,
  schema,
  onError: (error) => storeErrors.push(error.code),
});
const activity = createActivity({ store, defaultOrgId: orgId, onError: () => {} });

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

/**
 * Event-loop delay this process caused itself. On a machine shared with other work the OS may not run
 * the process for a while, which `monitorEventLoopDelay` counts as delay too. A probe every 10 ms takes
 * its lateness, bounded by the CPU time the process used meanwhile (all its threads: an upper bound of
 * the main thread's): a loop held by our own code is late by about the CPU it burned; a process the OS
 * left waiting is late with little CPU used.
 */
const PROBE_MS = 10;
let own: number[] = [];
let lastProbe = performance.now();
let lastCpu = process.cpuUsage();
const probe = setInterval(() => {
  const now = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  const lateness = now - lastProbe - PROBE_MS;
  own.push(Math.max(0, Math.min(lateness, (cpu.user + cpu.system) / 1000)));
  lastProbe = now;
  lastCpu = process.cpuUsage();
}, PROBE_MS);

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
let thrown = 0;
let returnedIds = 0;
const TICK_MS = 10;
const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
let seq = 0;
const producer = setInterval(() => {
  for (let i = 0; i < perTick; i++) {
    try {
      const id = activity.record({
        type: 'SYSTEM_EVENT',
        action: 'outage.probe',
        actor: { kind: 'system', id: 'outage-child' },
        metadata: { seq: seq++, note: 'x'.repeat(64) },
      });
      if (id !== undefined) returnedIds++;
    } catch {
      thrown++;
    }
  }
}, TICK_MS);

function snapshot() {
  return {
    stats: activity.stats(),
    storeStats: store.stats(),
    storeErrors: storeErrors.length,
    thrown,
    returnedIds,
    eventLoop: {
      p99Ms: delay.percentile(99) / 1e6,
      maxMs: delay.max / 1e6,
      ownP99Ms: percentile(own, 99),
      ownMaxMs: percentile(own, 100),
      load: os.loadavg()[0],
      cpus: os.availableParallelism(),
    },
  };
}

for await (const line of createInterface({ input: process.stdin })) {
  const { op } = JSON.parse(line) as { op: 'stats' | 'reset' | 'shutdown' | 'close' };
  if (op === 'reset') {
    // Start measuring once warm: loading modules and compiling code are not the outage's doing.
    delay.reset();
    own = [];
    say({ event: 'answer', op });
  }
  if (op === 'stats') say({ event: 'answer', op, ...snapshot() });
  if (op === 'shutdown') {
    const started = performance.now();
    await activity.shutdown({ timeoutMs: 5000 });
    const shutdownMs = performance.now() - started;
    clearInterval(producer);
    clearInterval(probe);
    delay.disable();
    say({ event: 'answer', op, shutdownMs, ...snapshot() });
  }
  if (op === 'close') {
    await store.close();
    say({ event: 'answer', op });
    break;
  }
}
