/**
 * `createActivityHandler`: the query API as one fetch-standard `(request) => Promise<Response>`.
 * The org always comes from `authorize()`; no parameter, cursor, token or body can widen it.
 */
import type { ActivityRecorder } from '../core/api.js';
import type { CatalogDefinition, CatalogLabels } from '../core/catalog.js';
import type { ActivityStore, Viewer } from '../types.js';
import type { HandlerCorsOptions } from './cors.js';
import { REQUEST_MARKER_HEADER } from './crossSite.js';
import { createDispatcher } from './dispatch.js';
import type { ExportNotice } from './export.js';
import { createHandlerContext } from './handlerContext.js';
import { isNoRoute, REPLY_HANDLER, toResponse } from './http.js';
import { type HandlerIntegrityOptions, integrityRoutes } from './integrity.js';
import type { RetryOptions } from './retry.js';
import type { Route } from './route.js';
import { entryRoutes } from './routes/entries.js';
import { exportRoutes } from './routes/exports.js';
import { metaRoutes } from './routes/meta.js';
import { tailRoute } from './routes/tail.js';

/** Export settings; enabling them mounts the export routes. */
export interface HandlerExportOptions {
  /** HMAC secret signing download links (at least 16 characters). */
  secret: string;
  /** Folder for async export files. */
  dir?: string | undefined;
  /** Row count above which an export runs as a background job. */
  asyncThreshold?: number | undefined;
  /** Lifetime of a download link in milliseconds. */
  linkTtlMs?: number | undefined;
  /** Receives the signed link when an async export is ready (the host sends the email). */
  notify?: ((notice: ExportNotice) => void | Promise<void>) | undefined;
}

/** Options of {@link createActivityHandler}. */
export interface ActivityHandlerOptions {
  /** Where entries are read from. @default activity.store */
  store?: ActivityStore | undefined;
  /**
   * The recorder: needed for retries and exports, which are recorded as entries themselves. When given,
   * its store is read (unless `store` is set) and its catalog labels `GET /catalog` (unless `catalog` is set).
   */
  activity?: (ActivityRecorder & { readonly catalog?: CatalogDefinition | undefined }) | undefined;
  /** Identifies the viewer of a request; `null` answers 401. The org scope comes only from here. */
  authorize: (request: Request) => Viewer | null | Promise<Viewer | null>;
  /**
   * Path the handler is mounted under (`/api/activity`). When omitted, routes are matched at the end of
   * the path, so the handler works under any prefix.
   */
  basePath?: string | undefined;
  /** Retry handlers per job name and webhook provider. */
  retry?: RetryOptions | undefined;
  /** CSV export settings; the export routes answer 404 without them. */
  exports?: HandlerExportOptions | undefined;
  /**
   * Labels and filter options for the UI (`catalogLabels(catalog)`), served by `GET /catalog` with the
   * `retryable` flags set from the registered retry handlers.
   * @default catalogLabels(activity.catalog), or only types and statuses without a recorder's catalog
   */
  catalog?: CatalogLabels | undefined;
  /** Oldest retained time of an org: the lower bound of `range=all`. */
  retainedSince?: ((orgId: string) => string | undefined) | undefined;
  /** Secret signing list cursors and tail positions. @default exports.secret, else a random per-process key */
  cursorSecret?: string | undefined;
  /** Largest page size a client may ask for. @default 200 */
  maxLimit?: number | undefined;
  /** Page size when none is asked. @default 50 */
  defaultLimit?: number | undefined;
  /** Poll interval of the live tail. @default 1000 */
  tailPollMs?: number | undefined;
  /** Heartbeat interval of the live tail. @default 15000 */
  tailHeartbeatMs?: number | undefined;
  /**
   * How far behind the newest entry it has sent the live tail keeps looking, by `occurredAt`: an entry
   * recorded later than that (a backdated import, a late webhook) is listed but not sent live. @default 10000
   */
  tailLagMs?: number | undefined;
  /**
   * Most live-tail connections open at once, per org and in total; past either the tail answers 429.
   * @default { perOrg: 50, total: 500 }
   */
  maxTailConnections?: { perOrg?: number | undefined; total?: number | undefined } | undefined;
  /**
   * Bytes queued for a tail client that stopped reading before its stream is closed (it resumes with
   * Last-Event-ID). @default 1048576
   */
  tailMaxBacklogBytes?: number | undefined;
  /**
   * Absolute URL the handler is reached at by users (`https://app.example.com/api/activity`). Download links
   * of async exports are built from it; without it they come from the request URL, whose host a client
   * controls (the `Host` header). Its origin is also trusted for state-changing requests.
   * @example 'https://app.example.com/api/activity'
   */
  publicBaseUrl?: string | undefined;
  /**
   * Other origins allowed to make state-changing or recorded requests (POST, `GET /export.csv`,
   * `GET /exports/:id/download`) with the viewer's cookies, e.g. a separate front-end origin. The
   * request's own origin and `publicBaseUrl`'s are always allowed.
   * @example ['https://admin.example.com']
   */
  allowedOrigins?: readonly string[] | undefined;
  /**
   * Lets pages on other origins call the handler (a dev server on another port, a separate front end):
   * preflights are answered and responses carry CORS headers for exactly these origins, which the
   * cross-site checks then trust as well. The client is created with the handler's absolute URL.
   * @example { origin: 'http://localhost:5173' }
   */
  cors?: HandlerCorsOptions | undefined;
  /** Tamper evidence: mounts `GET /entries/:id/proof`, `GET /integrity/keys` and `GET /integrity/verify` (docs/integrity.md). */
  integrity?: HandlerIntegrityOptions | undefined;
  /** Clock, for tests. @default () => new Date() */
  now?: (() => Date) | undefined;
}

export type { HandlerCorsOptions };
export { REQUEST_MARKER_HEADER };

/** The handler: a fetch-standard function, plus lifecycle for background retries. */
export interface ActivityHandler {
  (request: Request): Promise<Response>;
  /** Resolves when every background retry has settled. */
  idle(): Promise<void>;
  /** Aborts running retry handlers' signals and waits for them. */
  close(): Promise<void>;
  /** Deletes async export files and manifests past their expiry; resolves with the exports removed. */
  sweepExports(): Promise<number>;
}

export { HISTOGRAM_BUCKETS, type HistogramBucketName } from './histogramPlan.js';

/**
 * Creates the query API handler. Mount it in any fetch-style framework (Next.js, Hono, Bun, Deno) or in
 * Node with `toNodeHandler` / `toExpressMiddleware`.
 * @example
 * const handler = createActivityHandler({ activity, authorize: (req) => viewerFromSession(req) });
 * export const GET = handler; export const POST = handler; // Next.js app/api/activity/[...path]/route.ts
 */
export function createActivityHandler(options: ActivityHandlerOptions): ActivityHandler {
  const hc = createHandlerContext(options);
  const { retries, exporter } = hc;
  const routes: Route[] = [
    ...entryRoutes(hc),
    ...exportRoutes(hc),
    tailRoute(hc),
    ...metaRoutes(hc),
    ...integrityRoutes({ store: hc.store, options: options.integrity, filterOf: hc.filterOf, now: hc.now }),
  ];
  const handle = createDispatcher(hc, routes);
  const replyHandler = hc.cors ? hc.cors.wrap(handle) : handle;
  const fetchHandler = async (request: Request) => toResponse(await replyHandler(request));
  return Object.assign(fetchHandler, {
    [REPLY_HANDLER]: replyHandler,
    async idle() {
      await retries?.idle();
    },
    async close() {
      retries?.abort();
      await retries?.idle();
    },
    async sweepExports() {
      return (await exporter?.sweep()) ?? 0;
    },
  });
}

/** True when the handler answered 404 because no route matched (adapters then fall through). */
export { isNoRoute };
