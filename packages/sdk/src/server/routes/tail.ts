/**
 * The handler's live tail route (`GET /tail`, server-sent events), and the count of open tails per org
 * and in total that keeps one org or one server from holding unbounded connections (past either: 429).
 */
import { entryFieldsParam } from '../../summary.js';
import type { HandlerContext } from '../handlerContext.js';
import { headers, jsonReply, type Position, signalOf } from '../http.js';
import type { Route } from '../route.js';
import { createTailStream } from '../tail.js';

/** The tail route, reading through the handler's shared context; it owns the connection counts. */
export function tailRoute(hc: HandlerContext): Route {
  const { store, options, codec, decorate, filterOf, now, tailPerOrg, tailTotal } = hc;
  /** Open tail streams per org; an org's key is removed at zero so the map stays small. */
  const tailsByOrg = new Map<string, number>();
  let tailsOpen = 0;
  return {
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
  };
}
