/**
 * CORS for a page served from another origin (a Vite dev server on :5173 calling the API on :3000, or a
 * separate front-end origin in production). Only the origins listed are answered; the same origins are
 * trusted by the cross-site checks (crossSite.ts), and no other.
 */
import { ActivityError } from '../errors.js';
import { JsonReply, type Reply } from './http.js';

/** The `cors` option of `createActivityHandler`. */
export interface HandlerCorsOptions {
  /**
   * Origin(s) of the pages allowed to call the handler, exactly as the browser sends them (scheme, host
   * and port, no path). `*` is not accepted: the API answers with the viewer's data.
   * @example 'http://localhost:5173'
   */
  origin: string | readonly string[];
  /**
   * Let the browser send cookies with those requests (the client then needs `credentials: 'include'`).
   * @default true
   */
  credentials?: boolean | undefined;
  /** How long a browser may cache a preflight answer, in seconds. @default 600 */
  maxAgeSeconds?: number | undefined;
}

/** The checked `cors` option, applied around the handler. */
export interface Cors {
  /** The allowed origins, normalised (`new URL(x).origin`). */
  readonly origins: ReadonlySet<string>;
  /** Wraps the handler: answers preflights and adds the CORS headers for an allowed origin. */
  wrap(handler: (request: Request) => Promise<Reply>): (request: Request) => Promise<Reply>;
}

const METHODS = 'GET, HEAD, POST';
// What the query client sends beyond the safelisted headers; a host's own auth header is echoed below.
const HEADERS = 'authorization, content-type, last-event-id, x-activity-request';
// Read by the client: the export's file name.
const EXPOSED = 'content-disposition';

function fail(message: string): never {
  throw new ActivityError('CONFIG', `cors.origin: ${message}`, { field: 'cors.origin' });
}

function toOrigin(value: unknown): string {
  if (typeof value !== 'string') fail('each origin must be a string such as "http://localhost:5173"');
  if (value === '*') fail('"*" is not allowed; list the page origins, e.g. "http://localhost:5173"');
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // Reported below.
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    fail(`"${value}" is not an http(s) origin such as "http://localhost:5173"`);
  }
  if (value.replace(/\/$/, '') !== url.origin) {
    fail(`"${value}" has a path, query or credentials; an origin is scheme://host:port ("${url.origin}")`);
  }
  return url.origin;
}

/** `set` and `append` over a JsonReply's lower-case header record, as on a Headers object. */
function plainHeaders(record: Record<string, string>): Pick<Headers, 'set' | 'append'> {
  return {
    set: (name, value) => {
      record[name.toLowerCase()] = value;
    },
    append: (name, value) => {
      const key = name.toLowerCase();
      const had = record[key];
      record[key] = had === undefined ? value : `${had}, ${value}`;
    },
  };
}

/** Checks the option; throws `CONFIG` naming `cors.origin` with the fix. */
export function createCors(options: HandlerCorsOptions): Cors {
  const list = typeof options.origin === 'string' ? [options.origin] : options.origin;
  if (!Array.isArray(list) || list.length === 0) fail('give at least one origin');
  const origins = new Set(list.map(toOrigin));
  const credentials = options.credentials ?? true;
  const maxAge = options.maxAgeSeconds ?? 600;
  if (!Number.isInteger(maxAge) || maxAge < 0) {
    throw new ActivityError('CONFIG', 'cors.maxAgeSeconds: must be a whole number ≥ 0', {
      field: 'cors.maxAgeSeconds',
    });
  }

  const allow = (headers: Pick<Headers, 'set'>, origin: string) => {
    headers.set('access-control-allow-origin', origin);
    if (credentials) headers.set('access-control-allow-credentials', 'true');
  };

  const preflight = (request: Request, origin: string | null): Response => {
    const headers = new Headers({ vary: 'Origin, Access-Control-Request-Headers' });
    if (origin === null || !origins.has(origin)) return new Response(null, { status: 403, headers });
    allow(headers, origin);
    headers.set('access-control-allow-methods', METHODS);
    const asked = request.headers.get('access-control-request-headers');
    // An allowed origin may send its own auth header (the client's `headers` option): echo what it asks.
    headers.set('access-control-allow-headers', asked && asked.length <= 1024 ? asked : HEADERS);
    headers.set('access-control-max-age', maxAge.toString());
    return new Response(null, { status: 204, headers });
  };

  return {
    origins,
    wrap(handler) {
      return async (request) => {
        const origin = request.headers.get('origin');
        if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) {
          return preflight(request, origin);
        }
        const reply = await handler(request);
        // In place: the reply keeps its identity (the Node adapter's fast path, the no-route mark).
        const headers = reply instanceof JsonReply ? plainHeaders(reply.headers) : reply.headers;
        headers.append('vary', 'Origin');
        if (origin !== null && origins.has(origin)) {
          allow(headers, origin);
          headers.set('access-control-expose-headers', EXPOSED);
        }
        return reply;
      };
    },
  };
}
