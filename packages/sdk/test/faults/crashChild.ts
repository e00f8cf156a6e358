/**
 * Child process of `crash.test.ts`: a host that records with concurrent producers through
 * `recordDurable()` and idempotency keys, and logs each key to an append-only file, synchronously,
 * before the call (`S key`) and as soon as its promise resolves (`A key`) or rejects (`F key`). The test
 * SIGKILLs it at a random moment and checks the store against the log.
 *
 * Config (one JSON argument): `{ store: 'sqlite', path }` or `{ store: 'postgres', url, schema }`, plus
 * `log` (the file), `tag` (prefix of new keys), `resend` (keys to send again first), `produce` (keep
 * producing until killed; otherwise shut down and exit after the resend).
 */
import { appendFileSync } from 'node:fs';
import { createActivity } from '../../src/core/activity.js';
import { createPostgresStore } from '../../src/postgres.js';
import { createSqliteStore } from '../../src/sqlite.js';
import type { ActivityStore } from '../../src/types.js';

interface Config {
  store: 'sqlite' | 'postgres';
  path?: string;
  url?: string;
  schema?: string;
  log: string;
  tag: string;
  resend: string[];
  produce: boolean;
  producers: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const store: ActivityStore =
  config.store === 'sqlite'
    ? createSqliteStore({ path: config.path })
    : createPostgresStore({ connectionString: config.url, schema: config.schema });
const activity = createActivity({ store, defaultOrgId: 'org_crash', flushIntervalMs: 20, batchSize: 50 });

const log = (mark: 'S' | 'A' | 'F', key: string) => appendFileSync(config.log, `${mark} ${key}\n`);
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function send(key: string, producer: number): Promise<boolean> {
  log('S', key);
  try {
    const entry = await activity.recordDurable({
      type: 'SYSTEM_EVENT',
      action: 'crash.probe',
      actor: { kind: 'system', id: 'crash-child' },
      idempotencyKey: key,
      metadata: { producer },
    });
    if (entry.idempotencyKey !== key)
      throw new Error(`acknowledged ${String(entry.idempotencyKey)} for ${key}`);
    log('A', key);
    return true;
  } catch {
    log('F', key);
    return false;
  }
}

async function producer(index: number): Promise<never> {
  for (let seq = 0; ; seq++) {
    // A burst of 1-5 concurrent calls, so acknowledgements land from every position of a batch.
    const burst = 1 + Math.floor(Math.random() * 5);
    const calls: Promise<boolean>[] = [];
    for (let i = 0; i < burst; i++) calls.push(send(`${config.tag}-p${index}-${seq}-${i}`, index));
    await Promise.all(calls);
  }
}

const resent = await Promise.all(config.resend.map((key) => send(key, -1)));
say({ event: 'resent', acknowledged: resent.filter(Boolean).length, of: resent.length });
if (config.produce) {
  say({ event: 'producing' });
  for (let i = 0; i < config.producers; i++) void producer(i);
} else {
  await activity.shutdown({ timeoutMs: 5000 });
  await store.close();
  say({ event: 'done', stats: activity.stats() });
}
