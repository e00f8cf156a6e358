/**
 * The handler's read routes over entries: the list (`GET /entries`), one entry, its retry
 * (`POST /entries/:id/retry`), the facet counts and the histogram. The org is always the viewer's.
 */
import { isStorableId } from '../../core/validate.js';
import { ActivityError } from '../../errors.js';
import { entryFieldsParam, summaryWith } from '../../summary.js';
import { encodeSummaryPage } from '../../summaryPage.js';
import type { HandlerContext } from '../handlerContext.js';
import { planHistogram } from '../histogramPlan.js';
import { intParam, jsonReply } from '../http.js';
import { findRetryHandler, NotRetryableError } from '../retry.js';
import type { Route } from '../route.js';

/** The entry routes, reading through the handler's shared context. */
export function entryRoutes(hc: HandlerContext): Route[] {
  const { store, options, codec, retries, decorate, filterOf, now } = hc;
  return [
    {
      method: 'GET',
      path: ['entries'],
      permission: 'read',
      async run(ctx) {
        // Summaries unless `fields=full`: the table needs a row, the drawer fetches the entry itself.
        // `fields=compact` sends them as a compact page (what the client, and so the page, asks for).
        const fields = entryFieldsParam(ctx.params);
        const filter = filterOf(ctx);
        const limit = intParam(ctx.params, 'limit', hc.defaultLimit, hc.maxLimit);
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
  ];
}
