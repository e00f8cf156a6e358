/**
 * Link safety for URLs that come from logged data or from the host (entity links, re-trigger pages).
 *
 * The WHATWG URL parser decides, the one an `<a href>` uses, never a hand-written scheme check: a value
 * that parses alone is absolute and must be http(s); anything else is a reference resolved against a base,
 * and it must land on that base's own origin (so it names no scheme or host of its own). The references
 * are resolved against two unrelated dummy bases, so the answer does not depend on where the page is
 * served, and is the same on the server and in the browser.
 */

const WEB_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:']);

// Unrelated schemes, hosts and paths: a reference that lands on both bases' own origins is same-origin
// wherever it is used. `//host` (protocol-relative) and its backslash forms land on `host`: refused.
const BASES = [new URL('http://a.activity.invalid/one/two'), new URL('https://b.activity.invalid/')] as const;

function parse(value: string, base?: URL): URL | undefined {
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}

/**
 * The URL made safe for an `href`, or undefined when it is not a link we render.
 *
 * - An absolute URL is kept only when its scheme is `http:` or `https:`, and returned normalised (`URL.href`):
 *   `"HTTP://Example.com"` → `"http://example.com/"`. `javascript:`, `data:`, `vbscript:`, `blob:`, `file:`
 *   and every other scheme give undefined, however they are cased or padded.
 * - A relative reference is kept when it stays on the page's origin (`/contacts/1`, `?q=1`, `#top`,
 *   `contacts/1`); protocol-relative `//host` and `\\host`, `/\host` are refused. It is returned as the
 *   browser would read it, with the characters the parser ignores removed and the ones it would
 *   percent-encode (controls, spaces, non-ASCII) already encoded, and a path-relative reference prefixed
 *   with `./` (RFC 3986 §4.2) so that no decoding step can turn its first segment into a scheme
 *   (`"javascript&colon;x"` → `"./javascript&colon;x"`).
 *
 * The result contains printable ASCII only. Links built from logged data are a classic XSS hole.
 *
 * @example safeHref('\u00a0javascript:alert(1)') // "./%C2%A0javascript:alert(1)", a same-origin path
 */
export function safeHref(value: string | undefined | null): string | undefined {
  if (typeof value !== 'string') return undefined;
  const absolute = parse(value);
  if (absolute) return WEB_SCHEMES.has(absolute.protocol) ? absolute.href : undefined;
  for (const base of BASES) {
    const resolved = parse(value, base);
    if (!resolved || resolved.origin !== base.origin) return undefined;
  }
  return sameOriginReference(value);
}

// Leading and trailing C0 controls and spaces, and tabs and newlines anywhere: the URL parser drops them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const IGNORED_EDGES = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;
const IGNORED_ANYWHERE = /[\t\n\r]/g;
// The parser percent-encodes these in every component of a reference (C0 controls, space, DEL, non-ASCII).
const ENCODED_EVERYWHERE = /[^\u0021-\u007e]+/gu;
const utf8 = new TextEncoder();
// A surrogate without its pair. `new URL()` takes a USVString, so these become U+FFFD before the parser
// drops tabs and newlines; dropping them first could join two halves into a character the parser never sees.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A reference already checked to stay on the page's origin, written out unambiguously. */
function sameOriginReference(value: string): string | undefined {
  const reference = value
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(IGNORED_EDGES, '')
    .replace(IGNORED_ANYWHERE, '');
  if (reference === '') return undefined;
  const encoded = reference.replace(ENCODED_EVERYWHERE, (run) =>
    Array.from(utf8.encode(run), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  return /^[/\\?#]/.test(encoded) ? encoded : `./${encoded}`;
}
