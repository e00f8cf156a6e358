/**
 * Child process of `bufferCrash.test.ts`: a host recording with plain `record()` into a disk-buffered
 * recorder (SQLite store). Each entry gets its id from the host, logged synchronously to an append-only
 * file before the call (`S id`) and as soon as `record()` returned it (`A id`): accepted. The test
 * SIGKILLs it at a random moment; the next child on the same buffer folder replays what was left.
 *
 * Config (one JSON argument): `{ db, buffer, log, tag, produce }`. With `produce: false` it replays,
 * shuts down and reports its stats.
 */
import { appendFileSync } from 'node:fs';
import { createActivity } from '../../src/core/activity.js';
import { createSqliteStore } from '../../src/sqlite.js';

interface Config {
  db: string;
  buffer: string;
  log: string;
  tag: string;
  produce: boolean;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const store = createSqliteStore({ path: config.db });
const activity = createActivity({
  store,
  defaultOrgId: 'org_buffer',
  flushIntervalMs: 20,
  batchSize: 50,
  buffer: { path: config.buffer },
});
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

say({ event: 'started', replayed: activity.stats().replayed });
if (config.produce) {
  say({ event: 'producing' });
  let seq = 0;
  // Bursts between turns of the event loop, so kills land while the writer is mid-batch too.
  const tick = () => {
    const burst = 1 + Math.floor(Math.random() * 40);
    let lines = '';
    for (let i = 0; i < burst; i++) {
      const id = `${config.tag}-${seq++}`;
      appendFileSync(config.log, `S ${id}\n`);
      const got = activity.record({
        id,
        type: 'SYSTEM_EVENT',
        action: 'buffer.probe',
        actor: { kind: 'system', id: 'buffer-child' },
        metadata: { seq },
      });
      if (got === id) lines += `A ${id}\n`;
      appendFileSync(config.log, lines);
      lines = '';
    }
    setImmediate(tick);
  };
  tick();
} else {
  await activity.shutdown({ timeoutMs: 30_000 });
  await store.close();
  say({ event: 'done', stats: activity.stats() });
}
