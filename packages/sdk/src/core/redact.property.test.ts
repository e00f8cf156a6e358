import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../types.js';
import { createRedactor } from './redact.js';

const SECRET_KEYS = [
  'password',
  'Authorization',
  'api_key',
  'X-Api-Key',
  'client_secret',
  'access_token',
  'cookie',
  'cvv',
  'ssn',
  'card_number',
  'Stripe-Signature',
  'privateKey',
];
const key = fc.oneof(
  fc.constantFrom(...SECRET_KEYS),
  fc.constantFrom('name', 'id', 'items', 'data', 'status', 'amount', 'note'),
  fc.string({ maxLength: 6 }),
);
const tree = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant('leaf'),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
}));

/** Gives every string leaf a unique marker and lists the markers stored under a secret key. */
function mark(value: unknown, isSecret: (key: string) => boolean): { marked: unknown; secrets: string[] } {
  let counter = 0;
  const secrets: string[] = [];
  const visit = (node: unknown, hidden: boolean): unknown => {
    if (typeof node === 'string' || typeof node === 'number') {
      const marker = `«${counter++}»`;
      if (hidden) secrets.push(marker);
      return marker;
    }
    if (Array.isArray(node)) return node.map((item) => visit(item, hidden));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        Object.defineProperty(out, k, {
          value: visit(v, hidden || isSecret(k)),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return node;
  };
  return { marked: visit(value, false), secrets };
}

describe('createRedactor (properties)', () => {
  const redactor = createRedactor();

  it('never leaks a value stored under a secret key, at any depth, in metadata, bodies or diffs', () => {
    let checked = 0;
    fc.assert(
      fc.property(tree.object, (input) => {
        const { marked, secrets } = mark(input, redactor.isSecretKey);
        checked += secrets.length;
        const metadata = marked as Record<string, unknown>;
        const entry: ActivityEntry = {
          id: 'e1',
          orgId: 'org',
          occurredAt: '2026-03-01T12:00:00.000Z',
          recordedAt: '2026-03-01T12:00:00.000Z',
          schemaVersion: 1,
          type: 'WEBHOOK',
          status: 'SUCCESS',
          actor: { kind: 'external', id: 'stripe' },
          action: 'charge.succeeded',
          metadata,
          webhook: {
            direction: 'in',
            provider: 'stripe',
            eventType: 'charge.succeeded',
            request: { body: JSON.stringify(metadata) },
            response: { body: metadata },
          },
          changes: [{ path: 'snapshot', kind: 'changed', before: metadata, after: metadata }],
        };
        const output = JSON.stringify(redactor.entry(entry));
        for (const secret of secrets) expect(output).not.toContain(secret);
        // Redaction must not mutate its input.
        expect(JSON.stringify(entry.metadata)).toBe(JSON.stringify(metadata));
      }),
      { numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(100);
  });

  it('keeps everything that is not under a secret key', () => {
    fc.assert(
      fc.property(tree.object, (input) => {
        const { marked, secrets } = mark(input, redactor.isSecretKey);
        const output = JSON.stringify(redactor.value(marked));
        for (const marker of JSON.stringify(marked).match(/«\d+»/g) ?? []) {
          if (!secrets.includes(marker)) expect(output).toContain(marker);
        }
      }),
      { numRuns: 200 },
    );
  });
});
