/**
 * `createActivityHandler`: the query API as one fetch-standard `(request) => Promise<Response>`.
 * The org always comes from `authorize()`; no parameter, cursor, token or body can widen it.
 */
import type { ActivityRecorder } from '../core/api.js';
import { type CatalogDefinition, type CatalogLabels, catalogLabels } from '../core/catalog.js';
import { isStorableId } from '../core/validate.js';
import { ActivityError } from '../errors.js';
import { parseFilter, type ResolvedFilter, resolveFilter } from '../filters.js';
import { entryFieldsParam, summaryWith } from '../summary.js';
import { encodeSummaryPage } from '../summaryPage.js';
import type { ActivityFilter, ActivityStore, Viewer, ViewerPermission } from '../types.js';
import { type Cors, createCors, type HandlerCorsOptions } from './cors.js';
import { type CrossSiteGuard, checkCrossSite, REQUEST_MARKER_HEADER } from './crossSite.js';
import { createExporter, type Exporter, type ExportNotice } from './export.js';
import { planHistogram } from './histogramPlan.js';
import {
  createPositionCodec,
  errorReply,
  headers,
  intParam,
  isNoRoute,
  JsonReply,
  jsonReply,
  noRoute,
  type Position,
  REPLY_HANDLER,
  type Reply,
  signalOf,
  toResponse,
} from './http.js';
import { type HandlerIntegrityOptions, integrityRoutes } from './integrity.js';
import {
  createRetryRunner,
  decorateEntry,
  findRetryHandler,
  NotRetryableError,
  type RetryOptions,
  type RetryRunner,
} from './retry.js';
import { createTailStream } from './tail.js';

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

interface Ctx {
  request: Request;
  url: URL;
  params: URLSearchParams;
  viewer: Viewer;
  /** Route parameters (`:id`). */
  id: string;
  /** Absolute URL of the handler's mount point, without a trailing slash (`publicBaseUrl` when set). */
  base: string;
}

type RouteFn = (ctx: Ctx) => Promise<Reply>;

interface Route {
  method: 'GET' | 'POST';
  path: string[];
  /** Needed permission; `null` for the public health probe. */
  permission: ViewerPermission | null;
  /**
   * `refuse`: HEAD answers 405, because the GET records an audit entry or holds a live connection.
   * Otherwise HEAD answers the GET's status and headers without a body.
   */
  head?: 'refuse';
  run: RouteFn;
}

/** A HEAD answer: the GET's status and headers, its body released unread. */
function headersOnly(reply: Reply): Reply {
  if (reply instanceof JsonReply) return new JsonReply(reply.status, reply.headers, undefined);
  void reply.body?.cancel().catch(() => undefined);
  return new Response(null, { status: reply.status, headers: reply.headers });
}

/** Reads a positive-integer option, or fails at construction naming it. */
function limitOption(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new ActivityError('CONFIG', `${field}: must be a positive integer`, { field });
  }
  return value;
}

/** The origin of an absolute http(s) URL option, or a CONFIG error naming it. */
function originOption(value: string, field: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // Reported below.
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ActivityError('CONFIG', `${field}: "${value}" is not an absolute http(s) URL`, { field });
  }
  return url.origin;
}

function validateViewer(viewer: Viewer): Viewer {
  if (
    typeof viewer !== 'object' ||
    typeof viewer.orgId !== 'string' ||
    viewer.orgId === '' ||
    typeof viewer.userId !== 'string' ||
    !Array.isArray(viewer.permissions)
  ) {
    // A host bug, not the caller's: answered as 500 so it is noticed, never as access.
    throw new Error('authorize() must return { orgId, userId, permissions } or null');
  }
  return viewer;
}

/**
 * Creates the query API handler. Mount it in any fetch-style framework (Next.js, Hono, Bun, Deno) or in
 * Node with `toNodeHandler` / `toExpressMiddleware`.
 * @example
 * const handler = createActivityHandler({ activity, authorize: (req) => viewerFromSession(req) });
 * export const GET = handler; export const POST = handler; // Next.js app/api/activity/[...path]/route.ts
 */
export function createActivityHandler(options: ActivityHandlerOptions): ActivityHandler {
  const { activity } = options;
  const store = options.store ?? activity?.store;
  if (store === undefined) {
    throw new ActivityError('CONFIG', 'store: pass `store`, or `activity` (its store is read)', {
      field: 'store',
    });
  }
  if (typeof options.authorize !== 'function') {
    throw new ActivityError('CONFIG', 'authorize: a function (request) => Viewer | null is required', {
      field: 'authorize',
    });
  }
  const hasRetry =
    Object.keys(options.retry?.jobs ?? {}).length + Object.keys(options.retry?.providers ?? {}).length;
  if ((hasRetry || options.exports) && activity === undefined) {
    throw new ActivityError(
      'CONFIG',
      'activity: retries and exports are recorded, so pass the recorder as `activity`',
      {
        field: 'activity',
      },
    );
  }
  const maxLimit = options.maxLimit ?? 200;
  const defaultLimit = Math.min(options.defaultLimit ?? 50, maxLimit);
  const now = options.now ?? (() => new Date());
  const basePath = options.basePath?.replace(/\/+$/, '');
  const codec = createPositionCodec(options.cursorSecret ?? options.exports?.secret);
  const retries: RetryRunner | undefined = activity ? createRetryRunner(activity, options.retry) : undefined;
  const publicBase = options.publicBaseUrl?.replace(/\/+$/, '');
  const trustedOrigins = new Set<string>(
    (options.allowedOrigins ?? []).map((o) => originOption(o, 'allowedOrigins')),
  );
  if (publicBase !== undefined) trustedOrigins.add(originOption(publicBase, 'publicBaseUrl'));
  const cors: Cors | undefined = options.cors === undefined ? undefined : createCors(options.cors);
  for (const origin of cors?.origins ?? []) trustedOrigins.add(origin);
  const tailPerOrg = limitOption(options.maxTailConnections?.perOrg, 50, 'maxTailConnections.perOrg');
  const tailTotal = limitOption(options.maxTailConnections?.total, 500, 'maxTailConnections.total');
  /** Open tail streams per org; an org's key is removed at zero so the map stays small. */
  const tailsByOrg = new Map<string, number>();
  let tailsOpen = 0;
  const exporter: Exporter | undefined =
    options.exports && activity
      ? createExporter({
          store,
          activity,
          secret: options.exports.secret,
          dir: options.exports.dir,
          asyncThreshold: options.exports.asyncThreshold,
          linkTtlMs: options.exports.linkTtlMs,
          notify: options.exports.notify,
        })
      : undefined;
  const decorate = (entry: Parameters<typeof decorateEntry>[1]) => decorateEntry(options.retry, entry);

  const filterOf = (ctx: Ctx): ResolvedFilter => {
    const filter: ActivityFilter = parseFilter(ctx.params);
    return resolveFilter(filter, now(), options.retainedSince?.(ctx.viewer.orgId));
  };
  /** Refuses a GET with effects that another site may have caused (POSTs are checked before auth). */
  const guard = (ctx: Ctx, kind: CrossSiteGuard) =>
    checkCrossSite(ctx.request, ctx.url, trustedOrigins, kind);
  const requireExporter = (): Exporter => {
    if (!exporter)
      throw new ActivityError('NOT_FOUND', 'export is not enabled on this server', { status: 404 });
    return exporter;
  };
  const csvResponse = (filename: string, body: ReadableStream<Uint8Array>) =>
    new Response(body, {
      status: 200,
      headers: headers({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`,
      }),
    });

  const labels = options.catalog ?? catalogLabels(activity?.catalog);
  // What the UI offers a Retry button for must match what this handler can actually retry.
  const catalogJson: CatalogLabels = {
    ...labels,
    jobs: labels.jobs.map((j) => ({ ...j, retryable: Object.hasOwn(options.retry?.jobs ?? {}, j.value) })),
    providers: labels.providers.map((p) => ({
      ...p,
      retryable: Object.hasOwn(options.retry?.providers ?? {}, p.value),
    })),
  };

  const routes: Route[] = [
    {
      method: 'GET',
      path: ['entries'],
      permission: 'read',
      async run(ctx) {
        // Summaries unless `fields=full`: the table needs a row, the drawer fetches the entry itself.
        // `fields=compact` sends them as a compact page (what the client, and so the page, asks for).
        const fields = entryFieldsParam(ctx.params);
        const filter = filterOf(ctx);
        const limit = intParam(ctx.params, 'limit', defaultLimit, maxLimit);
        const cursor = ctx.params.get('cursor');
        const orgId = ctx.viewer.orgId;
        const after = cursor ? await codec.decode(orgId, cursor, 'cursor') : undefined;
        const query = { ...filter, orgId, limit, after };
        if (fields === 'full') {
          const page = await store.query(query);
          const nextCursor = page.next ? await codec.encode(orgId, page.next) : null;
          return jsonReply({ entries: page.entries.map(decorate), nextCursor });
        }
        // A store that can read only a row's columns does; the others' full entries are projected here.
        const page = store.querySummaries ? await store.querySummaries(query) : await store.query(query);
        const nextCursor = page.next ? await codec.encode(orgId, page.next) : null;
        const rows = page.entries.map((e) =>
          summaryWith(e, findRetryHandler(options.retry, e) !== undefined),
        );
        if (fields === 'compact') return jsonReply(encodeSummaryPage(orgId, rows, nextCursor));
        return jsonReply({ entries: rows, nextCursor });
      },
    },
    {
      method: 'GET',
      path: ['entries', ':id'],
      permission: 'read',
      async run(ctx) {
        // fault 9: an id no entry can have (NUL, control characters) is not asked of the store.
        const entry = isStorableId(ctx.id) ? await store.get(ctx.viewer.orgId, ctx.id) : undefined;
        if (!entry) throw new ActivityError('NOT_FOUND', 'no such entry', { status: 404 });
        return jsonReply(decorate(entry));
      },
    },
    {
      method: 'POST',
      path: ['entries', ':id', 'retry'],
      permission: 'retry',
      async run(ctx) {
        const entry = isStorableId(ctx.id) ? await store.get(ctx.viewer.orgId, ctx.id) : undefined;
        if (!entry) throw new ActivityError('NOT_FOUND', 'no such entry', { status: 404 });
        if (!retries)
          throw new NotRetryableError(entry, entry.retriggerUrl ?? options.retry?.retriggerUrl?.(entry));
        const run = retries.start(entry, ctx.viewer);
        return jsonReply({ entryId: run.id }, 202);
      },
    },
    {
      method: 'GET',
      path: ['facets'],
      permission: 'read',
      async run(ctx) {
        return jsonReply(await store.facets({ ...filterOf(ctx), orgId: ctx.viewer.orgId }));
      },
    },
    {
      method: 'GET',
      path: ['histogram'],
      permission: 'read',
      async run(ctx) {
        const filter = filterOf(ctx);
        const orgId = ctx.viewer.orgId;
        const plan = await planHistogram(store, orgId, filter, now().getTime(), ctx.params.get('bucket'));
        // The filter's own bounds, as list, facets and export use them: an open end stays open.
        const buckets = await store.histogram({ ...filter, orgId, bucketMs: plan.bucketMs });
        return jsonReply({
          bucket: plan.bucket,
          bucketMs: plan.bucketMs,
          from: new Date(plan.fromMs).toISOString(),
          to: new Date(plan.toMs).toISOString(),
          buckets,
        });
      },
    },
    {
      method: 'GET',
      path: ['export.csv'],
      permission: 'export',
      head: 'refuse',
      async run(ctx) {
        const ex = requireExporter();
        // A link or a form on another site must not start a recorded export (a Lax cookie rides along on
        // top-level navigations): the client's marker header, or the browser's word that it is this origin's.
        guard(ctx, 'export');
        const filter = filterOf(ctx);
        const count = await ex.count(ctx.viewer, filter);
        if (count > ex.asyncThreshold) {
          // Starting a job changes state, so it is POST-only; the client follows this transparently.
          return jsonReply(
            {
              error: {
                code: 'CONFLICT',
                message: `${count} entries are more than the ${ex.asyncThreshold} a streamed export allows; start a background export with POST /exports`,
                count,
                asyncThreshold: ex.asyncThreshold,
              },
            },
            409,
          );
        }
        const stamp = now().toISOString().slice(0, 19).replace(/[:T]/g, '-');
        return csvResponse(`activity-${stamp}.csv`, ex.stream(ctx.viewer, filter));
      },
    },
    {
      method: 'POST',
      path: ['exports'],
      permission: 'export',
      async run(ctx) {
        const started = await requireExporter().start(ctx.viewer, filterOf(ctx), ctx.base);
        return jsonReply(started, 202);
      },
    },
    {
      method: 'GET',
      path: ['exports', ':id'],
      permission: 'export',
      async run(ctx) {
        const status = await requireExporter().status(ctx.viewer, ctx.id);
        if (!status) throw new ActivityError('NOT_FOUND', 'no such export', { status: 404 });
        return jsonReply(status);
      },
    },
    {
      method: 'GET',
      path: ['exports', ':id', 'download'],
      permission: 'export',
      head: 'refuse',
      async run(ctx) {
        const ex = requireExporter();
        // Recorded as a download, so another site must not cause it; the emailed link still opens.
        guard(ctx, 'navigation');
        const token = ctx.params.get('token');
        if (!token) throw new ActivityError('INVALID_FILTER', 'token: required', { field: 'token' });
        // The token must be for the export the path names: nothing is served or recorded otherwise.
        const file = await ex.open(ctx.viewer, token, ctx.id);
        // Same answer for a forged, expired, other-org or other-export token: nothing to learn by probing.
        if (!file)
          throw new ActivityError('NOT_FOUND', 'no such export, or the link has expired', { status: 404 });
        return csvResponse(file.filename, file.stream);
      },
    },
    {
      method: 'GET',
      path: ['tail'],
      permission: 'read',
      // A HEAD would take a connection slot and poll the store for a body no one reads.
      head: 'refuse',
      async run(ctx) {
        const filter = filterOf(ctx);
        const orgId = ctx.viewer.orgId;
        const orgOpen = tailsByOrg.get(orgId) ?? 0;
        if (tailsOpen >= tailTotal || orgOpen >= tailPerOrg) {
          const scope = tailsOpen >= tailTotal ? 'on this server' : 'for this organization';
          return jsonReply(
            {
              error: {
                code: 'RATE_LIMITED',
                message: `too many live tail connections ${scope}; close another tab or try again later`,
              },
            },
            429,
            { 'retry-after': '30' },
          );
        }
        const lastEventId = ctx.request.headers.get('last-event-id') || ctx.params.get('lastEventId');
        let resumeFrom: Position | undefined;
        if (lastEventId) {
          const field = ctx.request.headers.get('last-event-id') ? 'Last-Event-ID' : 'lastEventId';
          resumeFrom = await codec.decode(ctx.viewer.orgId, lastEventId, field);
        }
        const body = createTailStream({
          store,
          orgId: ctx.viewer.orgId,
          filter,
          codec,
          resumeFrom,
          pollMs: options.tailPollMs,
          heartbeatMs: options.tailHeartbeatMs,
          lagMs: options.tailLagMs,
          decorate,
          fields: entryFieldsParam(ctx.params),
          signal: signalOf(ctx.request),
          maxBacklogBytes: options.tailMaxBacklogBytes,
          now,
          onClose() {
            tailsOpen--;
            const left = (tailsByOrg.get(orgId) ?? 1) - 1;
            if (left > 0) tailsByOrg.set(orgId, left);
            else tailsByOrg.delete(orgId);
          },
        });
        // Counted only once the stream exists: onClose above gives the slot back however it ends.
        tailsOpen++;
        tailsByOrg.set(orgId, (tailsByOrg.get(orgId) ?? 0) + 1);
        return new Response(body, {
          status: 200,
          headers: headers({
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-store, no-transform',
            connection: 'keep-alive',
            // Tells nginx-style proxies not to buffer the stream.
            'x-accel-buffering': 'no',
          }),
        });
      },
    },
    {
      method: 'GET',
      path: ['health'],
      // Public and content-free: load balancers probe it without credentials.
      permission: null,
      async run() {
        return jsonReply({ status: 'ok' });
      },
    },
    {
      method: 'GET',
      path: ['catalog'],
      permission: 'read',
      async run() {
        return jsonReply(catalogJson);
      },
    },
    ...integrityRoutes({ store, options: options.integrity, filterOf, now }),
  ];

  /** Splits the path into the mount point and the matched route; undefined when nothing matches. */
  function locate(pathname: string): { mount: string; route: Route; id: string } | undefined {
    const segments = pathname.split('/').filter((s) => s !== '');
    const matchAt = (start: number) => {
      let rest: string[];
      try {
        rest = segments.slice(start).map((s) => decodeURIComponent(s));
      } catch {
        return undefined;
      }
      for (const route of routes) {
        if (route.path.length !== rest.length) continue;
        let id = '';
        const ok = route.path.every((p, i) => {
          if (p !== ':id') return p === rest[i];
          id = rest[i] ?? '';
          return id !== '';
        });
        if (ok) return { route, id };
      }
      return undefined;
    };
    if (basePath !== undefined) {
      if (pathname !== basePath && !pathname.startsWith(`${basePath}/`)) return undefined;
      const m = matchAt(basePath.split('/').filter((s) => s !== '').length);
      return m && { mount: basePath, ...m };
    }
    // No base path: the earliest position where the rest of the path is a route is the mount point.
    for (let start = 0; start < segments.length; start++) {
      const m = matchAt(start);
      if (m) return { mount: start ? `/${segments.slice(0, start).join('/')}` : '', ...m };
    }
    return undefined;
  }

  /** HEAD answers headers only, errors included; a no-route 404 stays itself so adapters fall through. */
  async function handle(request: Request): Promise<Reply> {
    const response = await dispatch(request);
    return request.method === 'HEAD' && !isNoRoute(response) ? headersOnly(response) : response;
  }

  async function dispatch(request: Request): Promise<Reply> {
    try {
      const url = new URL(request.url);
      const located = locate(url.pathname);
      if (!located) return noRoute();
      const { route, id, mount } = located;
      const head = request.method === 'HEAD';
      const method = head ? 'GET' : request.method;
      if (method !== route.method) {
        const allowed = routes.filter((r) => r.path.join('/') === route.path.join('/')).map((r) => r.method);
        return methodNotAllowed(allowed.join(', '));
      }
      if (head && route.head === 'refuse') return methodNotAllowed(route.method);
      if (method === 'POST') checkCrossSite(request, url, trustedOrigins, 'state-change');
      let viewer: Viewer = { orgId: '', userId: '', permissions: [] };
      if (route.permission !== null) {
        const authorized = await options.authorize(request);
        if (authorized === null || authorized === undefined) {
          throw new ActivityError('UNAUTHORIZED', 'sign in to view the activity log', { status: 401 });
        }
        viewer = validateViewer(authorized);
        if (!viewer.permissions.includes(route.permission)) {
          throw new ActivityError('FORBIDDEN', `the "${route.permission}" permission is required`, {
            status: 403,
          });
        }
      }
      const base = publicBase ?? `${url.origin}${mount}`;
      return await route.run({ request, url, params: url.searchParams, viewer, id, base });
    } catch (error) {
      if (error instanceof NotRetryableError && error.retriggerUrl !== undefined) {
        return errorReply(error, { retriggerUrl: error.retriggerUrl });
      }
      return errorReply(error);
    }
  }

  const methodNotAllowed = (allow: string) =>
    jsonReply({ error: { code: 'HTTP', message: `method not allowed; use ${allow}` } }, 405, { allow });

  const replyHandler = cors ? cors.wrap(handle) : handle;
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
