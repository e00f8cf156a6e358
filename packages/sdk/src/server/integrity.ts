/**
 * The handler's integrity routes: an entry's inclusion proof, the public keys, and "verify this range".
 * The org is always the viewer's (from `authorize()`); nothing in the request can name another.
 */
import { isStorableId } from '../core/validate.js';
import { ActivityError } from '../errors.js';
import type { ResolvedFilter } from '../filters.js';
import { type KeyInput, publicKeyInfo } from '../integrity/keys.js';
import { proofFor } from '../integrity/proof.js';
import type { IntegrityStore } from '../integrity/types.js';
import { verifyIntegrity } from '../integrity/verify.js';
import type { ActivityStore, Viewer, ViewerPermission } from '../types.js';
import { json } from './http.js';

/** Integrity settings of the handler; enabling them mounts the integrity routes. */
export interface HandlerIntegrityOptions {
  /**
   * Public keys by key id: served by `GET /integrity/keys` and used by `GET /integrity/verify`. Keep
   * retired keys here: older digests name them.
   */
  keys: Readonly<Record<string, KeyInput>>;
  /** The sealer's interval, shown as "sealed every N minutes". @default 300000 */
  intervalMs?: number | undefined;
  /** See `verifyIntegrity`'s `lateWindowMs`. @default 86400000 */
  lateWindowMs?: number | undefined;
  /** Where digests live. @default the handler's store (every store of this package has them) */
  store?: IntegrityStore | undefined;
  /** Bounds of one `GET /integrity/verify`, so a request cannot hold the store for minutes. */
  verify?: IntegrityVerifyLimits | undefined;
}

/** Bounds of one `GET /integrity/verify`; past them it answers 400 (narrow the range) or 503. */
export interface IntegrityVerifyLimits {
  /** Longest `from`…`to` span, in days; a wider one is a 400 on `from`. @default 93 */
  maxRangeDays?: number | undefined;
  /** Most entries (sealed and unsealed) one request checks; more is a 400 on `range`. @default 200000 */
  maxEntries?: number | undefined;
  /** Time one request may take, in ms; past it the answer is a 503 `TIMEOUT` on `range`. @default 10000 */
  timeoutMs?: number | undefined;
}

const DAY_MS = 86_400_000;

function limit(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ActivityError('CONFIG', `integrity.verify.${field}: must be a positive number`, {
      field: `integrity.verify.${field}`,
    });
  }
  return value;
}

/** The resolved verify bounds, checked at construction. */
function verifyLimits(options: IntegrityVerifyLimits | undefined) {
  return {
    maxRangeMs: limit(options?.maxRangeDays, 93, 'maxRangeDays') * DAY_MS,
    maxEntries: limit(options?.maxEntries, 200_000, 'maxEntries'),
    timeoutMs: limit(options?.timeoutMs, 10_000, 'timeoutMs'),
  };
}

/** A 400 when the filter's span is longer than allowed. */
function checkSpan(filter: ResolvedFilter, maxRangeMs: number): void {
  if (filter.from === undefined || filter.to === undefined) return;
  const span = Date.parse(filter.to) - Date.parse(filter.from);
  if (span > maxRangeMs) {
    const days = (ms: number) => Math.round((ms / DAY_MS) * 10) / 10;
    throw new ActivityError(
      'INVALID_FILTER',
      `from: from…to spans ${days(span)} days; verify at most ${days(maxRangeMs)} days per request`,
      { field: 'from', status: 400 },
    );
  }
}

/** The slice of the handler's request context these routes read. */
interface IntegrityCtx {
  viewer: Viewer;
  id: string;
}

/** A route as the handler's router takes it. */
interface IntegrityRoute {
  method: 'GET';
  path: string[];
  permission: ViewerPermission;
  run(ctx: IntegrityCtx): Promise<Response>;
}

/** What the routes need from the handler. */
export interface IntegrityRouteDeps<C extends IntegrityCtx> {
  store: ActivityStore;
  options: HandlerIntegrityOptions | undefined;
  /** The request's filter, resolved like the list's (range → from/to). */
  filterOf(ctx: C): ResolvedFilter;
  now(): Date;
}

function hasIntegrity(store: unknown): store is IntegrityStore {
  return typeof (store as Partial<IntegrityStore> | undefined)?.sealBatch === 'function';
}

/**
 * The routes `GET /entries/:id/proof`, `GET /integrity/keys` and `GET /integrity/verify`; each answers
 * 404 when integrity is not enabled.
 */
export function integrityRoutes<C extends IntegrityCtx>(deps: IntegrityRouteDeps<C>): IntegrityRoute[] {
  const { options } = deps;
  const store = options?.store ?? (hasIntegrity(deps.store) ? deps.store : undefined);
  const intervalMs = options?.intervalMs ?? 300_000;
  // Fails at construction, naming the key, rather than on the first request.
  const keys = options ? Object.entries(options.keys).map(([id, key]) => publicKeyInfo(id, key)) : [];
  const limits = verifyLimits(options?.verify);
  const enabled = () => {
    if (!options || !store)
      throw new ActivityError('NOT_FOUND', 'integrity is not enabled on this server', { status: 404 });
    return store;
  };
  return [
    {
      method: 'GET',
      path: ['entries', ':id', 'proof'],
      permission: 'read',
      async run(ctx) {
        const integrity = enabled();
        const orgId = ctx.viewer.orgId;
        const proof = isStorableId(ctx.id) ? await proofFor(integrity, orgId, ctx.id) : undefined;
        if (proof) return json({ sealed: true, intervalMs, proof });
        const entry = isStorableId(ctx.id) ? await deps.store.get(orgId, ctx.id) : undefined;
        if (!entry) throw new ActivityError('NOT_FOUND', 'no such entry', { status: 404 });
        return json({ sealed: false, intervalMs });
      },
    },
    {
      method: 'GET',
      path: ['integrity', 'keys'],
      permission: 'read',
      async run() {
        enabled();
        return json({ keys, intervalMs });
      },
    },
    {
      method: 'GET',
      path: ['integrity', 'verify'],
      permission: 'read',
      async run(ctx) {
        const integrity = enabled();
        const filter = deps.filterOf(ctx as C);
        checkSpan(filter, limits.maxRangeMs);
        try {
          const result = await verifyIntegrity({
            store: integrity,
            orgId: ctx.viewer.orgId,
            keys: options?.keys ?? {},
            from: filter.from,
            to: filter.to,
            intervalMs,
            lateWindowMs: options?.lateWindowMs,
            now: deps.now,
            maxEntries: limits.maxEntries,
            deadline: deps.now().getTime() + limits.timeoutMs,
          });
          return json({ ...result, from: filter.from ?? null, to: filter.to ?? null });
        } catch (error) {
          // The handler hides 5xx details; this one is the caller's to act on (narrow the range, retry).
          if (error instanceof ActivityError && error.code === 'TIMEOUT') {
            return json({ error: error.toJSON() }, 503, { 'retry-after': '60' });
          }
          throw error;
        }
      },
    },
  ];
}
