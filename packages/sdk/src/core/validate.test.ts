import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActivityError } from '../errors.js';
import { generateActivity } from '../testing/fixtures.js';
import type { ActivityEntry } from '../types.js';
import { compileRedactor } from './redact.js';
import {
  cleanString,
  DEFAULT_LIMITS,
  prepareEntry,
  prepareEntryFast,
  prepareSnapshot,
  resolveLimits,
  sanitizeJson,
  utf8Length,
  validateEntry,
} from './validate.js';

function baseEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '0195f3c2-7a10-7c4e-9a3b-2f1d0c9b8a70',
    orgId: 'org_acme',
    occurredAt: '2026-03-01T12:00:00.000Z',
    recordedAt: '2026-03-01T12:00:00.050Z',
    schemaVersion: 1,
    type: 'USER_ACTION',
    status: 'SUCCESS',
    actor: { kind: 'user', id: 'usr_riley', name: 'Riley Park' },
    action: 'contact.updated',
    entity: { type: 'contact', id: 'ct_1', label: 'Alex Chen' },
    ...overrides,
  };
}

/** Runs `fn`, expecting an ActivityError, and returns it. */
function failure(fn: () => unknown): ActivityError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ActivityError);
    return error as ActivityError;
  }
  throw new Error('expected an ActivityError, nothing was thrown');
}

function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let current = root;
  for (let i = 0; i < depth; i++) {
    const next: Record<string, unknown> = {};
    current.a = next;
    current = next;
  }
  return root;
}

describe('validateEntry', () => {
  it('accepts a complete entry and returns a copy with its UTF-8 JSON size', () => {
    const input = baseEntry({
      metadata: { total: 3, names: ['Zoë', '東京'] },
      changes: [{ path: 'status', kind: 'changed', before: 'LEAD', after: 'VIP' }],
      context: { ip: '203.0.113.9', userAgent: 'curl/8', requestId: 'req_1' },
      correlationId: 'corr_1',
    });
    const { entry, bytes } = validateEntry(input);
    expect(entry).toEqual(input);
    expect(entry).not.toBe(input);
    expect(entry.metadata).not.toBe(input.metadata);
    expect(bytes).toBe(Buffer.byteLength(JSON.stringify(entry), 'utf8'));
  });

  it('normalises timestamps and Dates to UTC toISOString() form', () => {
    const { entry } = validateEntry(
      baseEntry({ occurredAt: '2026-03-01T14:00:00+02:00', recordedAt: new Date('2026-03-01T12:00:01Z') }),
    );
    expect(entry.occurredAt).toBe('2026-03-01T12:00:00.000Z');
    expect(entry.recordedAt).toBe('2026-03-01T12:00:01.000Z');
  });

  it('trims ids and drops unknown keys', () => {
    const { entry } = validateEntry(baseEntry({ orgId: '  org_acme ', unknownField: 1 }));
    expect(entry.orgId).toBe('org_acme');
    expect(entry).not.toHaveProperty('unknownField');
  });

  it.each([
    ['metadata.total', { metadata: { total: Number.NaN } }, /not a finite number/],
    ['metadata.total', { metadata: { total: Number.POSITIVE_INFINITY } }, /not a finite number/],
    ['actor.id', { actor: { kind: 'user', id: '   ' } }, /non-empty/],
    ['actor.id', { actor: { kind: 'user' } }, /required/],
    ['actor.kind', { actor: { kind: 'robot', id: 'x' } }, /user/],
    ['orgId', { orgId: '' }, /non-empty/],
    ['orgId', { orgId: 'x'.repeat(300) }, /at most 256/],
    ['action', { action: undefined }, /required/],
    ['occurredAt', { occurredAt: 'yesterday' }, /ISO 8601/],
    ['occurredAt', { occurredAt: '2026-03-01T12:00:00' }, /time zone/],
    ['type', { type: 'CRON' }, /USER_ACTION/],
    ['status', { status: 'IN_PROGRESS' }, /only allowed for BACKGROUND_JOB/],
    ['webhook.eventType', { webhook: { direction: 'in', provider: 'stripe' } }, /required/],
    ['webhook.direction', { webhook: { direction: 'sideways', provider: 'stripe', eventType: 'x' } }, /in/],
    [
      'webhook.statusCode',
      { webhook: { direction: 'in', provider: 'stripe', eventType: 'x', statusCode: 700 } },
      /100-599/,
    ],
    [
      'webhook.statusCode',
      { webhook: { direction: 'in', provider: 'stripe', eventType: 'x', statusCode: 200.5 } },
      /integer/,
    ],
    ['metadata', { metadata: [1, 2] }, /record|object/i],
    ['metadata.big', { metadata: { big: 10n } }, /bigint/],
    ['metadata.fn', { metadata: { fn: () => 1 } }, /functions/],
    ['metadata.sym', { metadata: { sym: Symbol('x') } }, /symbols/],
    ['metadata.when', { metadata: { when: new Date('nope') } }, /invalid Date/],
    ['metadata.map', { metadata: { map: new Map() } }, /Map/],
    ['metadata.bytes', { metadata: { bytes: new Uint8Array(4) } }, /base64/],
    ['progress.processed', { type: 'BACKGROUND_JOB', progress: { processed: -1 } }, /negative/],
  ])('rejects a bad %s with INVALID_EVENT naming the field', (field, overrides, reason) => {
    const error = failure(() => validateEntry(baseEntry(overrides)));
    expect(error.code).toBe('INVALID_EVENT');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toMatch(reason);
  });

  it('allows IN_PROGRESS for background jobs', () => {
    const { entry } = validateEntry(
      baseEntry({ type: 'BACKGROUND_JOB', status: 'IN_PROGRESS', progress: { processed: 5, total: 10 } }),
    );
    expect(entry.status).toBe('IN_PROGRESS');
    expect(entry.progress).toEqual({ processed: 5, total: 10 });
  });

  it('rejects something that is not an object', () => {
    for (const candidate of [null, undefined, 'entry', 42, []]) {
      const error = failure(() => validateEntry(candidate));
      expect(error.code).toBe('INVALID_EVENT');
      expect(error.message).toMatch(/must be an object/);
    }
  });

  it('removes NUL characters and replaces lone surrogates in values and keys', () => {
    const { entry } = validateEntry(
      baseEntry({
        action: 'contact.up\u0000dated',
        metadata: { 'na\u0000me': 'a\u0000b', lone: 'x\uD800y', low: '\uDC00', pair: '😀' },
      }),
    );
    expect(entry.action).toBe('contact.updated');
    expect(entry.metadata).toEqual({ name: 'ab', lone: 'x\uFFFDy', low: '\uFFFD', pair: '😀' });
  });

  it('drops __proto__, constructor and prototype keys without touching prototypes', () => {
    const metadata = JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": 1}, "ok": 1}',
    );
    const { entry } = validateEntry(baseEntry({ metadata }));
    expect(entry.metadata).toEqual({ ok: 1 });
    expect(Object.getPrototypeOf(entry.metadata)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects 10,000-deep nesting with EVENT_TOO_LARGE naming the field, without overflowing the stack', () => {
    const error = failure(() => validateEntry(baseEntry({ metadata: nested(10_000) })));
    expect(error.code).toBe('EVENT_TOO_LARGE');
    // The entry is level 1 and metadata level 2, so the 13th container is metadata + 10 × `a`.
    expect(error.field).toBe(`metadata${'.a'.repeat(DEFAULT_LIMITS.maxDepth - 1)}`);
    expect(error.message).toMatch(/deeper than the limit of 12/);
  });

  it('accepts nesting up to maxDepth', () => {
    expect(() => validateEntry(baseEntry({ metadata: nested(DEFAULT_LIMITS.maxDepth - 2) }))).not.toThrow();
  });

  it('rejects a 10 MB string quickly with EVENT_TOO_LARGE', () => {
    const started = performance.now();
    const error = failure(() =>
      validateEntry(baseEntry({ metadata: { blob: 'x'.repeat(10 * 1024 * 1024) } })),
    );
    expect(error.code).toBe('EVENT_TOO_LARGE');
    expect(error.field).toBe('metadata.blob');
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('rejects an entry over maxBytes even when every string is short', () => {
    const metadata = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, 'v'.repeat(2000)]));
    const error = failure(() => validateEntry(baseEntry({ metadata })));
    expect(error.code).toBe('EVENT_TOO_LARGE');
    expect(error.message).toMatch(/262144 bytes/);
  });

  it('counts multi-byte characters against maxBytes', () => {
    const limits = { maxBytes: 600 };
    expect(() => validateEntry(baseEntry({ summary: 'a'.repeat(100) }), limits)).not.toThrow();
    const error = failure(() => validateEntry(baseEntry({ summary: '東'.repeat(100) }), limits));
    expect(error.code).toBe('EVENT_TOO_LARGE');
  });

  it('enforces maxKeys and maxArrayLength with the field named', () => {
    const wide = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, i]));
    const keys = failure(() => validateEntry(baseEntry({ metadata: { wide } })));
    expect([keys.code, keys.field]).toEqual(['EVENT_TOO_LARGE', 'metadata.wide']);
    const long = failure(() => validateEntry(baseEntry({ metadata: { list: new Array(1001).fill(0) } })));
    expect([long.code, long.field]).toEqual(['EVENT_TOO_LARGE', 'metadata.list']);
  });

  it('rejects cycles with the field that closes them', () => {
    const customer: Record<string, unknown> = { name: 'Alex' };
    customer.self = customer;
    const error = failure(() => validateEntry(baseEntry({ metadata: { customer } })));
    expect(error.code).toBe('INVALID_EVENT');
    expect(error.field).toBe('metadata.customer.self');
    expect(error.message).toMatch(/circular/);
  });

  it('accepts the same object referenced twice (not a cycle)', () => {
    const shared = { sku: 'RED-1' };
    const { entry } = validateEntry(baseEntry({ metadata: { a: shared, b: shared } }));
    expect(entry.metadata).toEqual({ a: { sku: 'RED-1' }, b: { sku: 'RED-1' } });
  });

  it('turns throwing getters and revoked proxies into INVALID_EVENT', () => {
    const hostile = {
      get boom(): never {
        throw new Error('getter exploded');
      },
    };
    const getter = failure(() => validateEntry(baseEntry({ metadata: { hostile } })));
    expect([getter.code, getter.field]).toEqual(['INVALID_EVENT', 'metadata.hostile']);
    expect(getter.message).toMatch(/getter exploded/);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(failure(() => validateEntry(proxy)).code).toBe('INVALID_EVENT');
    expect(failure(() => validateEntry(baseEntry({ metadata: { proxy } }))).field).toBe('metadata.proxy');
  });

  it('converts Dates, boxed primitives, Errors and toJSON values like JSON would', () => {
    const money = { toJSON: () => '12.50' };
    const { entry } = validateEntry(
      baseEntry({
        metadata: {
          at: new Date('2026-01-02T03:04:05Z'),
          n: new Number(3),
          s: new String('x'),
          err: new TypeError('bad'),
          money,
          skip: undefined,
          list: [undefined, 1],
          negZero: -0,
        },
      }),
    );
    expect(entry.metadata).toEqual({
      at: '2026-01-02T03:04:05.000Z',
      n: 3,
      s: 'x',
      err: { name: 'TypeError', message: 'bad' },
      money: '12.50',
      list: [null, 1],
      negZero: 0,
    });
    expect(Object.is((entry.metadata as Record<string, unknown>).negZero, 0)).toBe(true);
  });

  it('honours custom limits and rejects invalid ones as CONFIG', () => {
    const error = failure(() =>
      validateEntry(baseEntry({ metadata: { s: 'x'.repeat(100) } }), { maxStringLength: 60 }),
    );
    expect([error.code, error.field]).toEqual(['EVENT_TOO_LARGE', 'metadata.s']);
    const config = failure(() => validateEntry(baseEntry(), { maxDepth: 0 }));
    expect([config.code, config.field]).toEqual(['CONFIG', 'limits.maxDepth']);
  });

  it('returns an entry typed as ActivityEntry', () => {
    const { entry }: { entry: ActivityEntry } = validateEntry(baseEntry());
    expect(entry.actor.name).toBe('Riley Park');
  });
});

describe('sanitizeJson', () => {
  it('prefixes fields with the given path and counts depth from the value', () => {
    const error = failure(() => sanitizeJson({ a: { b: 1n } }, undefined, 'webhook.request.body'));
    expect(error.field).toBe('webhook.request.body.a.b');
    expect(sanitizeJson(nested(11), undefined, 'x')).toEqual(nested(11));
    expect(failure(() => sanitizeJson(nested(12), undefined, 'x')).code).toBe('EVENT_TOO_LARGE');
  });
});

describe('cleanString', () => {
  it('leaves well-formed strings untouched and returns the same instance', () => {
    const value = 'Zoë 😀 東京';
    expect(cleanString(value)).toBe(value);
    expect(cleanString('\uD83D\uDE00\uD83D')).toBe('😀\uFFFD');
  });
});

describe('utf8Length', () => {
  it('matches Buffer.byteLength for mixed scripts', () => {
    for (const value of ['', 'abc', 'Zoë', '東京', '😀x', 'a\u07FFb\u0800']) {
      expect(utf8Length(value)).toBe(Buffer.byteLength(value, 'utf8'));
    }
  });
});

describe('prepareEntryFast', () => {
  const limits = resolveLimits();
  const redactor = compileRedactor();
  const both = (candidate: Record<string, unknown>) => ({
    fast: prepareEntryFast(structuredClone(candidate), limits, redactor.scrubEntry),
    exact: prepareEntry(structuredClone(candidate), limits, redactor.scrubEntry),
  });

  it('gives exactly what the exact path gives for realistic entries, secrets included', () => {
    const entries = generateActivity({ count: 400, seed: 5, orgIds: ['org_fast'] });
    let taken = 0;
    for (const entry of entries) {
      const { fast, exact } = both(JSON.parse(JSON.stringify(entry)));
      if (fast === undefined) continue;
      taken++;
      expect(fast.json).toBe(exact.json);
      expect(fast.bytes).toBe(exact.bytes);
      expect(fast.entry).toEqual(exact.entry);
    }
    // The fast path must be the common one, or it is dead code.
    expect(taken).toBe(entries.length);
  });

  it('agrees with the exact path on arbitrary JSON metadata, or leaves the entry to it', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 5 }), { maxKeys: 8 }), (metadata) => {
        const candidate = JSON.parse(JSON.stringify(baseEntry({ metadata, summary: ' Bearer abc.def ' })));
        let exact: ReturnType<typeof prepareEntry> | undefined;
        try {
          exact = prepareEntry(structuredClone(candidate), limits, redactor.scrubEntry);
        } catch {
          exact = undefined;
        }
        const fast = prepareEntryFast(structuredClone(candidate), limits, redactor.scrubEntry);
        if (fast !== undefined) expect(fast.json).toBe(exact?.json);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts only what the strict schema accepts, field rules included', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.string({ minLength: 95, maxLength: 110 }),
      fc.constant(' x\u0001 '),
    );
    fc.assert(
      fc.property(
        fc.record({
          orgId: text,
          action: text,
          entity: fc.record({ type: text, id: text, label: fc.string({ maxLength: 600 }) }),
          summary: fc.string({ maxLength: 2100 }),
          schemaVersion: fc.oneof(fc.integer({ min: -1, max: 2 }), fc.constant(1.5)),
          webhook: fc.record({
            direction: fc.constantFrom('in', 'out'),
            provider: text,
            eventType: text,
            statusCode: fc.oneof(fc.integer({ min: 90, max: 610 }), fc.constant(200.5)),
          }),
        }),
        (fields) => {
          const candidate = baseEntry(fields);
          let exact: string | undefined;
          try {
            exact = prepareEntry(structuredClone(candidate), limits, redactor.scrubEntry).json;
          } catch {
            exact = undefined;
          }
          const fast = prepareEntryFast(structuredClone(candidate), limits, redactor.scrubEntry);
          if (exact === undefined) expect(fast).toBeUndefined();
          else if (fast !== undefined) expect(fast.json).toBe(exact);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('trims ids and normalises timestamps like the strict schema', () => {
    const { fast, exact } = both(baseEntry({ orgId: ' org_acme ', occurredAt: '2026-03-01T14:00:00+02:00' }));
    expect(fast?.entry.orgId).toBe('org_acme');
    expect(fast?.entry.occurredAt).toBe('2026-03-01T12:00:00.000Z');
    expect(fast?.json).toBe(exact.json);
    // fault 4: a day that does not exist is refused on both paths, not rolled over into March.
    const impossible = baseEntry({ occurredAt: '2026-02-30T00:00:00.000Z' });
    expect(prepareEntryFast(structuredClone(impossible), limits, redactor.scrubEntry)).toBeUndefined();
    expect(() => prepareEntry(structuredClone(impossible), limits, redactor.scrubEntry)).toThrow(
      /occurredAt/,
    );
  });

  it.each([
    ['a too long id', { orgId: 'x'.repeat(300) }],
    ['IN_PROGRESS outside jobs', { status: 'IN_PROGRESS' }],
    ['a dangerous key', { metadata: JSON.parse('{"a":{"__proto__":{"x":1}}}') }],
    ['a Date object', { metadata: { at: new Date(0) } }],
    ['an unknown type', { type: 'CRON' }],
  ])('leaves %s to the exact path', (_, overrides) => {
    expect(prepareEntryFast(baseEntry(overrides), limits, redactor.scrubEntry)).toBeUndefined();
  });
});

describe('prepareSnapshot', () => {
  const limits = resolveLimits();
  const redactor = compileRedactor();
  /** The snapshot path on `candidate`'s JSON and the exact path on a copy: the stored texts must be equal. */
  function compare(candidate: unknown): {
    snapshot: ReturnType<typeof prepareSnapshot>;
    exact: string | undefined;
  } {
    const json = JSON.stringify(candidate);
    let exact: string | undefined;
    try {
      exact = prepareEntry(JSON.parse(json), limits, redactor.scrubEntry).json;
    } catch {
      exact = undefined;
    }
    const snapshot = json.includes('\\u')
      ? undefined
      : prepareSnapshot(json, Buffer.byteLength(json), limits, redactor.scrubChanged);
    if (exact === undefined) expect(snapshot).toBeUndefined();
    else if (snapshot !== undefined) {
      expect(snapshot.json).toBe(exact);
      expect(snapshot.bytes).toBe(Buffer.byteLength(exact));
      expect(JSON.parse(snapshot.json)).toEqual(snapshot.entry);
    }
    return { snapshot, exact };
  }

  it("stores exactly the exact path's text for realistic entries, and reuses the snapshot text when nothing changed", () => {
    const entries = generateActivity({ count: 400, seed: 9, orgIds: ['org_snap'] });
    let taken = 0;
    let reused = 0;
    for (const entry of entries) {
      const json = JSON.stringify(entry);
      const { snapshot } = compare(entry);
      if (snapshot === undefined) continue;
      taken++;
      if (snapshot.json === json) reused++;
    }
    expect(taken).toBe(entries.filter((e) => !JSON.stringify(e).includes('\\u')).length);
    // Entries without secrets are stored as their snapshot text, serialised once.
    expect(reused).toBeGreaterThan(0);
  });

  it('serialises again when redaction or the field rules changed the entry', () => {
    const secret = compare(baseEntry({ metadata: { password: 'hunter2', n: 1 } }));
    expect(secret.snapshot?.json).toContain('[REDACTED]');
    const trimmed = compare(baseEntry({ orgId: ' org_acme ', occurredAt: '2026-03-01T14:00:00+02:00' }));
    expect(trimmed.snapshot?.entry.orgId).toBe('org_acme');
    expect(trimmed.snapshot?.entry.occurredAt).toBe('2026-03-01T12:00:00.000Z');
  });

  it("drops unknown keys and follows the schema's key order like the exact path", () => {
    const reordered = compare(
      baseEntry({ actor: { id: 'u1', kind: 'user', extra: 1 }, entity: { id: 'c', type: 't' } }),
    );
    expect(reordered.snapshot?.json).toContain('"actor":{"kind":"user","id":"u1"}');
    const { id: _id, ...rest } = baseEntry();
    compare({ ...rest, id: 'moved-last' });
  });

  it('agrees with the exact path on arbitrary shapes of every field, or leaves the entry to it', () => {
    const field = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          kind: fc.constantFrom('user', 'bot'),
          id: fc.string({ maxLength: 4 }),
          name: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      ),
      fc.record(
        {
          direction: fc.constantFrom('in', 'up'),
          provider: fc.string({ maxLength: 3 }),
          eventType: fc.string({ maxLength: 3 }),
          request: fc.record(
            {
              headers: fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 0 })),
              body: fc.jsonValue({ maxDepth: 2 }),
            },
            { requiredKeys: [] },
          ),
          statusCode: fc.integer({ min: 0, max: 700 }),
        },
        { requiredKeys: [] },
      ),
      fc.array(
        fc.record(
          {
            path: fc.string({ maxLength: 3 }),
            kind: fc.constantFrom('added', 'moved'),
            before: fc.jsonValue({ maxDepth: 1 }),
            redacted: fc.jsonValue({ maxDepth: 0 }),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
    );
    const key = fc.constantFrom(
      'actor',
      'entity',
      'webhook',
      'changes',
      'metadata',
      'error',
      'progress',
      'context',
      'summary',
      'retryable',
      'durationMs',
      'completedAt',
      'type',
      'status',
      'unknown',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(key, field), { maxLength: 4 }), fc.boolean(), (pairs, typeFirst) => {
        const overrides = Object.fromEntries(pairs);
        const candidate = typeFirst ? { type: 'USER_ACTION', ...baseEntry(overrides) } : baseEntry(overrides);
        compare(candidate);
      }),
      { numRuns: 500 },
    );
  });
});
