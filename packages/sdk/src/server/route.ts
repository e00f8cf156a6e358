/**
 * The handler's routing table: what a route is, the request context its `run` receives, and finding the
 * route a path names (under a known mount point, or at the end of the path when none is configured).
 */
import type { Viewer, ViewerPermission } from '../types.js';
import type { Reply } from './http.js';

/** What a route's `run` receives for one request. */
export interface Ctx {
  request: Request;
  url: URL;
  params: URLSearchParams;
  viewer: Viewer;
  /** Route parameters (`:id`). */
  id: string;
  /** Absolute URL of the handler's mount point, without a trailing slash (`publicBaseUrl` when set). */
  base: string;
}

export type RouteFn = (ctx: Ctx) => Promise<Reply>;

export interface Route {
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

/** Where a path landed: the mount point, the matched route and its `:id`. */
export interface Located {
  mount: string;
  route: Route;
  id: string;
}

/** Splits the path into the mount point and the matched route; undefined when nothing matches. */
export function locateRoute(
  routes: readonly Route[],
  basePath: string | undefined,
  pathname: string,
): Located | undefined {
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
