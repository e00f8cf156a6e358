import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../testing/memoryStore.js';
import type { ActivityEntry, ActivityStore } from '../types.js';
import { createActivity } from './activity.js';
import type { RecordInput } from './api.js';
import { createRedactor } from './redact.js';

const ORG = 'org_redact';
const NOW = new Date('2026-03-01T12:00:00.000Z');

/** Secrets that no Bearer value pattern catches: only the key or header name can hide them. */
const SECRETS = [
  'Token tok_4f9a8b7c6d5e',
  'Basic dXNlcjpodW50ZXIy',
  'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl',
  'ak_live_9f8e7d6c5b4a3210',
  'hunter2-correct-horse',
  'sessionid=s3ss10n; theme=dark',
  'https://admin:pa55w0rd@db.example.com/app',
  'https://api.example.com/cb?token=qu3rys3cr3t&page=2',
  'https://dsnkey123@sentry.example.com/42',
  'password=f0rmp4ss&user=riley',
];

/** Secret key names in the spellings hosts use: any case, `-`, `_`, `.` or none. */
const SECRET_KEYS = [
  'password',
  'Password',
  'PASSWORD',
  'pass_word',
  'apiKey',
  'API_KEY',
  'api-key',
  'X-Api-Key',
  'x-api-key',
  'client_secret',
  'clientSecret',
  'Client-Secret',
  'access_token',
  'AccessToken',
  'Authorization',
  'authorization',
  'Proxy-Authorization',
  'Cookie',
  'Set-Cookie',
  'X-Auth-Token',
  'private.key',
  'refreshToken',
  'Stripe-Signature',
];
const PLAIN_KEYS = ['name', 'note', 'url', 'items', 'status', 'Accept', 'Content-Type', 'X-Request-Id'];

// Blank keys are refused as a diff's field path (a validation matter, not redaction's).
const key = fc.oneof(
  fc.constantFrom(...SECRET_KEYS),
  fc.constantFrom(...PLAIN_KEYS),
  fc.string({ maxLength: 5 }).filter((k) => k.trim() !== ''),
);
const text = fc.oneof(fc.constantFrom(...SECRETS), fc.string({ maxLength: 12 }), fc.constant('plain value'));
const tree = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.integer(),
    fc.boolean(),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('object'),
  ),
  object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
}));
const object = tree.object as fc.Arbitrary<Record<string, unknown>>;
const headers = fc.dictionary(key, text, { maxKeys: 5 });
/** A body as hosts pass it: structured, JSON text or a form body. */
const body = fc.oneof(
  object,
  object.map((value) => JSON.stringify(value)),
  fc
    .array(fc.tuple(key, text), { maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
  text,
);

const input = fc.record(
  {
    metadata: object,
    summary: text,
    before: object,
    after: object,
    error: text.map((message) => new Error(message)),
    context: fc.record({ ip: fc.constant('203.0.113.9'), userAgent: text }, { requiredKeys: [] }),
    webhook: fc.record({
      url: fc.oneof(fc.constantFrom(...SECRETS.filter((s) => s.startsWith('https'))), fc.webUrl()),
      request: fc.record({ headers, body }, { requiredKeys: [] }),
      response: fc.record({ headers, body }, { requiredKeys: [] }),
    }),
    // A control character takes record()'s snapshot off the fast path onto the exact one.
    exact: fc.boolean(),
  },
  { requiredKeys: ['metadata'] },
);

type Generated = fc.Arbitrary<typeof input extends fc.Arbitrary<infer T> ? T : never>;

function toRecordInput(
  generated: Generated extends fc.Arbitrary<infer T> ? T : never,
  n: number,
): RecordInput {
  const { webhook, exact, ...rest } = generated;
  const metadata = exact ? { ...rest.metadata, tab: 'a\u0001b' } : rest.metadata;
  if (webhook === undefined) {
    return {
      id: `evt_${n}`,
      type: 'USER_ACTION',
      action: 'contact.updated',
      ...rest,
      metadata,
    } as RecordInput;
  }
  return {
    id: `evt_${n}`,
    type: 'WEBHOOK',
    action: 'payment.succeeded',
    ...rest,
    metadata,
    webhook: { direction: 'in', provider: 'stripe', eventType: 'payment.succeeded', ...webhook },
  } as RecordInput;
}

function recorder(redactOff: boolean) {
  const store = createMemoryStore();
  const errors: unknown[] = [];
  const activity = createActivity({
    store,
    defaultOrgId: ORG,
    now: () => NOW,
    // No keys and no patterns: the recorder stores what it validated, untouched.
    redact: redactOff ? { replaceDefaultKeys: true, replaceDefaultPatterns: true } : undefined,
    onError: (error) => errors.push(error),
  });
  return { store, activity, errors };
}

async function stored(store: ActivityStore, id: string): Promise<ActivityEntry> {
  const entry = await store.get(ORG, id);
  expect(entry, `entry ${id} was stored`).toBeDefined();
  return entry as ActivityEntry;
}

describe('fault 13 — the recorder redacts exactly as createRedactor().entry', () => {
  it('fault 13: record() and recordDurable() store what createRedactor().entry makes of the unredacted entry, for non-Bearer secrets everywhere', async () => {
    const redactor = createRedactor();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(input, async (generated) => {
        const redacting = recorder(false);
        const plain = recorder(true);
        const ids: string[] = [];
        for (const durable of [false, true]) {
          n += 1;
          const candidate = toRecordInput(generated, n);
          ids.push(`evt_${n}`);
          if (durable) {
            await redacting.activity.recordDurable(candidate);
            await plain.activity.recordDurable(candidate);
          } else {
            expect(redacting.activity.record(candidate)).toBe(`evt_${n}`);
            expect(plain.activity.record(candidate)).toBe(`evt_${n}`);
          }
        }
        await redacting.activity.shutdown();
        await plain.activity.shutdown();
        expect(redacting.errors).toEqual([]);
        expect(plain.errors).toEqual([]);
        for (const id of ids) {
          const actual = await stored(redacting.store, id);
          const expected = redactor.entry(await stored(plain.store, id));
          expect(actual).toEqual(expected);
          // And neither lets a header named like a secret keep its value.
          for (const message of [actual.webhook?.request, actual.webhook?.response]) {
            for (const [name, value] of Object.entries(message?.headers ?? {})) {
              if (redactor.isSecretKey(name)) expect(value, name).toBe('[REDACTED]');
            }
          }
        }
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  it('fault 13: hides Authorization: Token … and X-Api-Key by name on the recorder path', async () => {
    const { store, activity } = recorder(false);
    const webhook = {
      direction: 'in',
      provider: 'stripe',
      eventType: 'payment.succeeded',
      request: {
        headers: {
          Authorization: 'Token tok_4f9a8b7c6d5e',
          'X-Api-Key': 'ak_live_9f8e7d6c5b4a3210',
          Accept: '*/*',
        },
        body: { client_secret: 'pi_secret_123', amount: 5 },
      },
    } as const;
    activity.record({ id: 'evt_fast', type: 'WEBHOOK', action: 'payment.succeeded', webhook });
    await activity.recordDurable({ id: 'evt_exact', type: 'WEBHOOK', action: 'payment.succeeded', webhook });
    await activity.shutdown();
    for (const id of ['evt_fast', 'evt_exact']) {
      const entry = await stored(store, id);
      expect(entry.webhook?.request).toEqual({
        headers: { Authorization: '[REDACTED]', 'X-Api-Key': '[REDACTED]', Accept: '*/*' },
        body: { client_secret: '[REDACTED]', amount: 5 },
      });
    }
  });
});
