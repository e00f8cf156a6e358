import type { ActivityEntry } from '@activity/sdk/client';

const ORG = 'org_demo';
const MINUTE = 60_000;
let seq = 0;

/** A UUIDv7-shaped id whose time part orders like `occurredAt` (the stores break ties by id). */
function idAt(iso: string): string {
  seq += 1;
  const ms = Date.parse(iso).toString(16).padStart(12, '0');
  const tail = seq.toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7000-8000-${tail}`;
}

/** One entry `minutesAgo` before now, with sensible defaults. */
export function entry(minutesAgo: number, fields: Partial<ActivityEntry> = {}): ActivityEntry {
  const occurredAt = new Date(Date.now() - minutesAgo * MINUTE).toISOString();
  return {
    id: idAt(occurredAt),
    orgId: ORG,
    occurredAt,
    recordedAt: occurredAt,
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_riley', name: 'Riley Park' },
    action: 'contact.updated',
    entity: { type: 'contact', id: 'ct_alex', label: 'Alex Chen' },
    ...fields,
  };
}

/** The spec's example rows plus one of each kind the drawer shows. */
export function specEntries(): {
  all: ActivityEntry[];
  job: ActivityEntry;
  userAction: ActivityEntry;
  webhookOk: ActivityEntry;
  webhookFailed: ActivityEntry;
  failedJob: ActivityEntry;
  system: ActivityEntry;
  running: ActivityEntry;
} {
  const job = entry(2, {
    type: 'BACKGROUND_JOB',
    actor: { kind: 'system', id: 'system', name: 'system' },
    action: 'PROCESS_RELEASE_PAYMENTS',
    entity: { type: 'release', id: 'rel_spring26', label: 'Spring 2026 Reds' },
    metadata: { processed: 48, failed: 0, batches: [{ n: 1, ms: 120 }] },
    durationMs: 4200,
  });
  const userAction = entry(15, {
    changes: [
      { path: 'status', kind: 'changed', before: 'ACTIVE', after: 'VIP' },
      { path: 'tags', kind: 'changed', before: ['wine'], after: ['wine', 'vip'] },
      {
        path: 'address',
        kind: 'changed',
        before: { city: 'Napa', zip: '94558' },
        after: { city: 'Sonoma', zip: '94558' },
      },
      { path: 'phone', kind: 'added', after: '+1 415 555 0134' },
      { path: 'fax', kind: 'removed', before: '+1 415 555 0199' },
      { path: 'ssn', kind: 'changed', redacted: true },
    ],
    correlationId: 'corr_alex',
  });
  const webhookOk = entry(60, {
    type: 'WEBHOOK',
    actor: { kind: 'external', id: 'stripe', name: 'Stripe' },
    action: 'payment_intent.succeeded',
    entity: undefined,
    webhook: {
      direction: 'in',
      provider: 'stripe',
      eventType: 'payment_intent.succeeded',
      statusCode: 200,
      request: {
        headers: { 'content-type': 'application/json', 'stripe-signature': '[REDACTED]' },
        body: '{"id":"evt_1","amount":12900}',
      },
      response: { headers: { 'content-type': 'application/json' }, body: { received: true } },
    },
  });
  const webhookFailed = entry(61, {
    type: 'WEBHOOK',
    status: 'WARNING',
    actor: { kind: 'external', id: 'stripe', name: 'Stripe' },
    action: 'payment_intent.payment_failed',
    entity: undefined,
    webhook: { direction: 'in', provider: 'stripe', eventType: 'payment_intent.payment_failed' },
  });
  const failedJob = entry(180, {
    type: 'BACKGROUND_JOB',
    status: 'FAILED',
    actor: { kind: 'system', id: 'system', name: 'system' },
    action: 'SYNC_SQUARE_STOCK',
    entity: { type: 'product', id: 'prd_1', label: 'Stock' },
    error: {
      name: 'SquareApiError',
      message: 'Square answered 503 three times',
      stack: 'SquareApiError: Square answered 503 three times\n    at syncStock (/app/jobs/sync.ts:42:11)',
    },
    correlationId: 'corr_sync',
  });
  const system = entry(300, {
    type: 'SYSTEM_EVENT',
    actor: { kind: 'system', id: 'system', name: 'system' },
    action: 'schema.migrated',
    entity: undefined,
    summary: 'Migrated to schema 7',
    metadata: { from: 6, to: 7 },
  });
  const running = entry(1, {
    type: 'BACKGROUND_JOB',
    status: 'IN_PROGRESS',
    actor: { kind: 'system', id: 'system', name: 'system' },
    action: 'IMPORT_CONTACTS',
    entity: undefined,
    progress: { processed: 25, total: 100 },
  });
  const all = [running, job, userAction, webhookOk, webhookFailed, failedJob, system];
  return { all, job, userAction, webhookOk, webhookFailed, failedJob, system, running };
}

/** `n` plain user actions one minute apart, for paging tests. */
export function manyEntries(n: number, fields: Partial<ActivityEntry> = {}): ActivityEntry[] {
  return Array.from({ length: n }, (_, i) =>
    entry(1 + i * 0.5, { entity: { type: 'contact', id: `ct_${i}`, label: `Contact ${i}` }, ...fields }),
  );
}
