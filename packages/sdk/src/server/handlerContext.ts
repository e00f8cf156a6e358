/**
 * What every route of `createActivityHandler` shares, built once from its options: the store, clock,
 * cursor codec, retry runner, exporter, trusted origins, page and tail limits, and the request's filter.
 * Checks the options as it goes, so a misconfiguration fails at construction, naming the option.
 */
import type { ActivityRecorder } from '../core/api.js';
import type { CatalogDefinition } from '../core/catalog.js';
import { ActivityError } from '../errors.js';
import { parseFilter, type ResolvedFilter, resolveFilter } from '../filters.js';
import type { ActivityEntry, ActivityFilter, ActivityStore } from '../types.js';
import { type Cors, createCors } from './cors.js';
import { type CrossSiteGuard, checkCrossSite } from './crossSite.js';
import { createExporter, type Exporter } from './export.js';
import type { ActivityHandlerOptions } from './handler.js';
import { createPositionCodec, type PositionCodec } from './http.js';
import { createRetryRunner, decorateEntry, type RetryRunner } from './retry.js';
import type { Ctx } from './route.js';

/** The handler's shared state and helpers, as its routes read them. */
export interface HandlerContext {
  options: ActivityHandlerOptions;
  store: ActivityStore;
  activity: (ActivityRecorder & { readonly catalog?: CatalogDefinition | undefined }) | undefined;
  now: () => Date;
  maxLimit: number;
  defaultLimit: number;
  /** The mount point without a trailing slash, when configured. */
  basePath: string | undefined;
  /** `publicBaseUrl` without a trailing slash. */
  publicBase: string | undefined;
  codec: PositionCodec;
  retries: RetryRunner | undefined;
  trustedOrigins: Set<string>;
  cors: Cors | undefined;
  tailPerOrg: number;
  tailTotal: number;
  exporter: Exporter | undefined;
  /** Adds the retry flags to an entry sent to the client. */
  decorate(entry: ActivityEntry): ActivityEntry;
  /** The request's filter, with `range` resolved against the clock and the org's retention. */
  filterOf(ctx: Ctx): ResolvedFilter;
  /** Refuses a GET with effects that another site may have caused (POSTs are checked before auth). */
  guard(ctx: Ctx, kind: CrossSiteGuard): void;
  /** The exporter, or a 404 when exports are not enabled. */
  requireExporter(): Exporter;
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

/** The store to read, after checking the options every handler needs. */
function checkedStore(options: ActivityHandlerOptions): ActivityStore {
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
  return store;
}

/** Builds the shared context; throws a CONFIG error for an invalid option. */
export function createHandlerContext(options: ActivityHandlerOptions): HandlerContext {
  const { activity } = options;
  const store = checkedStore(options);
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
  return {
    options,
    store,
    activity,
    now,
    maxLimit,
    defaultLimit,
    basePath,
    publicBase,
    codec,
    retries,
    trustedOrigins,
    cors,
    tailPerOrg,
    tailTotal,
    exporter,
    decorate: (entry) => decorateEntry(options.retry, entry),
    filterOf(ctx) {
      const filter: ActivityFilter = parseFilter(ctx.params);
      return resolveFilter(filter, now(), options.retainedSince?.(ctx.viewer.orgId));
    },
    guard: (ctx, kind) => checkCrossSite(ctx.request, ctx.url, trustedOrigins, kind),
    requireExporter() {
      if (!exporter)
        throw new ActivityError('NOT_FOUND', 'export is not enabled on this server', { status: 404 });
      return exporter;
    },
  };
}
