/**
 * Adapters from the fetch-standard handler to Node's `http` server and to Express-style middleware.
 * Responses are streamed chunk by chunk with backpressure (the SSE tail and CSV exports never buffer),
 * and a client disconnect aborts the request's signal and cancels the body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import {
  attachSignal,
  isNoRoute,
  JsonReply,
  REPLY_HANDLER,
  type Reply,
  type ReplyHandler,
  serializedBody,
} from './http.js';

/** A fetch-standard handler, such as the one `createActivityHandler` returns. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Node's `(req, res)` listener. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Express-style middleware; `req.originalUrl` and `req.baseUrl` are read when present. */
export type ExpressMiddleware = (
  req: IncomingMessage & { originalUrl?: string; baseUrl?: string },
  res: ServerResponse,
  next: (error?: unknown) => void,
) => Promise<void>;

/** A host name, IPv4 or bracketed IPv6 address, with an optional port: what a Host header may be. */
const HOST = /^(?:(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

function toRequest(
  req: IncomingMessage & { originalUrl?: string },
  signal: AbortSignal | undefined,
): Request {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  // The Host header is the client's to choose: a malformed one must not make `new URL` throw (a 500), and
  // links meant for users come from the handler's `publicBaseUrl`, never from it.
  const raw = req.headers.host ?? '';
  const host = raw.length <= 260 && HOST.test(raw) ? raw : 'localhost';
  const url = new URL(req.originalUrl ?? req.url ?? '/', `${encrypted ? 'https' : 'http'}://${host}`);
  // Pairs, not a Headers object the Request would copy again. `req.headers`, not `rawHeaders`, so headers
  // set by earlier middleware are seen.
  const requestHeaders: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) requestHeaders.push([name, v]);
    else requestHeaders.push([name, value]);
  }
  const method = req.method ?? 'GET';
  // A body parser (express.json) may have consumed the stream already; then there is nothing left to pass.
  const hasBody = method !== 'GET' && method !== 'HEAD' && !req.readableEnded;
  const init: RequestInit & { duplex?: 'half' } = { method, headers: requestHeaders };
  if (signal) init.signal = signal;
  if (hasBody) {
    init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  return new Request(url, init);
}

async function writeResponse(response: Reply, res: ServerResponse, signal: AbortSignal): Promise<void> {
  if (response instanceof JsonReply) {
    // The handler's JSON answer as it is: no web Response, headers or stream are built for it.
    const out: Record<string, string> = { ...response.headers };
    if (response.body !== undefined) out['content-length'] = String(response.body.byteLength);
    res.writeHead(response.status, out);
    res.end(response.body);
    return;
  }
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) out['set-cookie'] = cookies;
  const bytes = serializedBody(response);
  if (bytes !== undefined) {
    // A JSON body already in memory: one write with a Content-Length, no stream to pump, no chunking.
    out['content-length'] = String(bytes.byteLength);
    res.writeHead(response.status, out);
    res.end(bytes);
    return;
  }
  res.writeHead(response.status, out);
  if (!response.body) {
    res.end();
    return;
  }
  // Sends the headers now: an SSE client must see the 200 before the first event arrives.
  res.flushHeaders();
  const reader = response.body.getReader();
  const cancel = () => {
    void reader.cancel().catch(() => {});
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    while (!signal.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
  } catch {
    // The body failed mid-stream (or was cancelled on disconnect); the status line is already sent.
    if (!res.destroyed) res.destroy();
    return;
  } finally {
    signal.removeEventListener('abort', cancel);
  }
  if (!res.destroyed) res.end();
}

function serve(
  handler: FetchHandler,
  req: IncomingMessage & { originalUrl?: string },
  res: ServerResponse,
  onResponse?: (response: Reply) => boolean,
): Promise<void> {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return (async () => {
    // The activity handler's own entry skips making JSON answers into Responses, and reads the
    // connection's signal from the adapter rather than from the Request (see `signalOf`).
    const direct = (handler as { [REPLY_HANDLER]?: ReplyHandler })[REPLY_HANDLER];
    let response: Reply;
    if (direct) {
      const request = toRequest(req, undefined);
      attachSignal(request, controller.signal);
      response = await direct(request);
    } else {
      response = await handler(toRequest(req, controller.signal));
    }
    if (onResponse && !onResponse(response)) return;
    await writeResponse(response, res, controller.signal);
  })();
}

/**
 * Wraps the handler as a Node `http` listener.
 * @example http.createServer(toNodeHandler(handler)).listen(3000)
 */
export function toNodeHandler(handler: FetchHandler): NodeHandler {
  return async (req, res) => {
    try {
      await serve(handler, req, res);
    } catch {
      if (!res.headersSent) {
        res.writeHead(500, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(JSON.stringify({ error: { code: 'HTTP', message: 'internal error' } }));
      } else if (!res.destroyed) res.destroy();
    }
  };
}

/**
 * Wraps the handler as Express (or Connect) middleware. Mount it anywhere: the full `originalUrl` is
 * passed on, and paths that are not API routes fall through to `next()`.
 * @example app.use('/api/activity', toExpressMiddleware(handler))
 */
export function toExpressMiddleware(handler: FetchHandler): ExpressMiddleware {
  return async (req, res, next) => {
    try {
      await serve(handler, req, res, (response) => {
        if (!isNoRoute(response)) return true;
        next();
        return false;
      });
    } catch (error) {
      next(error);
    }
  };
}
