/**
 * Cross-site request checks: a browser sends the viewer's cookies with requests another site makes, so
 * every route that changes state or records an audit entry refuses the ones a page on another site could
 * have caused. The browser's Fetch Metadata (`Sec-Fetch-*`, which no page can set) decides first; the
 * `Origin` header covers browsers without it; clients that send neither (servers, scripts) pass, since
 * they carry no ambient cookies. docs/security.md states the rule per route.
 */
import { ActivityError } from '../errors.js';

/** Header the query client sends on `GET /export.csv`; a page on another site cannot add it without CORS. */
export const REQUEST_MARKER_HEADER = 'x-activity-request';

/**
 * Which check a route needs:
 * - `state-change` (every POST): same-origin, a trusted origin, or the user (`Sec-Fetch-Site: none`).
 * - `export` (`GET /export.csv`): the same, plus `X-Activity-Request: 1` unless the browser says
 *   same-origin or none, because a GET is what a link or an `<img>` on another site can send.
 * - `navigation` (`GET /exports/:id/download`): the same as `state-change`, and also a top-level
 *   navigation the user started by a click (the emailed link, opened from a webmail page). A subresource,
 *   a fetch, a frame or a scripted navigation from another site is refused.
 */
export type CrossSiteGuard = 'state-change' | 'export' | 'navigation';

function refuse(message: string, field: string): never {
  throw new ActivityError('FORBIDDEN', message, { status: 403, field });
}

/** True when the browser says the user started this top-level navigation (a click, not a script). */
function isUserNavigation(request: Request): boolean {
  const h = request.headers;
  return (
    h.get('sec-fetch-mode') === 'navigate' &&
    h.get('sec-fetch-dest') === 'document' &&
    h.get('sec-fetch-user') === '?1'
  );
}

/** True when the request carries `X-Activity-Request` with exactly the value `1`. */
export function hasRequestMarker(request: Request): boolean {
  return request.headers.get(REQUEST_MARKER_HEADER) === '1';
}

/**
 * Throws `FORBIDDEN` (403, naming the header that decided) for a request another site may have caused.
 * `trusted` holds the origins allowed besides the request's own (`publicBaseUrl`, `allowedOrigins`).
 */
export function checkCrossSite(
  request: Request,
  url: URL,
  trusted: ReadonlySet<string>,
  guard: CrossSiteGuard,
): void {
  const origin = request.headers.get('origin');
  const site = request.headers.get('sec-fetch-site');
  // The browser's own word outranks the Origin comparison, which a TLS-terminating proxy can upset (the
  // handler sees http://, the browser sends https://).
  const browserSaysOwn = site === 'same-origin' || site === 'none';
  const trustedOrigin = origin !== null && trusted.has(origin);
  if (!trustedOrigin && !browserSaysOwn) {
    if (site !== null) {
      if (!(guard === 'navigation' && isUserNavigation(request))) {
        refuse(`${site} requests are refused; list the origin in allowedOrigins`, 'Sec-Fetch-Site');
      }
    } else if (origin !== null && origin !== url.origin) {
      // Browsers without Fetch Metadata (older Safari) still send Origin on POST and on CORS requests.
      refuse(
        `requests from origin ${origin} are refused; list it in allowedOrigins (or set publicBaseUrl behind a proxy)`,
        'Origin',
      );
    }
  }
  // A link or form on another site cannot add a header; a fetch from another site cannot either without
  // a CORS preflight the handler never answers. Only the exact value the docs name counts.
  if (guard === 'export' && !browserSaysOwn && !hasRequestMarker(request)) {
    refuse(
      `send the "${REQUEST_MARKER_HEADER}: 1" header (the query client does) to export`,
      REQUEST_MARKER_HEADER,
    );
  }
}
