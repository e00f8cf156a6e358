/**
 * Fault 6 in a real browser: what Chromium's own URL parser makes of every href safeHref lets through.
 * jsdom and Node share whatwg-url's reading of the spec; this checks the browser users actually click in.
 */
import fc from 'fast-check';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeHref } from '../../src/safeHref.js';
import { launchChromium } from './harness.js';

let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage();
  // A page on an https origin, below the root, as a host app would mount the log.
  await page.route('https://app.test/**', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>t</title>' }),
  );
  await page.goto('https://app.test/club/activity');
});

afterAll(async () => {
  await browser?.cleanup();
});

const tricky = [
  ...[
    '\u00a0',
    '\ufeff',
    '\u2028',
    '\u2029',
    '\u3000',
    '\u1680',
    '\u2000',
    '\u200a',
    '\u205f',
    '\u202f',
  ].flatMap((ws) => [`${ws}javascript:alert(1)`, `${ws}data:text/html,<script>alert(1)</script>`]),
  '\u0000javascript:alert(1)',
  ' \u001fjavascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'javascript&colon;alert(1)',
  'vbscript:msgbox(1)',
  'blob:https://app.test/x',
  'file:///etc/passwd',
  '//evil.test',
  '\\\\evil.test',
  '/\\evil.test',
  '/contacts/1',
  'contacts/1',
  '../up',
  '?q=1',
  '#top',
  'https://app.test/c/1',
  'HTTP://Other.test',
];

/** What an `<a href>` with this value opens in Chromium, on the page above. */
async function opened(hrefs: string[]): Promise<{ protocol: string; origin: string; href: string }[]> {
  return page.evaluate((values) => {
    const a = document.createElement('a');
    return values.map((v) => {
      a.setAttribute('href', v);
      return { protocol: a.protocol, origin: a.origin, href: a.href };
    });
  }, hrefs);
}

describe('safeHref in Chromium', () => {
  it('fault 6: every href it returns opens http(s) in Chromium, and a reference stays on the page origin', async () => {
    const generated = fc.sample(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 24 }),
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc
          .tuple(fc.constantFrom(...tricky), fc.string({ unit: 'binary', maxLength: 6 }))
          .map(([a, b]) => `${b}${a}`),
      ),
      { numRuns: 2000, seed: 6 },
    );
    const inputs = [...tricky, ...generated];
    const outputs = inputs.map((input) => ({ input, out: safeHref(input) }));
    const kept = outputs.filter((o): o is { input: string; out: string } => o.out !== undefined);
    expect(kept.length).toBeGreaterThan(500);
    const results = await opened(kept.map((k) => k.out));
    results.forEach((r, i) => {
      const { input, out } = kept[i] as { input: string; out: string };
      expect(['http:', 'https:'], `${JSON.stringify(input)} → ${out}`).toContain(r.protocol);
      if (!/^https?:/i.test(out)) expect(r.origin, out).toBe('https://app.test');
    });
    // And the refused ones are refused for a reason Chromium agrees with, for the hand-picked cases.
    const refused = tricky.filter((t) => safeHref(t) === undefined);
    const raw = await opened(refused);
    raw.forEach((r, i) => {
      const bad = !['http:', 'https:'].includes(r.protocol) || r.origin !== 'https://app.test';
      expect(bad, JSON.stringify(refused[i])).toBe(true);
    });
  });
});
