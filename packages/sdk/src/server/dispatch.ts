/**
 * The handler's request pipeline: find the route, check the method (HEAD included), the cross-site
 * rules and the viewer's permission, run the route, and turn any throw into an error answer.
 */
import { ActivityError } from '../errors.js';
import type { Viewer } from '../types.js';
import { checkCrossSite } from './crossSite.js';
import type { HandlerContext } from './handlerContext.js';
import { errorReply, isNoRoute, JsonReply, jsonReply, noRoute, type Reply } from './http.js';
import { NotRetryableError } from './retry.js';
import { locateRoute, type Route } from './route.js';

/** A HEAD answer: the GET's status and headers, its body released unread. */
function headersOnly(reply: Reply): Reply {
  if (reply instanceof JsonReply) return new JsonReply(reply.status, reply.headers, undefined);
  void reply.body?.cancel().catch(() => undefined);
  return new Response(null, { status: reply.status, headers: reply.headers });
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

const methodNotAllowed = (allow: string) =>
  jsonReply({ error: { code: 'HTTP', message: `method not allowed; use ${allow}` } }, 405, { allow });

/** The function answering one request with the given routes. */
export function createDispatcher(
  hc: HandlerContext,
  routes: readonly Route[],
): (request: Request) => Promise<Reply> {
  const { options, basePath, publicBase, trustedOrigins } = hc;

  async function dispatch(request: Request): Promise<Reply> {
    try {
      const url = new URL(request.url);
      const located = locateRoute(routes, basePath, url.pathname);
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

  /** HEAD answers headers only, errors included; a no-route 404 stays itself so adapters fall through. */
  return async function handle(request: Request): Promise<Reply> {
    const response = await dispatch(request);
    return request.method === 'HEAD' && !isNoRoute(response) ? headersOnly(response) : response;
  };
}
