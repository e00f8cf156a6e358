import { describe, expect, it } from 'vitest';
import { ActivityError } from '../errors.js';
import type { ActivityEntry } from '../types.js';
import { createRedactor, DEFAULT_REDACT_KEYS } from './redact.js';

const R = '[REDACTED]';

function webhookEntry(overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  return {
    id: '0195f3c2-7a10-7c4e-9a3b-2f1d0c9b8a70',
    orgId: 'org_acme',
    occurredAt: '2026-03-01T12:00:00.000Z',
    recordedAt: '2026-03-01T12:00:00.050Z',
    schemaVersion: 1,
    type: 'WEBHOOK',
    status: 'SUCCESS',
    actor: { kind: 'external', id: 'stripe', name: 'Stripe' },
    action: 'payment_intent.succeeded',
    ...overrides,
  };
}

describe('createRedactor().isSecretKey', () => {
  const redactor = createRedactor();

  it.each([
    'Authorization',
    'proxy-authorization',
    'Cookie',
    'Set-Cookie',
    'password',
    'newPassword',
    'passwd',
    'client_secret',
    'secret',
    'token',
    'access_token',
    'refreshToken',
    'id_token',
    'api_key',
    'X-Api-Key',
    'apiKey',
    'private_key',
    'ssn',
    'card_number',
    'cardNumber',
    'pan',
    'cvv',
    'CVC',
    'Stripe-Signature',
    'X-Hub-Signature-256',
    'aws_secret_access_key',
  ])('hides %s', (key) => {
    expect(redactor.isSecretKey(key)).toBe(true);
  });

  it.each(['status', 'name', 'email', 'company', 'amount', 'span', 'id', 'path'])('keeps %s', (key) => {
    expect(redactor.isSecretKey(key)).toBe(false);
  });

  it('adds custom keys to the defaults, or replaces them', () => {
    const added = createRedactor({ keys: ['dob', /^x-internal-/] });
    expect(added.isSecretKey('DOB')).toBe(true);
    expect(added.isSecretKey('X-Internal-Trace')).toBe(true);
    expect(added.isSecretKey('password')).toBe(true);
    const replaced = createRedactor({ keys: ['dob'], replaceDefaultKeys: true });
    expect(replaced.isSecretKey('password')).toBe(false);
    expect(replaced.isSecretKey('dob')).toBe(true);
  });

  it('exposes the default list', () => {
    expect(DEFAULT_REDACT_KEYS).toContain('authorization');
    expect(Object.isFrozen(DEFAULT_REDACT_KEYS)).toBe(true);
  });
});

describe('createRedactor().text', () => {
  const redactor = createRedactor();

  it('hides Luhn-valid card numbers, with or without separators, and keeps other numbers', () => {
    expect(redactor.text('card 4242 4242 4242 4242 declined')).toBe(`card ${R} declined`);
    expect(redactor.text('card 4000-0566-5566-5556')).toBe(`card ${R}`);
    expect(redactor.text('order 1234567890123456')).toBe('order 1234567890123456');
    expect(redactor.text('phone 555-0100, 2026-03-01')).toBe('phone 555-0100, 2026-03-01');
  });

  it('hides bearer tokens, Stripe keys, webhook secrets and JWTs', () => {
    expect(redactor.text('sent Bearer abc.DEF-123== upstream')).toBe(`sent Bearer ${R} upstream`);
    expect(redactor.text('key sk_live_51HxYzAbCdEf and rk_test_12345678')).toBe(`key ${R} and ${R}`);
    expect(redactor.text('whsec_abcdefgh12345678')).toBe(R);
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(redactor.text(`token ${jwt} expired`)).toBe(`token ${R} expired`);
  });

  it('hides secret key=value pairs in URLs, forms and log lines, and URL passwords', () => {
    expect(redactor.text('GET /cb?next=/home&access_token=abc123&page=2')).toBe(
      `GET /cb?next=/home&access_token=${R}&page=2`,
    );
    expect(redactor.text('connect postgres://app:hunter2@db:5432/prod failed')).toBe(
      `connect postgres://app:${R}@db:5432/prod failed`,
    );
    expect(redactor.text('login failed for password: hunter2')).toBe(`login failed for password: ${R}`);
    expect(redactor.text('Authorization: Bearer zzz')).toBe(`Authorization: ${R}`);
    expect(redactor.text('{"password":"hunter2","user":"a"}')).toBe(`{"password":"${R}","user":"a"}`);
    expect(redactor.text('Error: timeout at status=500')).toBe('Error: timeout at status=500');
  });

  it('still finds a card number after a harmless key', () => {
    expect(redactor.text('card=4242424242424242')).toBe(`card=${R}`);
  });

  it('applies custom patterns and a custom censor', () => {
    const custom = createRedactor({ patterns: [/ACCT-\d+/], censor: '***' });
    expect(custom.text('ACCT-991 and ACCT-992, card 4242424242424242')).toBe('*** and ***, card ***');
    const only = createRedactor({ patterns: [/ACCT-\d+/], replaceDefaultPatterns: true });
    expect(only.text('ACCT-991 4242424242424242')).toBe(`${R} 4242424242424242`);
  });
});

describe('createRedactor().value', () => {
  it('hides secret keys at any depth, in arrays too, keeping the rest', () => {
    const redactor = createRedactor();
    const input = { user: { name: 'Riley', password: 'p', sessions: [{ token: 't', ip: '1.2.3.4' }] } };
    expect(redactor.value(input)).toEqual({
      user: { name: 'Riley', password: R, sessions: [{ token: R, ip: '1.2.3.4' }] },
    });
    expect(input.user.password).toBe('p');
  });

  it('hides a whole object stored under a secret key', () => {
    expect(createRedactor().value({ credentials: { user: 'u', pass: 'p' } })).toEqual({ credentials: R });
  });

  it('hides configured paths, with * wildcards, relative to the given position', () => {
    const redactor = createRedactor({ paths: ['metadata.customer.email', 'metadata.lines.*.note'] });
    const metadata = {
      customer: { email: 'a@x.io', name: 'Alex' },
      lines: [
        { note: 'n1', qty: 1 },
        { note: 'n2', qty: 2 },
      ],
      email: 'kept@x.io',
    };
    expect(redactor.value(metadata, 'metadata')).toEqual({
      customer: { email: R, name: 'Alex' },
      lines: [
        { note: R, qty: 1 },
        { note: R, qty: 2 },
      ],
      email: 'kept@x.io',
    });
    expect(redactor.value(metadata)).toEqual(metadata);
  });

  it('keeps __proto__ keys as data and fails closed on cycles', () => {
    const input = JSON.parse('{"__proto__": {"password": "p"}}');
    const out = createRedactor().value(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ password: R });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(createRedactor().value(cyclic)).toEqual({ a: 1, self: R });
  });

  it('rejects empty paths at construction', () => {
    expect(() => createRedactor({ paths: [''] })).toThrow(ActivityError);
  });
});

describe('createRedactor().entry', () => {
  it('redacts webhook headers and JSON bodies without mutating the input', () => {
    const redactor = createRedactor({ paths: ['webhook.request.body.data.customer_email'] });
    const entry = webhookEntry({
      webhook: {
        direction: 'in',
        provider: 'stripe',
        eventType: 'payment_intent.succeeded',
        url: 'https://api.example.com/hooks?api_key=k123',
        request: {
          headers: { 'Stripe-Signature': 't=1,v1=abc', 'Content-Type': 'application/json' },
          body: JSON.stringify({
            id: 'evt_1',
            data: { customer_email: 'a@x.io', card: { cvc: '123', last4: '4242' } },
          }),
        },
        response: { headers: { 'Set-Cookie': 'sid=1' }, body: { ok: true, token: 'xyz' } },
        statusCode: 200,
      },
    });
    const snapshot = structuredClone(entry);
    const out = redactor.entry(entry);
    expect(entry).toEqual(snapshot);
    expect(out.webhook?.url).toBe(`https://api.example.com/hooks?api_key=${R}`);
    expect(out.webhook?.request?.headers).toEqual({
      'Stripe-Signature': R,
      'Content-Type': 'application/json',
    });
    expect(JSON.parse(out.webhook?.request?.body as string)).toEqual({
      id: 'evt_1',
      data: { customer_email: R, card: { cvc: R, last4: '4242' } },
    });
    expect(out.webhook?.response).toEqual({ headers: { 'Set-Cookie': R }, body: { ok: true, token: R } });
    expect(out.webhook?.statusCode).toBe(200);
  });

  it('redacts form-encoded and plain-text bodies', () => {
    const redactor = createRedactor({ paths: ['webhook.request.body.email'] });
    const out = redactor.entry(
      webhookEntry({
        webhook: {
          direction: 'out',
          provider: 'fedex',
          eventType: 'track',
          request: { body: 'email=a%40x.io&client_secret=s3&amount=5' },
          response: { body: 'unauthorized: Bearer abc123 rejected' },
        },
      }),
    );
    expect(out.webhook?.request?.body).toBe(`email=${R}&client_secret=${R}&amount=5`);
    expect(out.webhook?.response?.body).toBe(`unauthorized: Bearer ${R} rejected`);
  });

  it('redacts error message and stack, metadata, context and summary', () => {
    const redactor = createRedactor({ paths: ['context.ip'] });
    const out = redactor.entry(
      webhookEntry({
        type: 'BACKGROUND_JOB',
        status: 'FAILED',
        summary: 'charged 4242 4242 4242 4242',
        metadata: { apiKey: 'k', processed: 3 },
        context: { ip: '203.0.113.9', requestId: 'req_1' },
        error: {
          name: 'StripeError',
          message: 'Invalid API Key provided: sk_test_abcdefgh1234',
          stack: 'StripeError: at charge (token=abc)',
        },
      }),
    );
    expect(out.summary).toBe(`charged ${R}`);
    expect(out.metadata).toEqual({ apiKey: R, processed: 3 });
    expect(out.context).toEqual({ ip: R, requestId: 'req_1' });
    expect(out.error).toEqual({
      name: 'StripeError',
      message: `Invalid API Key provided: ${R}`,
      stack: `StripeError: at charge (token=${R})`,
    });
  });

  it('shows redacted diff fields as "changed, hidden"', () => {
    const redactor = createRedactor({ fields: ['contact.ssn'], paths: ['changes.billing.iban'] });
    const out = redactor.entry(
      webhookEntry({
        type: 'USER_ACTION',
        changes: [
          { path: 'contact.ssn', kind: 'changed', before: '111', after: '222' },
          { path: 'password', kind: 'added', after: 'hunter2' },
          { path: 'auth.api_key', kind: 'removed', before: 'k' },
          { path: 'contact', kind: 'added', after: { name: 'Alex', ssn: '333' } },
          { path: 'billing.iban', kind: 'changed', before: 'FR1', after: 'FR2' },
          { path: 'status', kind: 'changed', before: 'LEAD', after: 'VIP' },
        ],
      }),
    );
    expect(out.changes).toEqual([
      { path: 'contact.ssn', kind: 'changed', redacted: true },
      { path: 'password', kind: 'added', redacted: true },
      { path: 'auth.api_key', kind: 'removed', redacted: true },
      { path: 'contact', kind: 'added', after: { name: 'Alex', ssn: R } },
      { path: 'billing.iban', kind: 'changed', redacted: true },
      { path: 'status', kind: 'changed', before: 'LEAD', after: 'VIP' },
    ]);
    expect(JSON.stringify(out.changes)).not.toMatch(/111|222|hunter2|333|FR1/);
  });

  it('is fast enough for the hot path', () => {
    const redactor = createRedactor();
    const entry = webhookEntry({
      metadata: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field${i}`, `value number ${i}`])),
    });
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) redactor.entry(entry);
    // ~1 KB of metadata; generous bound so a loaded shared CI box does not flake.
    expect((performance.now() - started) / 10_000).toBeLessThan(0.5);
  });
});

describe('createRedactor() on hostile text (ReDoS regression)', () => {
  const redactor = createRedactor();
  const KB32 = 32 * 1024;
  const fill = (unit: string, tail = '', size = KB32) =>
    unit.repeat(Math.ceil(size / unit.length)).slice(0, size) + tail;

  // At 32 KB each of these took 1.8-2.9 s before the fix (a branch restarted at every word boundary of
  // the run, rescanning it: quadratic), so at 64 KB over 7 s. Now each takes milliseconds; the 5 s test
  // timeout is the regression guard, so a return to quadratic fails without a flaky timing assertion.
  const KB64 = 2 * KB32;
  it('redacts a 64 KB run of scheme characters before :// without rescanning it', () => {
    const input = fill('a.', '://', KB64);
    expect(redactor.text(input)).toBe(input);
    const hidden = redactor.text(`${fill('a.', '', KB64)}x://user:hunter2@db`);
    expect(hidden.endsWith(`x://user:${R}@db`)).toBe(true);
  }, 5_000);

  it('redacts a 64 KB run of eyJ- without rescanning it, and still hides a JWT after it', () => {
    const input = fill('eyJ-', '', KB64);
    expect(redactor.text(input)).toBe(input);
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(redactor.text(`${input} ${jwt}`)).toBe(`${input} ${R}`);
  }, 5_000);

  it('stays fast on every other pathological run the patterns could rescan', () => {
    const runs = [
      fill('eyJaaaaa.'),
      fill('eyJ.eyJ', '=x'),
      fill('1 '),
      fill('Bearer '),
      fill('\tBearer -'),
      fill(`token${' '.repeat(30)}`),
      fill('a-', '://'),
      fill('x://a:'),
      `x://${'a'.repeat(KB32)}`,
      `x://a:${'b'.repeat(KB32)}`,
      fill('token='),
      fill('a.', '='),
      fill('a=b&', 'x'),
    ];
    for (const run of runs) expect(typeof redactor.text(run)).toBe('string');
    // Form bodies take the structural path: a long non-form text must fall back to text() quickly too.
    const entry = webhookEntry({
      webhook: { direction: 'in', provider: 'p', eventType: 'e', request: { body: fill('a=b&', 'x') } },
    });
    expect(redactor.entry(entry).webhook?.request?.body).toBe(fill('a=b&', 'x'));
  }, 5_000);

  it('still hides a JWT with claims longer than the header bound', () => {
    const jwt = `eyJhbGciOiJIUzI1NiJ9.${'eyJ'.padEnd(6000, 'A')}.sig_nature-1`;
    expect(redactor.text(`t ${jwt} end`)).toBe(`t ${R} end`);
  });
});

describe('createRedactor() default keys (missed secrets regression)', () => {
  const redactor = createRedactor();

  it.each([
    'auth',
    'X-Auth',
    'xauth',
    'key',
    'sig',
    'signature',
    'code',
    'session',
    'x-session',
    'sessionid',
    'sid',
    'dsn',
  ])('hides %s as a whole key', (key) => {
    expect(redactor.isSecretKey(key)).toBe(true);
  });

  it.each([
    'zipcode',
    'postcode',
    'zip_code',
    'country_code',
    'keyboard',
    'monkey',
    'author',
    'sessions_count',
    'side',
  ])('keeps %s (the short names match whole keys only)', (key) => {
    expect(redactor.isSecretKey(key)).toBe(false);
  });

  it('hides API keys, SAS signatures and OAuth codes in query strings, and URL userinfo without a password', () => {
    expect(
      redactor.text('GET https://maps.googleapis.com/x?key=AIzaSyA1234567890abcdef&sig=SAS123 failed'),
    ).toBe(`GET https://maps.googleapis.com/x?key=${R}&sig=${R} failed`);
    expect(redactor.text('https://h.example/cb?code=OAUTHCODE123&state=s&sv=2020&sig=AZURESIG')).toBe(
      `https://h.example/cb?code=${R}&state=s&sv=2020&sig=${R}`,
    );
    expect(redactor.text('report to https://k3y@o1.ingest.sentry.io/42')).toBe(
      `report to https://${R}@o1.ingest.sentry.io/42`,
    );
    expect(redactor.text('dsn=https://k@sentry.io/1 session=s3cr3t auth=abc123')).toBe(
      `dsn=${R} session=${R} auth=${R}`,
    );
    // The password form keeps the user, as before.
    expect(redactor.text('postgres://app:hunter2@db/x')).toBe(`postgres://app:${R}@db/x`);
    // Query parameters that merely contain the short names stay visible.
    expect(redactor.text('/s?zipcode=94107&postcode=SW1A&keyword=wine')).toBe(
      '/s?zipcode=94107&postcode=SW1A&keyword=wine',
    );
  });

  it('does not treat prose like "error code: E42" as a secret, but hides code= in text', () => {
    expect(redactor.text('failed with error code: E42 (key: retries)')).toBe(
      'failed with error code: E42 (key: retries)',
    );
    expect(redactor.text('callback code=abc&state=1')).toBe(`callback code=${R}&state=1`);
    // A host that lists a short name itself means it everywhere, prose included.
    expect(createRedactor({ keys: ['code'] }).text('error code: E42')).toBe(`error code: ${R}`);
  });

  it('hides X-Auth and X-Session headers, auth/key JSON body keys and code= in form bodies', () => {
    const out = redactor.entry(
      webhookEntry({
        webhook: {
          direction: 'out',
          provider: 'oauth',
          eventType: 'token',
          request: {
            headers: { 'X-Auth': 'xauthval', 'x-session': 'sessval', 'Content-Type': 'application/json' },
            body: '{"user":{"auth":"authval","key":"keyval","zipcode":"94107"}}',
          },
          response: { body: 'grant_type=authorization_code&code=c1&postcode=SW1A' },
        },
      }),
    );
    expect(out.webhook?.request?.headers).toEqual({
      'X-Auth': R,
      'x-session': R,
      'Content-Type': 'application/json',
    });
    expect(JSON.parse(out.webhook?.request?.body as string)).toEqual({
      user: { auth: R, key: R, zipcode: '94107' },
    });
    expect(out.webhook?.response?.body).toBe(`grant_type=authorization_code&code=${R}&postcode=SW1A`);
  });

  it('hides session= and auth= in error messages', () => {
    const out = redactor.entry(
      webhookEntry({
        error: { name: 'Error', message: 'login failed; session=s3cr3tsess auth=abc123 user=riley' },
      }),
    );
    expect(out.error?.message).toBe(`login failed; session=${R} auth=${R} user=riley`);
  });
});
