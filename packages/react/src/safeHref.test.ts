import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeHref } from './safeHref.js';

/** Every code point String.prototype.trim strips that the URL parser does not (WHATWG: only C0 and space). */
const TRIM_ONLY_WHITESPACE = [
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u2001',
  '\u2002',
  '\u2003',
  '\u2004',
  '\u2005',
  '\u2006',
  '\u2007',
  '\u2008',
  '\u2009',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
];
const C0_AND_SPACE = Array.from({ length: 0x21 }, (_, i) => String.fromCharCode(i));
const BAD_SCHEMES = [
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  'JAVASCRIPT:alert(1)',
  'jAvAsCrIpT:alert(document.domain)',
  'javascript://%0aalert(1)',
  'data:text/html,<script>alert(1)</script>',
  'DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'vbscript:msgbox(1)',
  'blob:https://app.example.com/0b8d1c3e-7a2f-4c1e-9f1a-1a2b3c4d5e6f',
  'file:///etc/passwd',
  'filesystem:https://app.example.com/temporary/x',
  'about:blank',
  'mailto:a@b.test',
  'ftp://files.example.com/x',
  'ws://x.test/',
  'x-custom:thing',
];
const BASES = ['http://host.test/a/b', 'https://other.test/', 'https://deep.test/x/y/z?q#f'];

function parse(value: string, base?: string): URL | undefined {
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}

/** What a link with this href would open, on a page served from `base`. */
function opens(href: string, base: string): URL | undefined {
  return parse(href, base);
}

describe('safeHref', () => {
  it.each([
    ['/contacts/1', '/contacts/1'],
    ['contacts/1', './contacts/1'],
    ['../up', './../up'],
    ['?q=1', '?q=1'],
    ['#top', '#top'],
    ['https://app.example.com/c/1', 'https://app.example.com/c/1'],
    ['HTTP://X.test', 'http://x.test/'],
    ['  https://app.example.com/c/1\n', 'https://app.example.com/c/1'],
    ['/search?q=caf\u00e9 cr\u00e8me', '/search?q=caf%C3%A9%20cr%C3%A8me'],
  ])('accepts %j as %j', (input, expected) => {
    expect(safeHref(input)).toBe(expected);
  });

  it('rejects non-strings and empty values', () => {
    expect(safeHref(undefined)).toBeUndefined();
    expect(safeHref(null)).toBeUndefined();
    expect(safeHref('')).toBeUndefined();
    expect(safeHref(' \t\n ')).toBeUndefined();
  });

  it.each(BAD_SCHEMES)('fault 6: refuses the scheme of %j', (input) => {
    expect(safeHref(input)).toBeUndefined();
  });

  it('fault 6: refuses a bad scheme padded with C0 controls and spaces on either side', () => {
    for (const scheme of BAD_SCHEMES) {
      for (const c of C0_AND_SPACE) {
        expect(safeHref(`${c}${scheme}`), JSON.stringify(`${c}${scheme}`)).toBeUndefined();
        expect(safeHref(`${c}${c}${scheme}${c}`)).toBeUndefined();
      }
    }
  });

  it.each([
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    'java\rscript:alert(1)',
    'j\ta\nv\ra\tscript:alert(1)',
    'javascript\t:alert(1)',
    '\tjavascript:alert(1)',
    'data\n:text/html,x',
  ])('fault 6: refuses a scheme split by a tab or newline, %j', (input) => {
    expect(safeHref(input)).toBeUndefined();
  });

  it('fault 6: a scheme behind any whitespace that trim() strips never becomes a live scheme', () => {
    for (const ws of TRIM_ONLY_WHITESPACE) {
      for (const bad of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>']) {
        const input = `${ws}${bad}`;
        const out = safeHref(input);
        // The parser reads these as a path on the page's own origin; the old code returned `bad` itself.
        expect(out, JSON.stringify(input)).not.toBe(bad);
        expect(out?.trim()).not.toBe(bad);
        if (out === undefined) continue;
        expect(out).toMatch(/^\.\/%/);
        for (const base of BASES) {
          expect(opens(out, base)?.origin).toBe(new URL(base).origin);
        }
      }
    }
  });

  it('fault 6: U+00A0 before javascript: gives a same-origin path, never the script', () => {
    expect(safeHref('\u00a0javascript:alert(1)')).toBe('./%C2%A0javascript:alert(1)');
    expect(safeHref('\ufeffdata:text/html,<b>x</b>')).toBe('./%EF%BB%BFdata:text/html,<b>x</b>');
  });

  it('keeps two lone surrogates split by a tab apart, as the URL parser does (U+FFFD each, never one character)', () => {
    // Found by the property below (seed 700518798): tabs were dropped before the halves became U+FFFD.
    const value = '\ud800\t\udc00';
    expect(safeHref(value)).toBe('./%EF%BF%BD%EF%BF%BD');
    for (const base of BASES)
      expect(opens(safeHref(value) as string, base)?.href).toBe(opens(value, base)?.href);
  });

  it('fault 6: "javascript&colon;" stays relative even once HTML entities are decoded', () => {
    const out = safeHref('javascript&colon;alert(1)');
    expect(out).toBe('./javascript&colon;alert(1)');
    const decoder = document.createElement('textarea');
    decoder.innerHTML = out ?? '';
    expect(decoder.value).toBe('./javascript:alert(1)');
    expect(parse(decoder.value)).toBeUndefined();
    expect(opens(decoder.value, BASES[0] as string)?.protocol).toBe('http:');
  });

  it.each([
    '//evil.test',
    '//evil.test/path',
    '///evil.test',
    '\\\\evil.test',
    '\\/evil.test',
    '/\\evil.test',
    ' //evil.test',
    '\t/\t/evil.test',
    '\\\\\\evil.test',
    'https:',
    'http:',
  ])('fault 6: refuses the cross-origin (or hostless) reference %j', (input) => {
    expect(safeHref(input)).toBeUndefined();
  });

  it('lets a host link to another http(s) origin when it says so in full', () => {
    expect(safeHref('https://evil.test/')).toBe('https://evil.test/');
  });

  it('renders through the same element a browser would use: the anchor opens what safeHref checked', () => {
    const a = document.createElement('a');
    for (const input of ['\u00a0javascript:alert(1)', 'contacts/1', '/x?y=1#z', 'HTTPS://A.test']) {
      const out = safeHref(input);
      if (out === undefined) throw new Error(`refused ${input}`);
      a.setAttribute('href', out);
      expect(['http:', 'https:']).toContain(a.protocol);
    }
  });

  it('fault 6: no output ever parses to a scheme other than http(s), and a reference keeps its target', () => {
    const fragments = fc.constantFrom(
      ...TRIM_ONLY_WHITESPACE,
      ...C0_AND_SPACE,
      '\u007f',
      '\ud800',
      '\udc00',
      'javascript',
      'JaVaScRiPt',
      'data',
      'vbscript',
      'blob',
      'file',
      'http',
      'https',
      ':',
      '&colon;',
      '&#58;',
      '%3A',
      '/',
      '\\',
      '//',
      '?',
      '#',
      '.',
      '..',
      '@',
      'evil.test',
      'alert(1)',
      'é',
    );
    const input = fc.oneof(
      fc.array(fragments, { maxLength: 8 }).map((parts) => parts.join('')),
      fc.string({ unit: 'binary', maxLength: 24 }),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc
        .tuple(fc.constantFrom(...BAD_SCHEMES), fc.constantFrom(...TRIM_ONLY_WHITESPACE, ...C0_AND_SPACE))
        .map(([s, w]) => `${w}${s}`),
    );
    fc.assert(
      fc.property(input, (value) => {
        const out = safeHref(value);
        if (out === undefined) return;
        // Printable ASCII only: nothing a later step could trim, fold or read differently.
        expect(out).toMatch(/^[\u0021-\u007e]+$/);
        const alone = parse(out);
        if (alone) {
          expect(['http:', 'https:']).toContain(alone.protocol);
          expect(alone.href).toBe(parse(value)?.href);
          return;
        }
        for (const base of BASES) {
          const target = opens(out, base);
          expect(target?.origin).toBe(new URL(base).origin);
          // The rewritten reference opens exactly what the original would have.
          expect(target?.href).toBe(opens(value, base)?.href);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
