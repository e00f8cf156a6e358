/**
 * The handler's export routes: the streamed CSV (`GET /export.csv`), starting a background export
 * (`POST /exports`), its status, and the signed download. Each answers 404 when exports are not enabled.
 */
import { ActivityError } from '../../errors.js';
import type { HandlerContext } from '../handlerContext.js';
import { headers, jsonReply } from '../http.js';
import type { Route } from '../route.js';

/** A CSV download, its file name reduced to characters safe in the header. */
function csvResponse(filename: string, body: ReadableStream<Uint8Array>): Response {
  return new Response(body, {
    status: 200,
    headers: headers({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`,
    }),
  });
}

/** The export routes, reading through the handler's shared context. */
export function exportRoutes(hc: HandlerContext): Route[] {
  const { requireExporter, guard, filterOf, now } = hc;
  return [
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
  ];
}
