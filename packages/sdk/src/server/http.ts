/**
 * HTTP plumbing shared by the handler's routes: JSON and error responses with security headers, and the
 * signed keyset cursor. Only web-standard APIs (Request, Response, Web Crypto; `node:crypto` is used for
 * HMAC only where the runtime offers it), so the handler runs unchanged on Node, Next.js, Hono, Bun and Deno.
 */
import { ActivityError, type ActivityErrorCode } from '../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Headers every response of the handler carries: nothing is cached, sniffed, framed or leaked as a referrer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

/** HTTP status for each error code the handler can answer with; anything else is a 500. */
export const ERROR_STATUS: Partial<Record<ActivityErrorCode, number>> = {
  INVALID_FILTER: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NOT_RETRYABLE: 409,
  CONFLICT: 409,
  RATE_LIMITED: 429,
};

/** Builds a header set with the security headers plus `extra`. */
export function headers(extra: Record<string, string> = {}): Headers {
  const h = new Headers(SECURITY_HEADERS);
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return h;
}

/**
 * A JSON answer before it is made a `Response`. The handler's routes answer with these; the fetch-standard
 * handler turns them into Responses ({@link toResponse}), while the Node adapter writes them as they are:
 * building a web Response (headers, a byte stream over a copy of the body) costs more than the rest of
 * the handler's work on a list page.
 */
export class JsonReply {
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** Header names in lower case. */
    readonly headers: Record<string, string>,
    /** The JSON bytes; undefined for a HEAD answer. */
    readonly body: Uint8Array<ArrayBuffer> | undefined,
  ) {}
}

/** What a route or the handler answers: a web Response, or a JSON answer not yet made one. */
export type Reply = Response | JsonReply;

/** A JSON reply (`application/json; charset=utf-8`) with the security headers. */
export function jsonReply(body: unknown, status = 200, extra: Record<string, string> = {}): JsonReply {
  return new JsonReply(
    status,
    { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', ...extra },
    encoder.encode(JSON.stringify(body)),
  );
}

/** Body bytes of the responses made from a {@link JsonReply}, so an adapter can write them without a stream. */
const serialized = new WeakMap<Response, Uint8Array>();

/** The Response of a reply (a Response stays itself); a no-route mark carries over. */
export function toResponse(reply: Reply): Response {
  if (!(reply instanceof JsonReply)) return reply;
  // Bytes, not the string: a string body is re-scanned for lone surrogates and encoded by the Response
  // constructor, which costs as much as the stringify on a 50-entry page.
  const response = new Response(reply.body ?? null, { status: reply.status, headers: reply.headers });
  if (reply.body !== undefined) serialized.set(response, reply.body);
  if (unmatched.has(reply)) unmatched.add(response);
  return response;
}

/** A JSON response (`application/json; charset=utf-8`) with the security headers. */
export function json(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return toResponse(jsonReply(body, status, extra));
}

/**
 * The whole body of a response made by {@link json} while it is still unread, else `undefined`.
 * Lets the Node adapter send it in one write with a Content-Length instead of pumping the web stream.
 */
export function serializedBody(response: Response): Uint8Array | undefined {
  return response.bodyUsed ? undefined : serialized.get(response);
}

/** The JSON error reply: `{ error: { code, message, field?, ...details } }`. */
export function errorReply(error: unknown, details: Record<string, unknown> = {}): JsonReply {
  if (error instanceof ActivityError) {
    const status = ERROR_STATUS[error.code] ?? error.status ?? 500;
    if (status < 500) return jsonReply({ error: { ...error.toJSON(), ...details } }, status);
  }
  // Internal failures keep their details server-side: a store message may name tables or paths.
  return jsonReply({ error: { code: 'HTTP', message: 'internal error' } }, 500);
}

/** The JSON error body as a Response; see {@link errorReply}. */
export function errorResponse(error: unknown, details: Record<string, unknown> = {}): Response {
  return toResponse(errorReply(error, details));
}

const unmatched = new WeakSet<Reply>();

/** A 404 for a path no route matches; adapters such as Express middleware pass these on with `next()`. */
export function noRoute(): JsonReply {
  const reply = errorReply(new ActivityError('NOT_FOUND', 'no such route'));
  unmatched.add(reply);
  return reply;
}

/** True when `reply` came from {@link noRoute}. */
export function isNoRoute(reply: Reply): boolean {
  return unmatched.has(reply);
}

/**
 * The handler's internal entry: the same answers as the fetch-standard function, before JSON replies are
 * made Responses. The Node adapter calls it when present (see `toNodeHandler`).
 */
export const REPLY_HANDLER: unique symbol = Symbol.for('@activity/sdk.replyHandler');

/** The internal entry's type: {@link REPLY_HANDLER}. */
export type ReplyHandler = (request: Request) => Promise<Reply>;

/**
 * Signals of requests the Node adapter made without one: a Request given a signal follows it with a
 * listener, a second AbortController and a finalizer, which costs about as much as the route itself.
 */
const requestSignals = new WeakMap<Request, AbortSignal>();

/** Gives `request` the abort signal of its connection (see {@link signalOf}). */
export function attachSignal(request: Request, signal: AbortSignal): void {
  requestSignals.set(request, signal);
}

/** The signal that aborts when `request`'s client goes away: the adapter's, else the Request's own. */
export function signalOf(request: Request): AbortSignal {
  return requestSignals.get(request) ?? request.signal;
}

/** A keyset position: the (occurredAt, id) of the last entry seen, newest-first order. */
export interface Position {
  occurredAt: string;
  id: string;
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Signs and verifies positions (list cursors, tail event ids) with HMAC-SHA-256 over org + position. */
export interface PositionCodec {
  /** An opaque token for `position`, valid only for `orgId`. */
  encode(orgId: string, position: Position): Promise<string>;
  /** The position in `token`; throws `INVALID_FILTER` naming `field` when it is malformed, forged or another org's. */
  decode(orgId: string, token: string, field: string): Promise<Position>;
}

const MAC_BYTES = 16;

/** The subset of `node:crypto` the codec uses. */
interface NodeHmac {
  createHmac(algorithm: 'sha256', key: Uint8Array): { update(data: string): { digest(): Uint8Array } };
}

/**
 * HMAC-SHA-256 with `key`. Uses `node:crypto` where the runtime has it (Node >= 20.16, Bun, Deno): it is
 * synchronous, while Web Crypto's `sign` goes through the thread pool and adds ~0.1 ms to every list page.
 * Elsewhere (edge runtimes) Web Crypto; both give the same bytes, so tokens stay valid across runtimes.
 */
function hmacSigner(key: Uint8Array<ArrayBuffer>): (message: string) => Promise<Uint8Array> {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const nodeCrypto = proc?.getBuiltinModule?.('node:crypto') as Partial<NodeHmac> | undefined;
  if (typeof nodeCrypto?.createHmac === 'function') {
    const { createHmac } = nodeCrypto as NodeHmac;
    return async (message) => createHmac('sha256', key).update(message).digest();
  }
  const webKey = crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return async (message) =>
    new Uint8Array(await crypto.subtle.sign('HMAC', await webKey, encoder.encode(message)));
}

/**
 * Creates the codec. Without a secret a random per-process key is used, so tokens do not survive a
 * restart and are not shared between instances: pass `secret` when running more than one.
 */
export function createPositionCodec(secret?: string): PositionCodec {
  const keyBytes = secret === undefined ? crypto.getRandomValues(new Uint8Array(32)) : encoder.encode(secret);
  const sign = hmacSigner(keyBytes);
  // The org is part of the signed message, so a token minted for one org is refused for every other.
  const mac = async (orgId: string, payload: string) =>
    (await sign(`${orgId}\u0000${payload}`)).subarray(0, MAC_BYTES);

  return {
    async encode(orgId, position) {
      const payload = toBase64Url(encoder.encode(JSON.stringify([position.occurredAt, position.id])));
      return `${payload}.${toBase64Url(await mac(orgId, payload))}`;
    },
    async decode(orgId, token, field) {
      const invalid = (reason: string) =>
        new ActivityError('INVALID_FILTER', `${field}: ${reason}`, { field, status: 400 });
      if (token.length > 512) throw invalid('too long');
      const [payload, signature, extra] = token.split('.');
      if (!payload || !signature || extra !== undefined) throw invalid('malformed');
      let parsed: unknown;
      try {
        parsed = JSON.parse(decoder.decode(fromBase64Url(payload)));
      } catch {
        throw invalid('malformed');
      }
      // Compares the canonical text, so a variant encoding of the same bytes is refused too.
      const expected = toBase64Url(await mac(orgId, payload));
      let diff = signature.length ^ expected.length;
      for (let i = 0; i < expected.length; i++) diff |= signature.charCodeAt(i) ^ expected.charCodeAt(i);
      if (diff !== 0) throw invalid('signature does not match');
      if (
        !Array.isArray(parsed) ||
        parsed.length !== 2 ||
        typeof parsed[0] !== 'string' ||
        typeof parsed[1] !== 'string' ||
        Number.isNaN(Date.parse(parsed[0]))
      ) {
        throw invalid('malformed');
      }
      return { occurredAt: parsed[0], id: parsed[1] };
    },
  };
}

/** Reads an optional positive integer parameter, or throws `INVALID_FILTER` naming it. */
export function intParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ActivityError('INVALID_FILTER', `${name}: must be an integer from 1 to ${max}`, {
      field: name,
    });
  }
  return Number(raw);
}
