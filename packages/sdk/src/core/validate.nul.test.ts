import { describe, expect, it } from 'vitest';
import { validateEntry } from './validate.js';

const base = {
  id: '0195f3c2-7a10-7c4e-9a3b-2f1d0c9b8a70',
  orgId: 'org_acme',
  occurredAt: '2026-03-01T12:00:00.000Z',
  recordedAt: '2026-03-01T12:00:00.050Z',
  schemaVersion: 1,
  type: 'WEBHOOK',
  status: 'SUCCESS',
  actor: { kind: 'external', id: 'stripe' },
  action: 'payment_intent.succeeded',
};

describe('validateEntry and NUL', () => {
  it('keeps the text "\\u0000" (a backslash and u0000) as data, while removing real NUL characters', () => {
    // Regression: the property test read the JSON escape of a literal backslash as a NUL (seed -1318035735).
    const { entry } = validateEntry({
      ...base,
      metadata: { text: 'new String("\\u0000")', boxed: new String('a\u0000b'), 'k\u0000': 'x\u0000' },
    });
    expect(entry.metadata).toEqual({ text: 'new String("\\u0000")', boxed: 'ab', k: 'x' });
  });
});
