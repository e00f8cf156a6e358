/**
 * Child process of `pool.test.ts`: a host that owns a PostgreSQL store through `connectionString`.
 * It runs one JSON command per stdin line and answers one JSON line on stdout, so the test can end its
 * connections from outside and see whether the process survives (an unhandled 'error' event kills it).
 */
import { createInterface } from 'node:readline';
import { uuidv7 } from 'uuidv7';
import { createPostgresStore } from '../../src/postgres.js';
import type { ActivityEntry } from '../../src/types.js';

const [url, schema] = process.argv.slice(2);
if (!url || !schema) throw new Error('usage: poolChild <connectionString> <schema>');

const reported: string[] = [];
const store = createPostgresStore({
  connectionString: url,
  schema,
  onError: (error) => {
    reported.push(error.code);
    process.stdout.write(
      `${JSON.stringify({ event: 'onError', code: error.code, message: error.message })}\n`,
    );
  },
});

function entry(): ActivityEntry {
  const now = new Date().toISOString();
  return {
    id: uuidv7(),
    orgId: 'org_a',
    occurredAt: now,
    recordedAt: now,
    schemaVersion: 1,
    type: 'BACKGROUND_JOB',
    status: 'IN_PROGRESS',
    actor: { kind: 'system', id: 'system', name: 'System' },
    action: 'SYNC_SQUARE_STOCK',
  };
}

type Command = { op: 'append' } | { op: 'updateJob'; id: string } | { op: 'close' };

async function run(command: Command): Promise<unknown> {
  switch (command.op) {
    case 'append': {
      const e = entry();
      return { id: e.id, result: await store.append([e]) };
    }
    case 'updateJob':
      return { updated: await store.updateJob('org_a', command.id, { status: 'SUCCESS' }) };
    case 'close':
      await store.close();
      return { closed: true };
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as Command;
  const answer = await run(command).then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
  process.stdout.write(
    `${JSON.stringify({ event: 'answer', op: command.op, ...answer, stats: store.stats(), reported })}\n`,
  );
  if (command.op === 'close') break;
}
